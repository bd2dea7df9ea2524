import type { Doc } from '../../../core/types.js';
import { Bm25 } from './bm25.js';
import type { QueryIndex } from './query-index.js';
import { DocScanner } from './scan.js';
import type { CollectionStats } from './statistics.js';
import { QueryTops } from './query-tops.js';

/** One kept (query, document) pair of a shard, as the stream_score shards store it. */
export interface ShardHitRow {
  query_id: string;
  doc_id: string;
  score: number;
  ord: number;
}

/** Relative slack on a score summed in another order than FTS5's: the two differ in the last bits only. */
const SUM_SLACK = 1e-9;

export interface ScoreShardOptions {
  /** Hits kept per query: the run's retrieve.top_k, so the merge of all shards holds the global top k. */
  topK: number;
  /** Hits at or above this score are kept beyond the top k (Infinity: none). */
  keepMinScore: number;
  /** Each query's score floor (floors.ts), by query index: only hits at or above it are kept. */
  floors?: Float64Array;
  signal?: AbortSignal;
}

export interface ScoredShard {
  /** Kept hits, query by query in query order, best first. */
  hits: ShardHitRow[];
  /** Positions (`ord`) of the documents some kept hit names. */
  keptOrds: Set<number>;
  docs: number;
  duplicates: number;
  /** Matching (query, document) pairs: the document holds one of the query's phrases. */
  scored: number;
  /** Matching pairs scored exactly: those whose score could enter the query's kept hits. */
  exact: number;
}

/** Each query's phrases in query order, flattened: query q's are `phrases[start[q]]` up to `phrases[start[q + 1]]`. */
function queryPhrases(index: QueryIndex): { start: Int32Array; phrases: Int32Array } {
  const start = new Int32Array(index.queries.length + 1);
  index.queries.forEach((q, i) => (start[i + 1] = start[i]! + q.phrases.length));
  return { start, phrases: Int32Array.from(index.queries.flatMap(q => q.phrases)) };
}

/** For each phrase, the queries holding it, once per occurrence (a repeated phrase counts twice), flattened. */
function phraseLists(index: QueryIndex): { start: Int32Array; queries: Int32Array } {
  const counts = new Int32Array(index.phrases.length + 1);
  for (const q of index.queries) for (const p of q.phrases) counts[p + 1]!++;
  for (let p = 0; p < index.phrases.length; p++) counts[p + 1]! += counts[p]!;
  const queries = new Int32Array(counts[index.phrases.length]!);
  const fill = counts.slice(0, index.phrases.length);
  index.queries.forEach((q, i) => {
    for (const p of q.phrases) queries[fill[p]!++] = i;
  });
  return { start: counts, queries };
}

/**
 * One shard's scoring state. The per-document work is a plain synchronous method (V8 optimizes it far better
 * than the body of an async loop).
 */
class ShardScorer {
  private readonly bm25: Bm25;
  private readonly scanner: DocScanner;
  private readonly tops: QueryTops;
  private readonly above: { ord: number; score: number }[][] = [];
  private readonly ids: string[] = [];
  private readonly lists: { start: Int32Array; queries: Int32Array };
  private readonly phrasesOf: { start: Int32Array; phrases: Int32Array };
  /** What each phrase present in the current document adds to a score (stale for the others). */
  private readonly part: Float64Array;
  private readonly lastSeen: Int32Array;
  private readonly sum: Float64Array;
  private readonly touched: Int32Array;
  /** A score at or below `cut[q]` cannot be kept for q: the top k's threshold, the floor, the keep floor. */
  private readonly cut: Float64Array;
  private readonly keepMinScore: number;
  private readonly keepCut: number;
  private readonly floors: Float64Array;
  /** The floors lowered by the slack: a score at or below one is below its floor. */
  private readonly floorCuts: Float64Array;
  ord = 0;
  scored = 0;
  exact = 0;

  constructor(
    private readonly index: QueryIndex,
    stats: CollectionStats,
    opts: ScoreShardOptions,
  ) {
    const queries = index.queries.length;
    this.bm25 = new Bm25(index, stats);
    this.scanner = new DocScanner(index);
    this.tops = new QueryTops(queries, opts.topK);
    this.lists = phraseLists(index);
    this.phrasesOf = queryPhrases(index);
    this.part = new Float64Array(index.phrases.length);
    this.lastSeen = new Int32Array(queries).fill(-1);
    this.sum = new Float64Array(queries);
    this.touched = new Int32Array(queries);
    this.keepMinScore = opts.keepMinScore;
    this.keepCut = opts.keepMinScore * (1 - SUM_SLACK) - Number.MIN_VALUE;
    this.floors = opts.floors ?? new Float64Array(queries).fill(-Infinity);
    this.floorCuts = this.floors.map(f => f * (1 - Math.sign(f) * SUM_SLACK) - Number.MIN_VALUE);
    this.cut = new Float64Array(queries);
    for (let q = 0; q < queries; q++) this.cut[q] = this.cutOf(q);
  }

