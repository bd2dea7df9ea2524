/**
 * Thought generation seeded by an earlier run's query yields, on the real embedded model: the parents it
 * expands are the questions with the highest judged yield, not the first ones written.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Query, Seed } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  CachedProvider,
  LlamaProvider,
  extendQuestions,
  type BootstrapConfigInput,
} from '../stages/bootstrap/index.js';
import { readQueryYields } from '../stages/bootstrap/parent-yields.js';
import { seedId } from '../stages/seeds/index.js';
import { haveModel, itSlow, modelPath, tempDir } from './helpers.js';

const seed: Seed = {
  id: seedId('medicine', 'keyword', 'symptoms of type 2 diabetes'),
  domain: 'medicine',
  type: 'keyword',
  text: 'symptoms of type 2 diabetes',
  source: { file: 'inline', row: 0 },
};
const config: BootstrapConfigInput = {
  provider: 'llama',
  samples_per_seed: 2,
  max_tokens: 100,
  base_seed: 1,
  threads: 1,
  thought_rounds: 1,
  thought_parents_per_seed: 1,
  thought_max_tokens: 96,
};

async function* one(s: Seed): AsyncGenerator<Seed> {
  yield s;
}

describe.runIf(haveModel())('thought parents chosen by an earlier run’s query yields', () => {
  const providers: LlamaProvider[] = [];
  afterAll(async () => {
    for (const p of providers) await p.close();
  });

  /** The queries, and the parent of every thought-generation call (from the stage's log, answered or not). */
  async function bootstrap(
    cacheDir: string,
    extra: Partial<BootstrapConfigInput> = {},
  ): Promise<{ queries: Query[]; parents: string[] }> {
    const llama = new LlamaProvider({ modelPath: modelPath(), threads: 1 });
    providers.push(llama);
    const cached = new CachedProvider(llama, cacheDir);
    const queries: Query[] = [];
    const parents: string[] = [];
    const base = testContext({ ...config, ...extra });
    const log = {
      ...base.log,
      info: (msg: string, fields?: Record<string, unknown>) =>
        void (msg === 'bootstrap: thought' && parents.push(String(fields?.parent_query_id))),
    };
    for await (const q of extendQuestions(one(seed), { ...base, log, provider: cached })) queries.push(q);
    await cached.close();
    return { queries, parents: [...new Set(parents)] };
  }

  itSlow(
    'expands the highest-yield question first; without yields, the first question',
    async () => {
      const dir = await tempDir('qcc-yield-parents-');
      const cache = join(dir, 'llm');
      const plain = await bootstrap(cache);
      const extended = plain.queries.filter(q => q.lineage.method === 'question_extension');
      expect(extended.length).toBeGreaterThanOrEqual(2);
      expect(plain.parents).toEqual([extended[0]!.id]);

      // The last question had the best yield in the earlier run; the first one the worst.
      const best = extended.at(-1)!;
      const manifest = join(dir, 'manifest.json');
      await writeFile(
        manifest,
        JSON.stringify({
          relevance: {
            yields: [
              { query_id: extended[0]!.id, yield: 0.1 },
              { query_id: best.id, yield: 0.95 },
            ],
          },
        }),
      );
      expect(readQueryYields(manifest).get(best.id)).toBe(0.95);
      const guided = await bootstrap(cache, { thought_parents_by_yield: manifest });
      expect(guided.queries.filter(q => q.lineage.method === 'question_extension').map(q => q.id)).toEqual(
        extended.map(q => q.id),
      );
      expect(guided.parents).toEqual([best.id]);
      for (const q of guided.queries.filter(q => q.lineage.method === 'thought_generation'))
        expect(q.lineage.parent_query_id).toBe(best.id);
    },
    600_000,
  );

  it('names the file when it has no yields', async () => {
    const dir = await tempDir('qcc-yield-parents-bad-');
    const file = join(dir, 'manifest.json');
    await writeFile(file, JSON.stringify({ version: 'v0001' }));
    expect(() => readQueryYields(file)).toThrow(new RegExp(`${file}: no query yields`));
    expect(() => readQueryYields(join(dir, 'absent.json'))).toThrow(/thought_parents_by_yield: file not found/);
  });
});
