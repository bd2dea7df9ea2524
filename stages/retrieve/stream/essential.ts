import type { Bm25 } from './bm25.js';
import type { QueryIndex } from './query-index.js';

/** Relative slack on every bound: sums in another order differ from FTS5's in the last bits only. */
export const BOUND_SLACK = 1e-9;

/**
 * MaxScore pruning over the query index. A phrase adds at most idf·(k1 + 1) to a score, whatever the document.
 * For a query whose kept hits already need more than `threshold`, its lowest-bound phrases whose bounds sum to at
 * most the threshold are non-essential: a document holding none of its other (essential) phrases cannot enter.
 * So a document walks, for each phrase it holds, only the queries for which that phrase is essential; `rest[q]`
 * bounds what q's non-essential phrases can add. Thresholds only grow, so lists built earlier stay correct
 * (they hold more queries than needed) until the next rebuild.
 */
export class EssentialLists {
  /** Queries by phrase, once per occurrence of the phrase in the query (a repeated phrase counts twice). */
  lists: number[][];
  readonly rest: Float64Array;
  private readonly upper: Float64Array;
  /** Each query's phrase occurrences, lowest bound first. */
  private readonly byBound: number[][];

  constructor(
    private readonly index: QueryIndex,
    bm25: Bm25,
  ) {
    this.upper = new Float64Array(index.phrases.length).map((_, p) => bm25.maxPhraseScore(p));
    this.byBound = index.queries.map(q => [...q.phrases].sort((a, b) => this.upper[a]! - this.upper[b]!));
    this.rest = new Float64Array(index.queries.length);
    this.lists = this.build(() => -Infinity);
  }

  /** `threshold(q)`: a document with a score at or below it cannot be kept for q (-Infinity: any can). */
  rebuild(threshold: (q: number) => number): void {
    this.lists = this.build(threshold);
  }

  private build(threshold: (q: number) => number): number[][] {
    const lists: number[][] = this.index.phrases.map(() => []);
    this.byBound.forEach((phrases, q) => {
      const limit = threshold(q) / (1 + BOUND_SLACK);
      let sum = 0;
      let i = 0;
      while (i < phrases.length && sum + this.upper[phrases[i]!]! <= limit) sum += this.upper[phrases[i++]!]!;
      this.rest[q] = i === 0 ? 0 : sum;
      for (; i < phrases.length; i++) lists[phrases[i]!]!.push(q);
    });
    return lists;
  }
}
