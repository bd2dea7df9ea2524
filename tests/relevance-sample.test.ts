import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BlockRanges, readJsonlBlock } from '../core/jsonl-blocks.js';
import { readAllJsonl, readJsonl } from '../core/jsonl.js';
import { type Doc, silentLogger } from '../core/types.js';
import { readRelevanceModel } from '../stages/relevance/apply.js';
import { relevanceConfigSchema } from '../stages/relevance/config.js';
import { indexSample, inIndexSample, sampleRate } from '../stages/relevance/index-sample.js';
import { scoreIndex } from '../stages/relevance/index-scan.js';
import { decide, scoringTableOf } from '../stages/relevance/model-file.js';
import { nbEm, sparseOf } from '../stages/relevance/nb-em.js';
import { partOf } from '../pipeline/steps/candidates.js';
import { trainNaiveBayes } from '../stages/relevance/train-nb.js';
import { featurizerOf } from '../stages/relevance/train.js';
import type { Manifest } from '../stages/write/manifest.js';
import { haveSharedData, newsCorpus, repo, sharedData, startQcc, tempDir } from './helpers.js';
import { allWorkers } from './ops-helpers.js';

type Post = { id: string; label: string; text: string };
const posts = async () => {
  const out: Post[] = [];
  for await (const p of readJsonl<Post>(newsCorpus)) out.push(p);
  return out;
};
const config = relevanceConfigSchema.parse({ enabled: true }).classifier;
const featurizer = featurizerOf(config);
const groups = { space: 'sci.space', crypto: 'sci.crypt', med: 'sci.med' };
const seedsOf = (all: Post[], label: string) =>
  new Set(
    all
      .filter(p => p.label === label)
      .slice(0, 60)
      .map(p => p.id),
  );

