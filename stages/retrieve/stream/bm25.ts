import type { QueryIndex } from './query-index.js';
import type { DocTerms } from './scan.js';
import type { CollectionStats } from './statistics.js';
import { sqliteLn } from './sqlite-ln.js';

/** SQLite FTS5's bm25() constants (fts5_aux.c): k1 = 1.2, b = 0.75, and the floor of a non-positive idf. */
const K1 = 1.2;
const B = 0.75;
const MIN_IDF = 1e-6;

/**
 * FTS5's bm25() over fixed collection statistics, evaluated in the same order of floating-point operations as
 * fts5Bm25Function: the idf per phrase, then the sum of the phrases' parts in query order (`score`; the shard
 * scorer sums the same parts in the same order), so the scores are the indexed path's `-bm25(fts)` to the last
 * bit when the statistics are the index's.
 */
export class Bm25 {
  private readonly idf: Float64Array;
  private readonly avgdl: number;

  constructor(
    private readonly index: QueryIndex,
    stats: CollectionStats,
  ) {
    const n = stats.docs;
    this.avgdl = stats.tokens / n;
    this.idf = new Float64Array(index.phrases.length);
    index.phrases.forEach((p, i) => {
      const hits = stats.df[p.key] ?? 0;
      let idf = sqliteLn((n - hits + 0.5) / (hits + 0.5));
      if (idf <= 0.0) idf = MIN_IDF;
      this.idf[i] = idf;
    });
  }

  /** What phrase `p`, `f` times in a document of `d` tokens, adds to a query's score. */
  phraseScore(p: number, f: number, d: number): number {
    return this.idf[p]! * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + (B * d) / this.avgdl)));
  }

  /**
   * The score of query `q` for a document that holds at least one of its phrases (an FTS5 match), summed over
   * the query's phrases in query order as FTS5 sums (an absent phrase adds exactly 0).
   */
  score(q: number, doc: DocTerms): number {
    let score = 0.0;
    for (const p of this.index.queries[q]!.phrases) {
      const f = doc.freq[p]!;
      if (f > 0) score += this.phraseScore(p, f, doc.length);
    }
    return score;
  }
}
