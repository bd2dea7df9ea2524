import type { Doc } from '../../../core/types.js';
import { Bm25 } from './bm25.js';
import type { QueryIndex } from './query-index.js';
import { DocScanner } from './scan.js';
import { BOUND_SLACK, EssentialLists } from './essential.js';
import type { CollectionStats } from './statistics.js';
import { TopK, type ShardHit } from './top-k.js';

/** One kept (query, document) pair of a shard, as the stream_score shards store it. */
export interface ShardHitRow {
  query_id: string;
  doc_id: string;
  score: number;
  ord: number;
}

/** Documents between rebuilds of the essential-phrase lists (a rebuild walks every query's phrases once). */
const REBUILD_EVERY = 256;

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
  /** (query, document) pairs walked: the document holds one of the query's essential phrases (essential.ts). */
  scored: number;
  /** Matching pairs scored exactly: those whose score could enter the query's kept hits. */
  exact: number;
}

/**
 * One shard's scoring state. The per-document work is a plain synchronous method (V8 optimizes it far better
 * than the body of an async loop).
 */
class ShardScorer {
  private readonly bm25: Bm25;
  private readonly scanner: DocScanner;
  private readonly tops: TopK[];
  private readonly above: ShardHit[][] = [];
  private readonly lastSeen: Int32Array;
  private readonly bound: Float64Array;
  private readonly touched: number[] = [];
  private readonly essential: EssentialLists;
  private readonly keepMinScore: number;
  private readonly floors: Float64Array;
  /** The floors lowered by the bound slack: a threshold (a score at or below it cannot be kept) for each. */
  private readonly floorThresholds: Float64Array;
  ord = 0;
  scored = 0;
  exact = 0;

  constructor(
    private readonly index: QueryIndex,
    stats: CollectionStats,
    opts: ScoreShardOptions,
  ) {
    this.bm25 = new Bm25(index, stats);
    this.scanner = new DocScanner(index);
    this.tops = index.queries.map(() => new TopK(opts.topK));
    this.lastSeen = new Int32Array(index.queries.length).fill(-1);
    this.bound = new Float64Array(index.queries.length);
    this.essential = new EssentialLists(index, this.bm25);
    this.keepMinScore = opts.keepMinScore;
    this.floors = opts.floors ?? new Float64Array(index.queries.length).fill(-Infinity);
    this.floorThresholds = this.floors.map(f => f * (1 - Math.sign(f) * BOUND_SLACK) - Number.MIN_VALUE);
    if (opts.floors) this.essential.rebuild(q => this.threshold(q));
  }

  /** A hit at or above the keep floor is kept whatever the top k holds: the floor caps every threshold. */
  private threshold(q: number): number {
    return Math.min(
      Math.max(this.floorThresholds[q]!, this.tops[q]!.threshold()),
      this.keepMinScore * (1 - BOUND_SLACK) - Number.MIN_VALUE,
    );
  }

  add(doc: Doc): void {
    const ord = this.ord++;
    if (ord % REBUILD_EVERY === REBUILD_EVERY - 1) this.essential.rebuild(q => this.threshold(q));
    const terms = this.scanner.scan(doc.text);
    // Term at a time: each present phrase adds its part to the queries for which it is essential. With what the
    // others can add at most, the sum bounds the score (up to the order of additions): it decides which queries
    // can take the document, and those are scored exactly, in FTS5's order.
    const { lastSeen, bound, touched, bm25, tops, floors } = this;
    const lists = this.essential.lists;
    const rest = this.essential.rest;
    touched.length = 0;
    const present = terms.present;
    for (let i = 0; i < present.length; i++) {
      const p = present[i]!;
      const c = bm25.phraseScore(p, terms.freq[p]!, terms.length);
      const list = lists[p]!;
      for (let j = 0; j < list.length; j++) {
        const q = list[j]!;
        if (lastSeen[q] !== ord) {
          lastSeen[q] = ord;
          bound[q] = c;
          touched.push(q);
        } else bound[q]! += c;
      }
    }
    this.scored += touched.length;
    for (let i = 0; i < touched.length; i++) {
      const q = touched[i]!;
      const top = tops[q]!;
      const upper = (bound[q]! + rest[q]!) * (1 + BOUND_SLACK);
      if (upper < this.keepMinScore && (upper < floors[q]! || !top.admits(upper))) continue;
      this.exact++;
      const score = bm25.score(q, terms);
      if (score >= this.keepMinScore) (this.above[q] ??= []).push({ doc_id: doc.id, ord, score });
      else if (score >= floors[q]! && top.admits(score)) top.push({ doc_id: doc.id, ord, score });
    }
  }

  /** Kept hits, query by query, best first; and the positions of the documents they name. */
  result(): { hits: ShardHitRow[]; keptOrds: Set<number> } {
    const hits: ShardHitRow[] = [];
    const keptOrds = new Set<number>();
    this.index.queries.forEach((q, i) => {
      const best = [...(this.above[i] ?? []), ...this.tops[i]!.sorted()].sort(
        (a, b) => b.score - a.score || a.ord - b.ord,
      );
      for (const h of best) {
        hits.push({ query_id: q.id, doc_id: h.doc_id, score: h.score, ord: h.ord });
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
