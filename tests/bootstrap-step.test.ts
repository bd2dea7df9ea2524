/**
 * `qcc run --stage bootstrap` on the real local model: question extension plus one round of thought
 * generation, lineage on every line, a call budget that stops the run and a rerun that resumes it,
 * a rerun elsewhere that makes zero model calls, and an endpoint that is down leaving nothing behind.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Query } from '../core/types.js';
import { haveModel, haveSharedData, modelPath, newsCorpus, qcc, tempDir } from './helpers.js';

const seeds = [
  { domain: 'medicine', subdomain: 'respiratory tract diseases', type: 'keyword', text: 'asthma in children' },
  { domain: 'stem', subdomain: 'astrophysics', type: 'question', text: 'How do neutron stars form after a supernova?' },
];

function config(dir: string, extra: string): string {
  return `dataset: boot
out: ${join(dir, 'out')}
cache_dir: ${join(dir, 'cache')}
seeds:
  files: [${join(dir, 'seeds.jsonl')}]
  seeds_per_shard: 1
bootstrap:
  provider: llama
  model: ${modelPath()}
  samples_per_seed: 1
  max_tokens: 64
  thought_rounds: 1
  thought_parents_per_seed: 1
  thought_max_tokens: 96
${extra}
ingest:
  corpora: [{ path: ${newsCorpus} }]
`;
}

/** The counters of the bootstrap step's step_finished event on stderr (bootstrap_finalise finishes after it). */
function finished(stderr: string): Record<string, number> {
  const event = stderr
    .split('\n')
    .filter(l => l.includes('"step_finished"'))
    .map(l => JSON.parse(l) as { step: string; counters: Record<string, number> })
    .find(e => e.step === 'bootstrap');
  return event?.counters ?? {};
}

async function workDir(out: string): Promise<string> {
  const runs = await readdir(join(out, 'boot', '.work'));
  expect(runs).toHaveLength(1);
  return join(out, 'boot', '.work', runs[0]!);
}

describe.runIf(haveModel() && haveSharedData())('qcc run --stage bootstrap on the local model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('qcc-boot-step-');
    await writeFile(join(dir, 'seeds.jsonl'), seeds.map(s => JSON.stringify(s)).join('\n') + '\n');
  });

  it('stops at the call budget, says so, keeps the completed shard, and resumes on the next run', async () => {
    const file = join(dir, 'budget.yaml');
    await writeFile(file, config(dir, '  max_calls: 2'));
    const first = await qcc(['run', '--config', file, '--stage', 'bootstrap']);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toMatch(
      /bootstrap failed on shard seeds-00001: LLM budget reached: bootstrap.max_calls = 2 .*run again/,
    );
    const work = await workDir(join(dir, 'out'));
    expect((await readdir(join(work, 'queries'))).sort()).toEqual(['seeds-00000.jsonl']); // no temp file left
    expect(existsSync(join(work, 'queries.jsonl'))).toBe(false);

    const second = await qcc(['run', '--config', file, '--stage', 'bootstrap']);
    expect(second.code, second.stderr).toBe(0);
    const c = finished(second.stderr);
    expect(c['bootstrap.llm_calls']).toBe(4); // over both runs: 2 seeds × (extension + one thought)
    expect(c['bootstrap.queries.thought_generation']).toBeGreaterThan(0);

    const lines = (await readFile(join(work, 'queries.jsonl'), 'utf8')).trim().split('\n');
    const queries = lines.map(l => JSON.parse(l) as Query);
    const ids = new Set(queries.map(q => q.id));
    expect(ids.size).toBe(queries.length);
    for (const q of queries) {
      expect(q.lineage.seed_id).toMatch(/^s-[0-9a-f]{12}$/);
      if (q.lineage.method === 'seed') continue;
      expect(q.lineage).toMatchObject({ model: 'llama:gemma-3-270m-q4_k_m.gguf' });
      expect(q.lineage.sampling_seed).toEqual(expect.any(Number));
      if (q.lineage.method === 'thought_generation') {
        expect(q.lineage).toMatchObject({ round: 2, prompt_version: 'thought-generation.v1' });
        expect(q.lineage.parent_query_id).toMatch(/^q-/);
      } else expect(q.lineage).toMatchObject({ round: 1, prompt_version: 'question-extension.v1' });
    }
    const thoughts = queries.filter(q => q.lineage.method === 'thought_generation');
    console.log(
      `bootstrap-step: ${queries.length} queries, ${thoughts.length} from thoughts:\n` +
        queries.map(q => `  [r${q.lineage.round}] ${q.text}`).join('\n'),
    );
    const stats = JSON.parse(await readFile(join(work, 'queries.stats.json'), 'utf8'));
    expect(stats.queries_out).toBe(queries.length);
    expect(stats.queries_in).toBe(
      stats.queries_out + (stats.counters['bootstrap.post.in'] - stats.counters['bootstrap.post.kept']),
    );
  }, 600_000);

  it('reruns into another output folder from the cache: zero model calls, the same queries', async () => {
    const before = await readFile(join(await workDir(join(dir, 'out')), 'queries.jsonl'), 'utf8');
    const file = join(dir, 'budget.yaml');
    const again = await qcc(['run', '--config', file, '--stage', 'bootstrap', '--out', join(dir, 'out2')]);
    expect(again.code, again.stderr).toBe(0);
    const c = finished(again.stderr);
    expect(c['bootstrap.llm_calls'] ?? 0).toBe(0);
    expect(c['bootstrap.llm_cache_hits']).toBe(4);
    expect(await readFile(join(await workDir(join(dir, 'out2')), 'queries.jsonl'), 'utf8')).toBe(before);
  }, 120_000);

  it('fails clearly when the endpoint is down, after its retries, and writes nothing', async () => {
    const file = join(dir, 'down.yaml');
    const text = config(dir, '')
      .replace('provider: llama', 'provider: openai')
      .replace(
        `model: ${modelPath()}`,
        'model: gemma\n  base_url: http://127.0.0.1:9/v1\n  api_key_env: QCC_TEST_DOWN_KEY\n  max_retries: 1\n  max_retry_wait_ms: 50',
      );
    await writeFile(file, text.replace(join(dir, 'out'), join(dir, 'out-down')));
    const r = await qcc(['run', '--config', file, '--stage', 'bootstrap'], { QCC_TEST_DOWN_KEY: 'x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /bootstrap failed on shard seeds-00000: openai provider: chat completion \(model gemma\) at http:\/\/127.0.0.1:9\/v1 failed: connection failed, after 1 retry/,
    );
    const work = await workDir(join(dir, 'out-down'));
    expect(existsSync(join(work, 'queries')) ? await readdir(join(work, 'queries')) : []).toEqual([]);
    expect(existsSync(join(work, 'queries.jsonl'))).toBe(false);
  }, 60_000);
});
