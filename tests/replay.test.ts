import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import type { ModelAnswer } from '../stages/bootstrap/providers/answers.js';
import { judgeExcerpt } from '../stages/relevance/judge.js';
import type { Manifest } from '../stages/write/manifest.js';
import { cc, haveModel, haveSharedData, newsCorpus, qcc, repo, tempDir } from './helpers.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const manifestOf = (versionDir: string) =>
  JSON.parse(readFileSync(join(versionDir, 'manifest.json'), 'utf8')) as Manifest;
const answersOf = (versionDir: string) =>
  gunzipSync(readFileSync(join(versionDir, 'model-answers.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l) as ModelAnswer);

/** Every published data part and removal file of a version, with its sha256. */
function shardSums(versionDir: string): Record<string, string> {
  const m = manifestOf(versionDir);
  return Object.fromEntries([...m.shards, ...m.removed].map(f => [f.path, sha256(join(versionDir, f.path))]));
}

/** A copy of `versionDir` whose model answers lack the first one `drop` picks (its manifest checksum updated). */
function withoutAnswer(versionDir: string, into: string, drop: (a: ModelAnswer) => boolean): ModelAnswer {
  cpSync(versionDir, into, { recursive: true });
  const answers = answersOf(versionDir);
  const dropped = answers.find(drop)!;
  expect(dropped).toBeDefined();
  const file = join(into, 'model-answers.jsonl.gz');
  writeFileSync(
    file,
    gzipSync(
      answers
        .filter(a => a !== dropped)
        .map(a => JSON.stringify(a) + '\n')
        .join(''),
    ),
  );
  const manifest = manifestOf(into);
  manifest.files.find(f => f.path === 'model-answers.jsonl.gz')!.sha256 = sha256(file);
  writeFileSync(join(into, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return dropped;
}

/**
 * A run with the real model (bootstrap completions, relevance judgements with controls, the precision estimate)
 * publishes its answers; a run elsewhere with an empty cache and `--replay` makes no model call and publishes the
 * same shards byte for byte.
 */
describe.runIf(haveSharedData() && haveModel())('replay: a version carries its model answers', () => {
  let root: string;
  let config: string;
  let original: string;
  let replayed: string;
  const run = (out: string, cache: string, ...extra: string[]) =>
    qcc(['run', '--config', config, '--out', out, ...extra], { QCC_CACHE_DIR: cache });

  beforeAll(async () => {
    root = await tempDir('qcc-replay-');
    // Two seeds in each of two domains, a slice of the 20 Newsgroups posts and one real Common Crawl WARC.
    const seeds = readFileSync(join(repo, 'data', 'seeds', 'demo.csv'), 'utf8').split('\n');
    const pick = [
      seeds[0],
      ...seeds.filter(l => l.startsWith('medicine,')).slice(0, 2),
      ...seeds.filter(l => l.startsWith('space,')).slice(0, 2),
    ];
    await writeFile(join(root, 'seeds.csv'), pick.join('\n') + '\n');
    const slice = gunzipSync(readFileSync(newsCorpus)).toString('utf8').split('\n').slice(0, 400).join('\n') + '\n';
    await writeFile(join(root, 'news.jsonl.gz'), gzipSync(slice));
    config = join(root, 'run.yaml');
    await writeFile(
      config,
      `dataset: replay-test
out: ${join(root, 'out')}
cache_dir: \${QCC_CACHE_DIR}
seeds: { files: [${join(root, 'seeds.csv')}] }
bootstrap: { provider: llama, samples_per_seed: 1, max_tokens: 48, threads: 1 }
ingest:
  warc: [${cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz')}]
  corpora: [{ path: ${join(root, 'news.jsonl.gz')}, id_field: id, text_field: text }]
retrieve: { top_k: 10, min_relative_score: 0.3 }
filters: { gopher_quality: { enabled: false }, gopher_repetition: { enabled: false } }
relevance:
  enabled: true
  judge: { per_query: 1, max_judgements: 4, controls_per_domain: 2, topics: { space: space and astronomy } }
  classifier: { self_training_rounds: 0 }
  # The semantic boundary embeds on every run of an empty cache: few controls, one passage each.
  estimate: { judge: llm, published_sample: 2, removed_sample: 1, semantic: { controls: 24, chunks: 1 } }
`,
    );
    const first = await run(join(root, 'out'), join(root, 'cache-a'));
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    original = join(root, 'out', 'replay-test', 'v0001');
  }, 900_000);

  it('publishes every answer the run was served, keyed like the cache, and says how to reproduce it', () => {
    const m = manifestOf(original);
    const calls =
      (m.counts.bootstrap!['bootstrap.llm_calls'] ?? 0) +
      (m.counts.relevance!['relevance.judge.llm_calls'] ?? 0) +
      (m.counts.relevance_estimate?.['relevance_estimate.judge.llm_calls'] ?? 0);
    // An empty cache: every answer came from the model, and each kind of request was made.
    expect(m.counts.bootstrap!['bootstrap.llm_calls']).toBe(4);
    expect(m.counts.relevance!['relevance.judge.llm_calls']).toBeGreaterThan(4); // hits and controls
    expect(m.counts.relevance_estimate?.['relevance_estimate.judge.llm_calls']).toBeGreaterThan(0);
    const entry = m.files.find(f => f.path === 'model-answers.jsonl.gz')!;
    expect(entry.sha256).toBe(sha256(join(original, entry.path)));
    const answers = answersOf(original);
    expect(entry.records).toBe(answers.length);
    expect(answers.length).toBe(calls);
    // The same key as the cache's file for the same request (one JSON file per request in cache-a/llm).
    const cached = readdirSync(join(root, 'cache-a', 'llm'), { recursive: true })
      .filter(f => String(f).endsWith('.json'))
      .map(f => String(f).split('/').pop()!.slice(0, -5));
    expect(answers.map(a => a.key).sort()).toEqual(cached.sort());
    expect(m.replay).toBeUndefined();
    expect(readFileSync(join(original, 'README.md'), 'utf8')).toContain(
      '`qcc run --config <config> --replay <this folder>`',
    );
  });

  it('replays with an empty cache elsewhere: 0 model calls, the same run and the same shards byte for byte', async () => {
    const out = join(root, 'elsewhere');
    await mkdir(join(root, 'cache-b'));
    const again = await run(out, join(root, 'cache-b'), '--replay', original);
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    replayed = join(out, 'replay-test', 'v0001');
    const a = manifestOf(original);
    const b = manifestOf(replayed);
    expect(b.counts.bootstrap!['bootstrap.llm_calls'] ?? 0).toBe(0);
    expect(b.counts.relevance!['relevance.judge.llm_calls'] ?? 0).toBe(0);
    expect(b.counts.relevance_estimate?.['relevance_estimate.judge.llm_calls'] ?? 0).toBe(0);
    // Nothing reached the cache either: the answers came from the version alone.
    expect(existsSync(join(root, 'cache-b', 'llm'))).toBe(false);
    expect(b.run_id).toBe(a.run_id);
    expect(b.lineage).toEqual(a.lineage);
    const sums = shardSums(original);
    expect(Object.keys(sums).length).toBeGreaterThan(1);
    expect(shardSums(replayed)).toEqual(sums);
    expect(b.shards).toEqual(a.shards);
    expect(b.removed).toEqual(a.removed);
    const fileSum = (m: Manifest, path: string) => m.files.find(f => f.path === path)!.sha256;
    expect(fileSum(b, 'queries.jsonl.gz')).toBe(fileSum(a, 'queries.jsonl.gz'));
    expect(fileSum(b, 'model-answers.jsonl.gz')).toBe(fileSum(a, 'model-answers.jsonl.gz'));
    expect(b.replay).toEqual({
      version: 'v0001',
      run_id: a.run_id,
      model_answers_sha256: fileSum(a, 'model-answers.jsonl.gz'),
      answers: answersOf(original).length,
    });
    expect(readFileSync(join(replayed, 'README.md'), 'utf8')).toContain(
      `replayed: this version's model answers came from v0001 (run id \`${a.run_id}\`)`,
    );
  }, 600_000);

  it('stops at a request the version did not record, naming the seed, and never asks the model', async () => {
    const seeds = readFileSync(join(root, 'seeds.csv'), 'utf8').split('\n');
    const seedText = seeds[1]!.split(',').slice(3).join(',');
    const broken = join(root, 'no-seed-answer');
    withoutAnswer(original, broken, a => a.request.temperature > 0 && a.request.prompt.includes(seedText));
    const res = await run(join(root, 'miss-1'), join(root, 'cache-c'), '--replay', broken);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      new RegExp(
        `recorded no answer for question extension of seed s-[0-9a-f]{12} \\(medicine: ${JSON.stringify(seedText).replace(/[?()]/g, '\\$&')}\\), sample 0`,
      ),
    );
    expect(res.stderr).toContain('a replay never calls the model');
    expect(existsSync(join(root, 'cache-c', 'llm'))).toBe(false);
    expect(existsSync(join(root, 'miss-1', 'replay-test', 'v0001'))).toBe(false);
  }, 600_000);

  it('stops at a missing judgement, naming the document and the domain', async () => {
    const docs: Doc[] = [];
    for (const f of manifestOf(original).shards) docs.push(...(await readAllJsonl<Doc>(join(original, f.path))));
    let named: Doc | undefined;
    const broken = join(root, 'no-judge-answer');
    withoutAnswer(original, broken, a => {
      if (a.request.temperature !== 0) return false;
      named = docs.find(d => a.request.prompt.includes(judgeExcerpt(d.text, 60)));
      return named !== undefined;
    });
    const res = await run(join(root, 'miss-2'), join(root, 'cache-d'), '--replay', broken);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      new RegExp(
        `recorded no answer for judgement of document ${named!.id.replace(/[^\w]/g, '\\$&')} for domain (medicine|space)`,
      ),
    );
    expect(existsSync(join(root, 'cache-d', 'llm'))).toBe(false);
  }, 600_000);
});