/** `relevance.sample_docs` (docs/scale.md, "Relevance at crawl scale") on the real 20 Newsgroups posts. */
describe.runIf(haveSharedData() || process.env.CI === 'true')('the relevance model on a sample of the index', () => {
  it('counts a document of weight k in naive Bayes EM as k copies of it', async () => {
    const all = (await posts()).filter((_, i) => i % 7 === 0); // 1,617 posts of every group
    const space = new Set(
      all
        .filter(p => p.label === 'sci.space')
        .slice(0, 40)
        .map(p => p.id),
    );
    const clamp = (docs: Post[]) => Int32Array.from(docs, p => (space.has(p.id) ? 0 : -1));
    const sparse = (docs: Post[]) => docs.map(p => sparseOf(featurizer.extract(p.text), false));
    const opts = { dims: featurizer.dims, background: 1, iterations: 5, alpha: 0.1, unlabeledWeight: 1 };
    const smoothing = { smoothing: 'corpus' as const, mu: 50, initialComponent: () => 0 };
    // Every third unlabelled post three times, against it once with weight 3.
    const tripled = all.flatMap((p, i) => (i % 3 === 0 && !space.has(p.id) ? [p, p, p] : [p]));
    const copies = nbEm(sparse(tripled), clamp(tripled), 1, { ...opts, ...smoothing });
    const weights = Float64Array.from(all, (p, i) => (i % 3 === 0 && !space.has(p.id) ? 3 : 1));
    const weighted = nbEm(sparse(all), clamp(all), 1, { ...opts, ...smoothing, docWeights: weights });
    const unweighted = nbEm(sparse(all), clamp(all), 1, { ...opts, ...smoothing });
    for (let c = 0; c < 2; c++) expect(weighted.logPrior[c]).toBeCloseTo(copies.logPrior[c]!, 9);
    expect(Math.abs(unweighted.logPrior[0]! - copies.logPrior[0]!)).toBeGreaterThan(0.01);
    let largest = 0;
    let unweightedLargest = 0;
    for (let f = 0; f < copies.logProb.length; f++) {
      largest = Math.max(largest, Math.abs(weighted.logProb[f]! - copies.logProb[f]!));
      unweightedLargest = Math.max(unweightedLargest, Math.abs(unweighted.logProb[f]! - copies.logProb[f]!));
    }
    expect(largest).toBeLessThan(1e-5);
    expect(unweightedLargest).toBeGreaterThan(0.01); // the weights are what makes them equal
  });

  it('estimates from a hash sample, weighted, what a classifier accepts over the whole index', async () => {
    const all = await posts();
    const evidence = new Map(
      Object.entries(groups).map(([d, l]) => [d, { positives: seedsOf(all, l), negatives: new Set<string>() }]),
    );
    const scan = (docs: Post[]) =>
      async function* () {
        yield* docs.map(
          (p): Doc => ({
            id: p.id,
            text: p.text,
            source: { kind: 'corpus', file: newsCorpus, line: 0, original_id: p.id },
          }),
        );
      };
    const trained = await trainNaiveBayes({
      domains: Object.keys(groups).sort(),
      evidence,
      candidateDomain: new Map(),
      scan: scan(all),
      indexSize: all.length,
      config,
      log: silentLogger,
    });
    const classifiers = [...trained.values()].map(c => ({ domain: c.domain, model: c.model, threshold: c.threshold }));
    const candidates = new Set([...evidence.values()].flatMap(e => [...e.positives]));
    const candidateDomain = new Map(
      [...evidence].flatMap(([d, e]) => [...e.positives].map(id => [id, d] as [string, string])),
    );
    const whole = await scoreIndex(scan(all), classifiers, featurizer, candidateDomain, false);

    const rate = sampleRate(3000, all.length);
    const pool = all.filter(p => candidates.has(p.id) || inIndexSample(p.id, rate));
    const sampledNonCandidates = pool.filter(p => !candidates.has(p.id)).length;
    // The sample is spread as the rate says (a binomial draw: within 4 standard deviations).
    const expected = rate * (all.length - candidates.size);
    expect(Math.abs(sampledNonCandidates - expected)).toBeLessThan(4 * Math.sqrt(expected));
    const sample = indexSample({ rate, indexSize: all.length, candidates, sampledNonCandidates, scanned: pool.length });
    const weightSum = pool.reduce((n, p) => n + sample.weightOf(p.id), 0);
    expect(weightSum).toBeCloseTo(all.length, 6);
    const estimated = await scoreIndex(
      scan(pool),
      classifiers,
      featurizer,
      candidateDomain,
      false,
      undefined,
      sample.weightOf,
    );
    for (const [domain, n] of whole.accepted) {
      const inSample = estimated.acceptedScanned.get(domain)!;
      const weight = sample.weightOf('not a candidate');
      // Each sampled acceptance stands for `weight` documents: the estimate's spread is about weight·√(sampled).
      expect(Math.abs(estimated.accepted.get(domain)! - n), domain).toBeLessThan(4 * weight * Math.sqrt(inSample));
      expect(inSample, domain).toBeLessThan(0.6 * n); // unweighted, the sample's count is far short of the index's
    }
  });
});

/**
 * Two workers, two real corpora (20 Newsgroups and BBC News: two ingest shards), the relevance loop on a sample of
 * 4,000 documents: each rank samples and recalls its own shard, and every find of the recall round is a document no
 * query retrieved that the model's own classifiers accept. Weak labels only (no LLM), so no model is needed.
 */
