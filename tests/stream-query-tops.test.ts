import { describe, expect, it } from 'vitest';
import { QueryTops } from '../stages/retrieve/stream/query-tops.js';

/** The best k of a stream by a full sort: higher score first, then the earlier document. */
const bestBySort = (hits: { score: number; ord: number }[], k: number) =>
  [...hits].sort((a, b) => b.score - a.score || a.ord - b.ord).slice(0, k);

describe("QueryTops, the shard scorer's per-query heaps", () => {
  it('keeps what a full sort keeps, ties going to the earlier document, for every query', () => {
    // Few distinct scores, so most admissions meet a tie with the worst kept hit.
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const queries = 5;
    const k = 7;
    const tops = new QueryTops(queries, k);
    const all: { score: number; ord: number }[][] = Array.from({ length: queries }, () => []);
    for (let ord = 0; ord < 2000; ord++) {
      const q = Math.floor(next() * queries);
      const score = Math.floor(next() * 12) / 4;
      all[q]!.push({ score, ord });
      tops.push(q, score, ord);
    }
    for (let q = 0; q < queries; q++) {
      expect(tops.sorted(q)).toEqual(bestBySort(all[q]!, k));
      expect(tops.threshold(q)).toBe(bestBySort(all[q]!, k).at(-1)!.score);
    }
  });

  it('admits anything until a query holds k hits, and a query never hit holds none', () => {
    const tops = new QueryTops(2, 3);
    expect(tops.threshold(0)).toBe(-Infinity);
    tops.push(0, 1, 0);
    tops.push(0, 0.5, 1);
    expect(tops.threshold(0)).toBe(-Infinity);
    tops.push(0, 2, 2);
    expect(tops.threshold(0)).toBe(0.5);
    tops.push(0, 0.5, 3); // a tie with the worst, later: not admitted
    expect(tops.sorted(0)).toEqual([
      { score: 2, ord: 2 },
      { score: 1, ord: 0 },
      { score: 0.5, ord: 1 },
    ]);
    expect(tops.sorted(1)).toEqual([]);
  });
});
