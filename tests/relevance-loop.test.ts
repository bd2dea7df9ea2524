import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import type { Manifest } from '../stages/write/manifest.js';
import { haveModel, haveSharedData, newsCorpus, qcc, tempDir } from './helpers.js';
import { writeRelevanceConfig } from './relevance-helpers.js';

const readVersion = async (dir: string) => {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const docs: Doc[] = [];
  for (const s of manifest.shards) docs.push(...(await readAllJsonl<Doc>(join(dir, s.path))));
  const removed: { step: string; rule: string; record: Doc }[] = [];
  for (const s of manifest.removed)
    removed.push(...(await readAllJsonl<{ step: string; rule: string; record: Doc }>(join(dir, s.path))));
  return { manifest, docs, removed };
};

/** The whole loop with the real model (a few judgements) on the real 20 Newsgroups posts, then a cached rerun. */
describe.runIf(haveSharedData() && haveModel())('relevance loop: judge, prune, classify, recall round', () => {
  let root: string;
  let config: string;
  let first: Awaited<ReturnType<typeof readVersion>>;

  beforeAll(async () => {
    root = await tempDir('qcc-rel-loop-');
    config = await writeRelevanceConfig(
      root,
      '  enabled: true\n  judge: { per_query: 1, max_judgements: 4 }\n  classifier: { self_training_rounds: 1 }\n' +
        '  estimate: { published_sample: 12, removed_sample: 6, semantic: { controls: 24, chunks: 2 } }',
    );
    const run = await qcc(['run', '--config', config]);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    first = await readVersion(join(root, 'out', 'rel-test', 'v0001'));
  }, 900_000);

  it('records judgements, scores and how each document was found, and the funnel adds up', () => {
    const { manifest, docs } = first;
    const judge = manifest.counts.relevance!;
    expect(judge['relevance.judge.pairs']).toBe(4);
    // 4 random index documents per domain check the judge (relevance.judge.controls_per_domain).
    expect(judge['relevance.judge.controls']).toBe(16);
    // The 270M base model says yes to random documents as readily as to hits: flagged, its labels unused.
    const warnings = (manifest.relevance!.warnings ?? []) as { code: string; message: string }[];
    const oneWay = warnings.find(w => w.code === 'judge_one_way');
    expect(oneWay?.message, JSON.stringify(manifest.relevance!.judge)).toMatch(
      /^the judge said yes to \d+ of \d+ random index documents/,
    );
    expect(manifest.counts.relevance!['relevance.queries.pruned'] ?? 0).toBe(0);
    expect((judge['relevance.judge.llm_calls'] ?? 0) + (judge['relevance.judge.llm_cache_hits'] ?? 0)).toBe(20);
    const row = manifest.funnel.find(f => f.step === 'relevance')!;
    expect(row.in).toBe(row.out + Object.values(row.removed).reduce((a, b) => a + b, 0));
    for (const doc of docs) expect(['bm25', 'classifier', 'semantic']).toContain(doc.relevance?.found_by);
    const scored = docs.filter(d => d.relevance?.score != null && d.relevance.semantic_z == null);
    expect(scored.length).toBeGreaterThan(0);
    for (const d of scored) expect(d.relevance!.score!).toBeGreaterThanOrEqual(d.relevance!.threshold!);
    // The semantic judge took in documents the classifier rejected at its boundary (docs/relevance.md section 4).
    const takenIn = judge['relevance.semantic_boundary.added'] ?? 0;
    const semantic = docs.filter(d => d.relevance?.semantic_z != null);
    expect(takenIn, JSON.stringify(manifest.relevance)).toBeGreaterThan(0);
    expect(semantic.length).toBeGreaterThan(0);
    expect(semantic.length).toBeLessThanOrEqual(takenIn);
    for (const d of semantic)
      expect(d.relevance!.found_by === 'semantic' || d.relevance!.score! < d.relevance!.threshold!, d.id).toBe(true);
    const recall = docs.filter(d => d.relevance?.found_by === 'classifier');
    // The recall round's finds then pass the filters and dedup like every other document.
    const added = manifest.counts.relevance!['relevance.added.recall_round']!;
    expect(added).toBeGreaterThan(0);
    expect(recall.length).toBeGreaterThan(0);
    expect(recall.length).toBeLessThanOrEqual(added);
    // No query found them: one schema for every record, so their `retrieval` holds no hits.
    expect(recall.every(d => (d.retrieval?.hits ?? []).length === 0)).toBe(true);
    // The LLM judge failed its check, yet the version says how good each domain is: the semantic judge needs no LLM.
    const estimate = manifest.relevance!.estimate as {
      reliable: boolean;
      judge: string;
      domains: { domain: string; published: number; precision: { sample: number; share: number | null } }[];
    };
    expect(estimate).toMatchObject({ reliable: true, judge: 'semantic' });
    expect(estimate.domains.map(d => d.domain)).toEqual(['cryptography', 'electronics', 'medicine', 'space']);
    for (const d of estimate.domains) {
      expect(d.precision.sample).toBe(Math.min(12, d.published));
      // Real posts of the four groups: most of each domain's sample is judged to belong to it.
      expect(d.precision.share!, d.domain).toBeGreaterThanOrEqual(0.5);
    }
    const est = manifest.counts.relevance_estimate!;
    expect(
      (est['relevance_estimate.judge.embedded_passages'] ?? 0) +
        (est['relevance_estimate.judge.embed_cache_hits'] ?? 0),
    ).toBeGreaterThan(24);
    console.log(
      `relevance loop: ${docs.length} published (${recall.length} from the recall round), removed ${JSON.stringify(row.removed)}`,
    );
  });

  it('qcc eval domain reports the judging and embedding cost per 1,000 kept documents', async () => {
    const positive = ['medicine=sci.med', 'space=sci.space', 'electronics=sci.electronics', 'cryptography=sci.crypt'];
    const res = await qcc([
      ...['eval', 'domain', 'v0001', '--config', config, '--labels', newsCorpus, '--field', 'label'],
      ...positive.flatMap(p => ['--positive', p]),
    ]);
    expect(res.code, res.stderr).toBe(0);
    const cost = res.stdout.split('\n').find(l => l.startsWith('judging:'));
    expect(cost, res.stdout).toBeDefined();
    expect(cost).toMatch(/; semantic boundary: \d+ passages \(\d+ from the cache\), [\d.]+ per 1,000 kept/);
    expect(cost).toMatch(/; precision estimate: \d+ passages \(\d+ from the cache\), [\d.]+ per 1,000 kept/);
  });

  it('keeps the removed documents with their rule and score', () => {
    const below = first.removed.filter(r => r.rule === 'relevance.below_threshold');
    // The classifier removes some retrieved documents in this run (129 of them at the time of writing).
    expect(below.length).toBeGreaterThan(0);
    expect(below.length).toBe(first.manifest.counts.relevance!['relevance.removed.relevance.below_threshold']);
    for (const r of below) expect(r.record.relevance!.score!).toBeLessThan(r.record.relevance!.threshold!);
  });

  it('reruns from the cache with no model calls and the same dataset', async () => {
    const again = await qcc(['run', '--config', config, '--out', join(root, 'again')]);
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    const second = await readVersion(join(root, 'again', 'rel-test', 'v0001'));
    expect(second.manifest.counts.relevance!['relevance.judge.llm_calls'] ?? 0).toBe(0);
    expect(second.manifest.counts.relevance!['relevance.judge.llm_cache_hits']).toBe(20);
    expect(second.manifest.counts.relevance_estimate?.['relevance_estimate.judge.llm_calls'] ?? 0).toBe(0);
    // Nor embeds anything: every passage comes from the vector cache, and the estimate is the same.
    const firstEst = first.manifest.counts.relevance_estimate!;
    expect(second.manifest.counts.relevance_estimate!['relevance_estimate.judge.embedded_passages'] ?? 0).toBe(0);
    expect(second.manifest.counts.relevance!['relevance.semantic_boundary.embedded'] ?? 0).toBe(0);
    expect(second.manifest.counts.relevance_estimate!['relevance_estimate.judge.embed_cache_hits']).toBe(
      (firstEst['relevance_estimate.judge.embedded_passages'] ?? 0) +
        (firstEst['relevance_estimate.judge.embed_cache_hits'] ?? 0),
    );
    expect((second.manifest.relevance!.estimate as { domains: unknown }).domains).toEqual(
      (first.manifest.relevance!.estimate as { domains: unknown }).domains,
    );
    expect(second.manifest.shards).toEqual(first.manifest.shards);
    expect(second.manifest.removed).toEqual(first.manifest.removed);
  }, 900_000);
});
