import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Query } from '../core/types.js';
import { testContext } from './stage-context.js';
import type { SearchRequest } from '../stages/index/contract.js';
import { Fts5Index } from '../stages/index/fts5.js';
import { aggregateHits } from '../stages/retrieve/aggregate.js';
import { retrieve, type HitRow } from '../stages/retrieve/retrieve.js';
import { haveSharedData, tempDir } from './helpers.js';
import { collect, fromList, newsDocs } from './index-helpers.js';

const query = (id: string, domain: string, text: string): Query => ({
  id,
  domain,
  text,
  lineage: { seed_id: id, round: 0, method: 'seed' },
});

const QUERIES = [
  query('q1', 'space', 'space shuttle launch'),
  query('q2', 'space', 'orbit satellite mission'),
  query('q3', 'medicine', 'doctor patient disease'),
  query('q4', 'medicine', 'the of and'),
  query('q5', 'cryptography', 'encryption key chip'),
  query('q6', 'space', 'NASA shuttle orbit'),
  query('q7', 'electronics', 'circuit voltage'),
];

describe.runIf(haveSharedData())('retrieve stage on an FTS5 index of real posts', () => {
  let index: Fts5Index;
  beforeAll(async () => {
    index = new Fts5Index(join(await tempDir(), 'index.sqlite'));
    await index.addShard('a', newsDocs(3000, { every: 3 }));
  });

  const run = async (
    config: Record<string, number>,
    searcher: { searchBatch(r: SearchRequest[]): unknown } = index,
  ) => {
    const ctx = {
      ...testContext({ top_k: 10, min_score: 0, min_relative_score: 0, ...config }),
      index: searcher as Fts5Index,
    };
    return { rows: await collect(retrieve(fromList(QUERIES), ctx)), counters: ctx.counters };
  };

  it('gives each query its top k in query order, whatever the batching and concurrency', async () => {
    const one = await run({ batch_size: 1, concurrency: 1 });
    const many = await run({ batch_size: 3, concurrency: 3 });
    expect(many.rows).toEqual(one.rows);
    expect(one.rows.filter(r => r.query_id === 'q1')).toHaveLength(10);
    expect([...new Set(one.rows.map(r => r.query_id))]).toEqual(['q1', 'q2', 'q3', 'q5', 'q6', 'q7']);
    expect(one.counters.get('retrieve.queries')).toBe(7);
    expect(one.counters.get('retrieve.queries_without_hits')).toBe(1);
    const direct = index.search('space shuttle launch', 10);
    expect(one.rows.filter(r => r.query_id === 'q1').map(r => [r.doc_id, r.score, r.rank])).toEqual(
      direct.map(h => [h.id, h.score, h.rank]),
    );
  });

  it('cuts hits below the absolute and the relative floor', async () => {
    const all = (await run({})).rows;
    const best = new Map<string, number>();
    for (const r of all) best.set(r.query_id, Math.max(best.get(r.query_id) ?? 0, r.score));
    const relative = await run({ min_relative_score: 0.8 });
    expect(relative.rows.length).toBeLessThan(all.length);
    for (const r of relative.rows) expect(r.score).toBeGreaterThanOrEqual(best.get(r.query_id)! * 0.8);
    expect(relative.rows.length + relative.counters.get('retrieve.below_min_score')).toBe(all.length);
    const floor = all.map(r => r.score).sort((a, b) => a - b)[Math.floor(all.length / 2)]!;
    const absolute = await run({ min_score: floor });
    expect(absolute.rows.length).toBeGreaterThan(0);
    for (const r of absolute.rows) expect(r.score).toBeGreaterThanOrEqual(floor);
  });

  it('stops on an index error, naming it', async () => {
    const broken = { searchBatch: () => Promise.reject(new Error('index gone')) };
    await expect(run({}, broken)).rejects.toThrow('index gone');
  });

  it('aggregates per document: which queries, best score, how many', async () => {
    const rows: HitRow[] = (await run({ top_k: 50 })).rows;
    const candidates = await aggregateHits(rows);
    const byDoc = new Map<string, HitRow[]>();
    for (const r of rows) byDoc.set(r.doc_id, [...(byDoc.get(r.doc_id) ?? []), r]);
    expect(candidates.size).toBe(byDoc.size);
    const shared = [...byDoc.entries()].find(([, hits]) => new Set(hits.map(h => h.query_id)).size > 1);
    expect(shared, 'some document is found by two queries').toBeDefined();
    const [id, hits] = shared!;
    const c = candidates.get(id)!;
    expect(c.hits.map(h => h.query_id).sort()).toEqual(hits.map(h => h.query_id).sort());
    expect(c.best_score).toBe(Math.max(...hits.map(h => h.score)));
  });
});