describe.runIf(haveSharedData())('relevance_sample and relevance_recall spread over the ranks', () => {
  it('samples and recalls on both ranks and publishes the finds with their classifier domain', async () => {
    const dir = await tempDir('qcc-rel-sample-');
    const file = join(dir, 'run.yaml');
    await writeFile(
      file,
      `dataset: rel-sample
out: ${join(dir, 'out')}
cache_dir: ${join(dir, 'cache')}
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest:
  corpora:
    - { path: ${newsCorpus}, id_field: id, text_field: text }
    - { path: ${join(sharedData, 'corpora', 'bbc-news.jsonl.gz')}, id_field: id, text_field: text }
retrieve: { top_k: 25, min_relative_score: 0.3 }
filters: { gopher_quality: { enabled: false }, gopher_repetition: { enabled: false } }
relevance:
  enabled: true
  sample_docs: 4000
  semantic_boundary: { enabled: false }
  estimate: { enabled: false }
`,
    );
    const ranks = [0, 1].map(rank => startQcc(['run', '--config', file, '--rank', String(rank), '--world', '2']));
    const results = await allWorkers(ranks, { deadlineMs: 400_000 });
    for (const [rank, r] of results.entries())
      for (const step of ['relevance_sample', 'relevance_recall'])
        expect(r.stderr, `rank ${rank}, ${step}`).toMatch(new RegExp(`"event":"shard_done","step":"${step}"`));
    const read = results[0]!.stderr.match(
      /the model reads (\d+) documents: (\d+) candidates and a sample of (\d+) of the (\d+) index/,
    );
    expect(read).not.toBeNull();
    const [scanned, , , index] = read!.slice(1).map(Number);
    expect(scanned!).toBeLessThan(index! / 2);

    const work = join(dir, 'out', 'rel-sample', '.work');
    const runDir = join(work, readdirSync(work)[0]!);
    const files = {
      summary: join(runDir, 'relevance', 'model.json'),
      weights: join(runDir, 'relevance', 'weights.f32'),
      judgements: join(runDir, 'relevance', 'judgements.jsonl.gz'),
      boundary: join(runDir, 'relevance', 'boundary.jsonl.gz'),
    };
    const model = await readRelevanceModel(files);
    const preferOwn = model.summary.classifier.method !== 'nb_em';
    const recalled: Doc[] = [];
    for (const name of readdirSync(join(runDir, 'relevance', 'recall')).filter(n => n.endsWith('.jsonl.gz')))
      recalled.push(...(await readAllJsonl<Doc>(join(runDir, 'relevance', 'recall', name))));
    expect(recalled.length).toBeGreaterThan(0);
    const rate = sampleRate(4000, index!);
    const scoring = scoringTableOf(model.classifiers);
    for (const doc of recalled) {
      expect(inIndexSample(doc.id, rate), doc.id).toBe(false); // the model step decided the sampled ones
      expect(decide(scoring, featurizer.extract(doc.text), undefined, preferOwn).domain, doc.id).toBe(doc.domain);
    }

    const version = join(dir, 'out', 'rel-sample', 'v0001');
    const manifest = JSON.parse(readFileSync(join(version, 'manifest.json'), 'utf8')) as Manifest;
    const relevance = manifest.counts.relevance!;
    const modelFile = join(runDir, 'relevance', 'recall.jsonl.gz');
    const modelFinds = await readAllJsonl<Doc>(modelFile);
    expect(relevance['relevance.added.recall_round']).toBe(modelFinds.length + recalled.length);
    // The model step's finds are in blocks by candidates shard: each relevance shard reads its own block only.
    const ranges = JSON.parse(readFileSync(join(runDir, 'relevance', 'recall.blocks.json'), 'utf8')) as BlockRanges;
    const candidatesShards = readdirSync(join(runDir, 'state', 'candidates')).length;
    expect(ranges).toHaveLength(candidatesShards);
    const byBlock: string[] = [];
    for (const [part, range] of ranges.entries())
      for await (const d of readJsonlBlock<Doc>(modelFile, range)) {
        expect(partOf(d.id, ranges.length), d.id).toBe(part);
        byBlock.push(d.id);
      }
    expect(modelFinds.length).toBeGreaterThan(0);
    expect(byBlock.sort()).toEqual(modelFinds.map(d => d.id).sort());
    const row = manifest.funnel.find(f => f.step === 'relevance')!;
    expect(row.in).toBe(row.out + Object.values(row.removed).reduce((a, b) => a + b, 0));
    const published = new Map<string, Doc>();
    for (const s of manifest.shards)
      for (const d of await readAllJsonl<Doc>(join(version, s.path))) published.set(d.id, d);
    const publishedFinds = recalled.filter(d => published.get(d.id)?.relevance?.found_by === 'classifier');
    expect(publishedFinds.length).toBeGreaterThan(0);
    for (const d of publishedFinds) expect(published.get(d.id)!.domain).toBe(d.domain);
  }, 600_000);
});
