import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllJsonl, readJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import { checkDomain, checkJudge } from '../stages/relevance/diagnostics.js';
import { domainEstimate, sampleIds, sampleTexts, shareEstimate } from '../stages/relevance/estimate.js';
import { funnelWarnings } from '../stages/filter/funnel-warnings.js';
import type { Manifest } from '../stages/write/manifest.js';
import { haveSharedData, inCI, itSlow, newsCorpus, qcc, repo, sharedData, tempDir } from './helpers.js';

const run = promisify(execFile);
const limits = { min_kept_of_positives: 1.1, max_index_share: 0.5, max_growth: 8 };

describe('relevance guards (pure checks)', () => {
  it('names a stalled classifier: it accepts fewer documents than its own positives', () => {
    // The news corpus: 1,688 candidates, the Bayes decision kept 223.
    const w = checkDomain(
      { domain: 'sports', positives: 230, retrieved: 1688, accepted: 223, indexSize: 7600 },
      limits,
    );
    expect(w?.code).toBe('classifier_stalled');
    expect(w?.message).toMatch(/sports: the classifier accepts 223 documents, fewer than 1.1 × its 230 positives/);
    expect(w?.values).toEqual({ positives: 230, retrieved: 1688, accepted: 223, index: 7600 });
  });

  it('names a flooded classifier: many times what retrieval found', () => {
    // The 20 Newsgroups train+test index: electronics drifted to 4,255 documents.
    const w = checkDomain(
      { domain: 'electronics', positives: 130, retrieved: 430, accepted: 4255, indexSize: 18846 },
      limits,
    );
    expect(w?.code).toBe('classifier_flooded');
    expect(w?.message).toMatch(/4255 documents, 22\.6% of the index and 9\.9× the 430 retrieved/);
  });

  it('passes a domain that grew within its limits', () => {
    expect(
      checkDomain({ domain: 'rural', positives: 30, retrieved: 574, accepted: 1039, indexSize: 2813 }, limits),
    ).toBeUndefined();
  });

  it('flags a judge that says yes to random documents as readily as to hits, and only then', () => {
    const lim = { min_controls: 8, max_control_yes: 0.5, min_separation: 0.25 };
    expect(checkJudge({ on_domain: 40, off_domain: 7 }, { on_domain: 15, off_domain: 0 }, lim)?.message).toMatch(
      /yes to 15 of 15 random index documents \(100%\) and to 40 of 47 retrieved hits \(85%\)/,
    );
    expect(checkJudge({ on_domain: 20, off_domain: 28 }, { on_domain: 2, off_domain: 6 }, lim)?.code).toBe(
      'judge_one_way',
    );
    expect(checkJudge({ on_domain: 40, off_domain: 8 }, { on_domain: 1, off_domain: 15 }, lim)).toBeUndefined();
    expect(checkJudge({ on_domain: 40, off_domain: 8 }, { on_domain: 3, off_domain: 1 }, lim)).toBeUndefined(); // too few controls to say
  });

  it('estimates a share with a Wilson interval from readable judgements only', () => {
    const e = shareEstimate([true, true, true, false, null, true], 0.9);
    expect(e).toMatchObject({ sample: 5, on_domain: 4, share: 0.8 });
    expect(e.low).toBeGreaterThan(0.4);
    expect(e.high).toBeLessThan(1);
    const d = domainEstimate('space', 200, [true, false], 50, [true, false, false, false], 0.9);
    expect(d.removed_on_domain.documents).toBe(13); // 0.25 × 50
    expect(d.removed_on_domain.documents_low).toBeLessThanOrEqual(13);
  });

  it('narrows the interval by the finite population correction, to the point when every document was judged', () => {
    const verdicts = [...new Array<boolean>(90).fill(true), ...new Array<boolean>(10).fill(false)];
    const infinite = shareEstimate(verdicts, 0.9);
    const ofHalf = shareEstimate(verdicts, 0.9, 200);
    const ofMany = shareEstimate(verdicts, 0.9, 1_000_000);
    expect(ofHalf.share).toBe(0.9);
    expect(ofHalf.high - ofHalf.low).toBeLessThan(0.8 * (infinite.high - infinite.low));
    expect(ofMany.low).toBeCloseTo(infinite.low, 3);
    expect(ofMany.high).toBeCloseTo(infinite.high, 3);
    expect(shareEstimate(verdicts, 0.9, 100)).toMatchObject({ share: 0.9, low: 0.9, high: 0.9 });
  });

  it('samples the same ids on every run, independent of input order', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `doc-${i}`);
    expect(sampleIds(ids, 10, 'space', 'x')).toEqual(sampleIds([...ids].reverse(), 10, 'space', 'x'));
    expect(sampleIds(ids, 10, 'space', 'x')).not.toEqual(sampleIds(ids, 10, 'medicine', 'x'));
  });

  it.runIf(haveSharedData())('reads the same sample in one pass over real posts, holding only the sample', async () => {
    const posts: { id: string; text: string }[] = [];
    for await (const r of readJsonl<{ id: string; text: string }>(newsCorpus)) if (posts.push(r) === 3000) break;
    const byId = new Map(posts.map(p => [p.id, p.text]));
    const chosen = sampleIds(byId.keys(), 200, '', 'estimate-controls');
    const stream = async function* () {
      yield* posts;
    };
    expect(await sampleTexts(stream(), 200, '', 'estimate-controls')).toEqual(chosen.map(id => byId.get(id)));
    expect(await sampleTexts(stream(), 0, '', 'estimate-controls')).toEqual([]);
  });

  it('says which rule removed most documents, pointing short corpora to the short-text profile', () => {
    const w = funnelWarnings([
      { step: 'ingest', in: 7600, out: 912, removed: { short_text: 6688 } },
      { step: 'retrieve', in: 912, out: 100, removed: { not_retrieved: 812 } },
      { step: 'filter', in: 100, out: 19, removed: { gopher_short_doc: 81 } },
    ]);
    expect(w.map(x => `${x.step}/${x.rule}`)).toEqual(['ingest/short_text', 'filter/gopher_short_doc']);
    expect(w[0]!.message).toBe(
      'ingest: rule short_text removed 6688 of 7600 documents (88%); for a corpus of short items use the short-text settings in config/profiles/short-text.yaml',
    );
  });
});

