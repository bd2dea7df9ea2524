/**
 * The question-extension stage on the real embedded model (Gemma 3 270M base, CPU, 1 thread).
 * Without the model file the suite is skipped, except under CI=true, where it fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Query, Seed } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  CachedProvider,
  LlamaProvider,
  extendQuestions,
  resolveModelPath,
  samplingSeed,
  type BootstrapConfigInput,
} from '../stages/bootstrap/index.js';
import { seedId } from '../stages/seeds/index.js';

const inCI = process.env.CI === 'true';
let found: string | undefined;
let missing = '';
try {
  found = resolveModelPath();
} catch (err) {
  missing = (err as Error).message;
  if (!inCI) console.warn(`bootstrap-llama: SKIPPED, no model: ${missing}`);
}

function mk(domain: string, text: string): Seed {
  return { id: seedId(domain, 'keyword', text), domain, type: 'keyword', text, source: { file: 'inline', row: 0 } };
}
const seeds = [
  mk('medicine', 'symptoms of type 2 diabetes'),
  mk('space', 'orbital mechanics of geostationary satellites'),
  mk('cryptography', 'public key encryption'),
];
/** Words of which at least one generated question per seed must contain one: a crude on-topic check. */
const topicWords: Record<string, RegExp> = {
  medicine: /diabet|insulin|glucose|blood sugar/i,
  space: /satellite|orbit|geostationary/i,
  cryptography: /encrypt|key|cipher|rsa/i,
};
const config: BootstrapConfigInput = {
  provider: 'llama',
  samples_per_seed: 2,
  max_tokens: 100,
  base_seed: 1,
  threads: 1,
};

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe.skipIf(!found && !inCI)('question extension on the embedded model', () => {
  let dir: string;
  let modelPath: string;
  const providers: LlamaProvider[] = [];
  const first: Query[] = [];

  beforeAll(async () => {
    modelPath = resolveModelPath(); // under CI=true a missing model fails here, naming the path
    dir = await mkdtemp(join(tmpdir(), 'qcc-llama-'));
  });
  afterAll(async () => {
    for (const p of providers) await p.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function provider(): { llama: LlamaProvider; cached: CachedProvider } {
    const llama = new LlamaProvider({ modelPath, threads: 1 });
    providers.push(llama);
    return { llama, cached: new CachedProvider(llama, join(dir, 'llm-cache')) };
  }

  it('writes several distinct on-topic questions per seed, with complete lineage', async () => {
    const { cached } = provider();
    const ctx = { ...testContext(config), provider: cached };
    const started = Date.now();
    for await (const q of extendQuestions(from(seeds), ctx)) first.push(q);
    const seconds = (Date.now() - started) / 1000;
    await cached.close(); // one loaded model at a time

    const c = ctx.counters;
    expect(c.get('bootstrap.llm_calls')).toBe(6);
    expect(cached.stats).toEqual({ calls: 6, hits: 0 });
    expect(c.get('bootstrap.completion_tokens')).toBeGreaterThan(6 * 20);
    expect(c.get('bootstrap.prompt_tokens')).toBeGreaterThan(6 * 100);

    const perSeed: Record<string, number> = {};
    for (const s of seeds) {
      const mine = first.filter(q => q.lineage.seed_id === s.id);
      expect(mine[0]).toMatchObject({
        text: s.text,
        domain: s.domain,
        lineage: { seed_id: s.id, round: 0, method: 'seed' },
      });
      const generated = mine.filter(q => q.lineage.method === 'question_extension');
      perSeed[s.domain] = generated.length;
      expect(generated.length, `${s.domain}: ${JSON.stringify(generated.map(q => q.text))}`).toBeGreaterThanOrEqual(3);
      expect(new Set(generated.map(q => q.text.toLowerCase())).size).toBe(generated.length);
      expect(
        generated.some(q => topicWords[s.domain]!.test(q.text)),
        `${s.domain} off topic`,
      ).toBe(true);
      const samplingSeeds = new Set(generated.map(q => q.lineage.sampling_seed));
      for (const q of generated) {
        expect(q.domain).toBe(s.domain);
        expect(q.id).toMatch(/^q-[0-9a-f]{12}$/);
        expect(q.text.split(' ').length).toBeGreaterThanOrEqual(3);
        expect(q.lineage).toMatchObject({
          seed_id: s.id,
          round: 1,
          method: 'question_extension',
          prompt_version: 'question-extension.v1',
          model: 'llama:gemma-3-270m-q4_k_m.gguf',
        });
        expect([samplingSeed(1, s.id, 0), samplingSeed(1, s.id, 1)]).toContain(q.lineage.sampling_seed);
      }
      // Both samples contributed (different sampling seeds, different text).
      expect(samplingSeeds.size).toBe(2);
    }
    expect(new Set(first.map(q => q.id)).size).toBe(first.length);

    const tokens = c.get('bootstrap.completion_tokens');
    console.log(
      `bootstrap-llama: ${first.length} queries; generated per seed ${JSON.stringify(perSeed)}; ` +
        `${(seconds / 6).toFixed(2)} s/call; ${(tokens / seconds).toFixed(1)} completion tok/s (prompt eval included); ` +
        `drops ${JSON.stringify(Object.fromEntries(Object.entries(c.toJSON()).filter(([k]) => k.startsWith('bootstrap.parse.') || k === 'bootstrap.duplicates')))}`,
    );
    console.log(first.map(q => `  [${q.domain}] ${q.text}`).join('\n'));
  });

  it('gives the same text for the same request after other prompts (cleared sequence)', async () => {
    const { llama, cached } = provider();
    const prompts = [seeds[0]!, seeds[1]!].map(s => ({
      prompt: `Topic: photosynthesis\nQuestions:\n1. How do plants use light?\n\nTopic: ${s.text}\nQuestions:\n`,
      maxTokens: 40,
      temperature: 0.9,
      seed: 42,
      stop: ['\n\n'],
    }));
    const a = await llama.complete(prompts[0]!);
    await llama.complete(prompts[1]!);
    const b = await llama.complete(prompts[0]!);
    await llama.close();
    expect(b.text).toBe(a.text);
    expect(a.text.length).toBeGreaterThan(0);
    expect(cached.stats.calls).toBe(0);
    await expect(llama.complete(prompts[0]!)).rejects.toThrow(/closed/);
  });

  it('reruns from the cache: identical queries, zero model calls', async () => {
    expect(first.length).toBeGreaterThan(0);
    const { cached } = provider();
    const ctx = { ...testContext(config), provider: cached };
    const again: Query[] = [];
    for await (const q of extendQuestions(from(seeds), ctx)) again.push(q);
    expect(again).toEqual(first);
    expect(cached.stats).toEqual({ calls: 0, hits: 6 });
    expect(ctx.counters.get('bootstrap.llm_cache_hits')).toBe(6);
    expect(ctx.counters.get('bootstrap.llm_calls')).toBe(0);
  });
});