  /** A hit at or above the keep floor is kept whatever the top k holds: the keep floor caps every cut. */
  private cutOf(q: number): number {
    return Math.min(Math.max(this.floorCuts[q]!, this.tops.threshold(q)), this.keepCut);
  }

  add(doc: Doc): void {
    const ord = this.ord++;
    this.ids.push(doc.id);
    const terms = this.scanner.scan(doc.text);
    // Term at a time: each present phrase adds its part to every query holding it. The sum is the score up to the
    // order of additions, so it decides which queries can take the document; those are scored again exactly, in
    // FTS5's order, so that ties break as the index breaks them.
    const { lastSeen, sum, touched, cut, bm25, tops, floors, part } = this;
    const { start, queries } = this.lists;
    const freq = terms.freq;
    let n = 0;
    const present = terms.present;
    for (let i = 0; i < present.length; i++) {
      const p = present[i]!;
      const c = bm25.phraseScore(p, freq[p]!, terms.length);
      part[p] = c;
      for (let j = start[p]!, end = start[p + 1]!; j < end; j++) {
        const q = queries[j]!;
        if (lastSeen[q] !== ord) {
          lastSeen[q] = ord;
          sum[q] = c;
          touched[n++] = q;
        } else sum[q]! += c;
      }
    }
    this.scored += n;
    for (let i = 0; i < n; i++) {
      const q = touched[i]!;
      if (sum[q]! * (1 + SUM_SLACK) <= cut[q]!) continue;
      this.exact++;
      // bm25.score's sum, from the parts already computed: the same values added in the same order.
      let score = 0.0;
      for (let j = this.phrasesOf.start[q]!, end = this.phrasesOf.start[q + 1]!; j < end; j++) {
        const p = this.phrasesOf.phrases[j]!;
        if (freq[p]! > 0) score += part[p]!;
      }
      if (score >= this.keepMinScore) (this.above[q] ??= []).push({ ord, score });
      else if (score >= floors[q]!) {
        tops.push(q, score, ord);
        cut[q] = this.cutOf(q);
      }
    }
  }

  /** Kept hits, query by query, best first; and the positions of the documents they name. */
  result(): { hits: ShardHitRow[]; keptOrds: Set<number> } {
    const hits: ShardHitRow[] = [];
    const keptOrds = new Set<number>();
    this.index.queries.forEach((q, i) => {
      const best = [...(this.above[i] ?? []), ...this.tops.sorted(i)].sort(
        (a, b) => b.score - a.score || a.ord - b.ord,
      );
      for (const h of best) {
        hits.push({ query_id: q.id, doc_id: this.ids[h.ord]!, score: h.score, ord: h.ord });
        keptOrds.add(h.ord);
      }
    });
    return { hits, keptOrds };
  }
}

/**
 * Scores every document of a shard against every query, as it reads them: the document's tokens are looked up in
 * the query index, and only queries that share a phrase with it are scored (FTS5 OR semantics: the others do
 * not match). Keeps each query's top k (ties: earlier document first) and every hit above the keep floor.
 */
export async function scoreShard(
  index: QueryIndex,
  stats: CollectionStats,
  docs: AsyncIterable<Doc>,
  opts: ScoreShardOptions,
): Promise<ScoredShard> {
  const scorer = new ShardScorer(index, stats, opts);
  const seen = new Set<string>();
  let duplicates = 0;
  for await (const doc of docs) {
    if (seen.has(doc.id)) {
      duplicates++;
      continue;
    }
    seen.add(doc.id);
    if (scorer.ord % 1024 === 0) opts.signal?.throwIfAborted();
    scorer.add(doc);
  }
  const { hits, keptOrds } = scorer.result();
  return { hits, keptOrds, docs: scorer.ord, duplicates, scored: scorer.scored, exact: scorer.exact };
}

/** The documents at the given positions, read again from the shard with the same numbering as `scoreShard`. */
export async function* docsAt(docs: AsyncIterable<Doc>, ords: Set<number>): AsyncIterable<Doc> {
  const seen = new Set<string>();
  let ord = 0;
  for await (const doc of docs) {
    if (seen.has(doc.id)) continue;
    seen.add(doc.id);
    if (ords.has(ord++)) yield doc;
  }
}