/**
 * The guards in a real run (no model: the seeds are the queries): the ABC science/rural passages, short texts where
 * the additive-smoothed naive Bayes stalls (the failure on a news corpus), and 20 Newsgroups posts where an
 * extreme prior mass makes every class drift. Each run must warn and publish the retrieved set, not a collapsed or
 * flooded domain.
 */
describe.runIf(haveSharedData() || inCI)('relevance guards in a run (real corpora, no model)', () => {
  let root: string;
  let corpora: string;

  beforeAll(async () => {
    root = await tempDir('qcc-guards-');
    corpora = join(root, 'corpora');
    await run(process.execPath, [
      join(repo, 'scripts', 'relevance', 'prepare-corpora.mjs'),
      '--corpus',
      'abc',
      '--out',
      corpora,
    ]);
  }, 300_000);

  async function runOn(
    name: string,
    corpus: string,
    seeds: string,
    classifier: Record<string, unknown>,
    guards: Record<string, unknown> = {},
  ) {
    const config = join(root, `${name}.yaml`);
    await writeFile(
      config,
      [
        `dataset: ${name}`,
        `out: ${join(root, 'out')}`,
        `cache_dir: ${join(root, 'cache')}`,
        `seeds: { files: [${seeds}] }`,
        'bootstrap: { provider: none }',
        `ingest: { corpora: [{ path: ${corpus}, id_field: id, text_field: text }] }`,
        'retrieve: { top_k: 25, min_relative_score: 0.3 }',
        // The precision estimate and the semantic boundary are tested elsewhere; these runs are about the guards.
        `relevance: { enabled: true, classifier: ${JSON.stringify(classifier)}, guards: ${JSON.stringify(guards)}, estimate: { enabled: false }, semantic_boundary: { enabled: false } }`,
        'filters: { gopher_quality: { enabled: false }, gopher_repetition: { enabled: false } }',
      ].join('\n') + '\n',
    );
    const r = await qcc(['run', '--config', config]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const versionDir = join(root, 'out', name, 'v0001');
    const manifest = JSON.parse(readFileSync(join(versionDir, 'manifest.json'), 'utf8')) as Manifest;
    const docs: Doc[] = [];
    for (const s of manifest.shards) docs.push(...(await readAllJsonl<Doc>(join(versionDir, s.path))));
    return { stderr: r.stderr, manifest, docs };
  }

  it('a stalled classifier warns and its domain keeps the retrieved set', async () => {
    const { stderr, manifest, docs } = await runOn(
      'stall',
      join(corpora, 'abc-dev.jsonl.gz'),
      join(repo, 'data', 'seeds', 'eval', 'abc.csv'),
      { em_smoothing: 'additive' },
    );
    const warnings = (manifest.relevance!.warnings ?? []) as { code: string; domain: string }[];
    expect(warnings.map(w => w.code)).toContain('classifier_stalled');
    expect(stderr).toMatch(
      /the classifier accepts \d+ documents, fewer than 1.1 × its \d+ positives \(it stalled\); fell back to the retrieved set/,
    );
    const counts = manifest.counts.candidates as Record<string, number>;
    for (const w of warnings.filter(x => x.code === 'classifier_stalled')) {
      const published = docs.filter(d => d.domain === w.domain).length;
      // Every retrieved candidate of the domain is kept (less exact duplicates), none is removed by the classifier.
      expect(published).toBeGreaterThan(0.9 * counts[`candidates.domain.${w.domain}`]!);
      expect(docs.filter(d => d.domain === w.domain && d.relevance?.found_by === 'classifier')).toHaveLength(0);
    }
  }, 600_000);

  it('the same corpus with the default (corpus-smoothed) classifier grows past its positives without a warning', async () => {
    const { manifest, docs } = await runOn(
      'ok',
      join(corpora, 'abc-dev.jsonl.gz'),
      join(repo, 'data', 'seeds', 'eval', 'abc.csv'),
      {},
    );
    expect((manifest.relevance!.warnings ?? []) as unknown[]).toEqual([]);
    expect(docs.filter(d => d.relevance?.found_by === 'classifier').length).toBeGreaterThan(300);
  }, 600_000);

  itSlow(
    'a flooded classifier warns and its domain keeps the retrieved set',
    async () => {
      const news = join(sharedData, 'corpora', '20news-bydate-train.jsonl.gz');
      const { stderr, manifest, docs } = await runOn(
        'flood',
        news,
        join(repo, 'data', 'seeds', 'demo.csv'),
        { em_mu: 1_000_000 },
        { max_growth: 3 },
      );
      const warnings = (manifest.relevance!.warnings ?? []) as { code: string; domain: string }[];
      expect(warnings.map(w => w.code)).toContain('classifier_flooded');
      expect(stderr).toMatch(/× the \d+ retrieved \(limits 50% and 3×\): it drifted; fell back to the retrieved set/);
      const counts = manifest.counts.candidates as Record<string, number>;
      for (const w of warnings) {
        const published = docs.filter(d => d.domain === w.domain).length;
        expect(published).toBeLessThanOrEqual(counts[`candidates.domain.${w.domain}`]!);
      }
    },
    600_000,
  );
});
