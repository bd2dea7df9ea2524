import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import { type Doc, type Query, silentLogger } from '../core/types.js';
import { relevanceConfigSchema } from '../stages/relevance/config.js';
import { quantileOf, semanticBoundary } from '../stages/relevance/semantic-boundary.js';
import { trainNaiveBayes } from '../stages/relevance/train-nb.js';
import { featurizerOf } from '../stages/relevance/train.js';
import { openEmbedderOrSkip } from './embed-helpers.js';
import { haveSharedData, newsCorpus, repo, tempDir } from './helpers.js';
import { sharedCacheDir } from './relevance-helpers.js';

/** The demo's medicine and space seeds as queries (written from the topic names). */
function seedQueries(): Map<string, Query> {
  const rows = readFileSync(join(repo, 'data', 'seeds', 'demo.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const queries = new Map<string, Query>();
  rows.forEach((row, i) => {
    const [domain, , , ...text] = row.split(',');
    if (domain !== 'medicine' && domain !== 'space') return;
    const id = `q-${i}`;
    queries.set(id, { id, domain, text: text.join(','), lineage: { seed_id: `s-${i}`, round: 0, method: 'seed' } });
  });
  return queries;
}

describe('quantileOf', () => {
  it('takes the value at ⌊q·(n−1)⌋ of the sorted scores, none without scores', () => {
    expect(quantileOf([5, 1, 3, 2, 4], 0)).toBe(1);
    expect(quantileOf([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantileOf([5, 1, 3, 2, 4], 0.3)).toBe(2);
    expect(quantileOf([5, 1, 3, 2, 4], 1)).toBe(5);
    expect(quantileOf([], 0.05)).toBeNull();
  });
});

describe.runIf(haveSharedData())(
  'semantic evidence at the boundary (real posts, real classifier, real embedder)',
  () => {
    it('judges only the band at each side of the decision, by the rule, and what it takes in is mostly on-domain', async () => {
      const probe = await openEmbedderOrSkip({ threads: 1 });
      if (!probe) return;
      await probe.close();
      const wantedLabels = new Set(['sci.med', 'sci.space', 'sci.electronics', 'rec.autos']);
      const posts: (Doc & { label: string })[] = [];
      const perLabel = new Map<string, number>();
      for await (const r of readJsonl<{ id: string; label: string; text: string }>(newsCorpus)) {
        if (!wantedLabels.has(r.label) || (perLabel.get(r.label) ?? 0) >= 300) continue;
        perLabel.set(r.label, (perLabel.get(r.label) ?? 0) + 1);
        posts.push({ id: r.id, text: r.text, label: r.label } as never);
      }
      const labelOf = new Map(posts.map(p => [p.id, p.label]));
      // Weak positives like the pipeline's: a few dozen posts of the group, some of them strangers.
      const positivesOf = (label: string, stranger: string) =>
        new Set([
          ...posts
            .filter(p => p.label === label)
            .slice(0, 30)
            .map(p => p.id),
          ...posts
            .filter(p => p.label === stranger)
            .slice(0, 4)
            .map(p => p.id),
        ]);
      const evidence = new Map([
        ['medicine', { positives: positivesOf('sci.med', 'rec.autos'), negatives: new Set<string>() }],
        ['space', { positives: positivesOf('sci.space', 'sci.electronics'), negatives: new Set<string>() }],
      ]);
      const config = relevanceConfigSchema.parse({
        enabled: true,
        classifier: { hash_bits: 16 },
        // Fewer controls and passages than the defaults: the rule is under test here, not the judge's accuracy.
        estimate: { semantic: { controls: 60, chunks: 2 } },
      });
      const scan = async function* () {
        yield* posts;
      };
      const trained = await trainNaiveBayes({
        domains: ['medicine', 'space'],
        evidence,
        candidateDomain: new Map(),
        scan,
        indexSize: posts.length,
        config: config.classifier,
        log: silentLogger,
      });
      const classifiers = ['medicine', 'space'].map(d => {
        const c = trained.get(d)!;
        return { domain: d, model: c.model, threshold: c.threshold };
      });
      const featurizer = featurizerOf(config.classifier);
      const accepted = new Map([
        ['medicine', 0],
        ['space', 0],
      ]);
      const { decide, scoringTableOf } = await import('../stages/relevance/model-file.js');
      const scoring = scoringTableOf(classifiers);
      for (const p of posts) {
        const v = decide(scoring, featurizer.extract(p.text), undefined, false);
        if (v.domain) accepted.set(v.domain, accepted.get(v.domain)! + 1);
      }
      const cacheDir = join(process.env.QCC_CACHE_DIR ? sharedCacheDir() : await tempDir('qcc-boundary-'), 'embed');
      const inputs = {
        config,
        classifiers,
        featurizer,
        candidateDomain: new Map<string, string>(),
        preferOwn: false,
        accepted,
        positives: (d: string) => evidence.get(d)!.positives,
        queries: seedQueries(),
        scan,
        embedCacheDir: cacheDir,
        log: silentLogger,
      };
      const result = await semanticBoundary(inputs);
      expect(result).not.toBeNull();
      const { band, max_per_domain } = config.semantic_boundary;
      const label = { medicine: 'sci.med', space: 'sci.space' } as Record<string, string>;
      const added = result!.decisions.filter(x => x.domain !== null);
      for (const d of ['medicine', 'space']) {
        const s = result!.domains[d]!;
        const n = Math.min(max_per_domain, Math.ceil(band * accepted.get(d)!));
        expect(s.examined_accepted, d).toBe(0);
        expect(s.examined_rejected, d).toBe(n);
        expect(s.added, d).toBe(added.filter(x => x.domain === d).length);
        expect(s.bar, d).not.toBeNull();
        expect(s.positives_used, d).toBeGreaterThan(15);
      }
      // By default it only takes in: a rejected document nearest the domain and at or over its bar.
      expect(result!.decisions.filter(x => x.domain === null)).toEqual([]);
      for (const x of added) expect(x.nearest === x.domain && x.z >= x.bar, JSON.stringify(x)).toBe(true);
      expect(added.length).toBeGreaterThan(0);
      const addedRight = added.filter(x => labelOf.get(x.id) === label[x.domain!]).length;
      console.log(`semantic boundary: took in ${added.length} (${addedRight} of their group)`);
      expect(addedRight / added.length).toBeGreaterThanOrEqual(0.8);
      // Documents no query retrieved are carried for the recall round.
      expect(result!.addedDocs.size).toBe(added.length);
      // Judged again from the vector cache: nothing embedded, the same decisions.
      const again = await semanticBoundary(inputs);
      expect(again!.embedded).toBe(0);
      expect(again!.decisions).toEqual(result!.decisions);
      // With take_out the accepted side of the band is judged too: the same documents taken in, and what it takes
      // out the judge puts in another domain, under the bar.
      const both = await semanticBoundary({
        ...inputs,
        config: { ...config, semantic_boundary: { ...config.semantic_boundary, take_out: true } },
      });
      expect(both!.decisions.filter(x => x.domain !== null)).toEqual(added);
      const removed = both!.decisions.filter(x => x.domain === null);
      for (const d of ['medicine', 'space'])
        expect(both!.domains[d]!.examined_accepted, d).toBe(
          Math.min(max_per_domain, Math.ceil(band * accepted.get(d)!)),
        );
      for (const x of removed) expect(x.nearest !== x.examined_in && x.z < x.bar, JSON.stringify(x)).toBe(true);
      const removedWrong = removed.filter(x => labelOf.get(x.id) !== label[x.examined_in]).length;
      console.log(`semantic boundary, take_out: took out ${removed.length} (${removedWrong} of another group)`);
      if (removed.length) expect(removedWrong / removed.length).toBeGreaterThanOrEqual(0.5);
    });
  },
);
