import type { Doc } from '../../../pipeline/types.js';
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
 * Scores every document of a shard against every query, as it reads them: the document's tokens are looked up in
 * the query index, and only queries that share a phrase with it are scored (FTS5 OR semantics: the others do
 * not match). Keeps each query's top k (ties: earlier document first) and every hit above the keep floor.
 */
export async function scoreShard(index: QueryIndex, stats: CollectionStats, docs: AsyncIterable<Doc>, opts: ScoreShardOptions): Promise<ScoredShard> {
  const bm25 = new Bm25(index, stats);
  const scanner = new DocScanner(index);
  const tops: TopK[] = index.queries.map(() => new TopK(opts.topK));
  const above: ShardHit[][] = [];
  const lastSeen = new Int32Array(index.queries.length).fill(-1);
  const bound = new Float64Array(index.queries.length);
  const touched: number[] = [];
  const essential = new EssentialLists(index, bm25);
  // A hit at or above the keep floor is kept whatever the top k holds: the floor caps every threshold.
  const threshold = (q: number) => Math.min(tops[q]!.threshold(), opts.keepMinScore * (1 - BOUND_SLACK) - Number.MIN_VALUE);
  const seen = new Set<string>();
  let ord = 0;
  let duplicates = 0;
  let scored = 0;
  let exact = 0;
  for await (const doc of docs) {
    if (seen.has(doc.id)) {
      duplicates++;
      continue;
    }
    seen.add(doc.id);
    if (ord % 1024 === 0) opts.signal?.throwIfAborted();
    if (ord % REBUILD_EVERY === REBUILD_EVERY - 1) essential.rebuild(threshold);
    const terms = scanner.scan(doc.text);
    // Term at a time: each present phrase adds its part to the queries for which it is essential. With what the
    // others can add at most, the sum bounds the score (up to the order of additions): it decides which queries
    // can take the document, and those are scored exactly, in FTS5's order.
    touched.length = 0;
    const lists = essential.lists;
    for (const p of terms.present) {
      const c = bm25.phraseScore(p, terms.freq[p]!, terms.length);
      for (const q of lists[p]!) {
        if (lastSeen[q] !== ord) {
          lastSeen[q] = ord;
          bound[q] = 0;
          touched.push(q);
        }
        bound[q]! += c;
      }
    }
    scored += touched.length;
    for (const q of touched) {
      const top = tops[q]!;
      const upper = (bound[q]! + essential.rest[q]!) * (1 + BOUND_SLACK);
      if (upper < opts.keepMinScore && !top.admits(upper)) continue;
      exact++;
      const score = bm25.score(q, terms);
      if (score >= opts.keepMinScore) (above[q] ??= []).push({ doc_id: doc.id, ord, score });
      else if (top.admits(score)) top.push({ doc_id: doc.id, ord, score });
    }
    ord++;
  }
  const hits: ShardHitRow[] = [];
  const keptOrds = new Set<number>();
  index.queries.forEach((q, i) => {
    const best = [...(above[i] ?? []), ...tops[i]!.sorted()].sort((a, b) => b.score - a.score || a.ord - b.ord);
    for (const h of best) {
      hits.push({ query_id: q.id, doc_id: h.doc_id, score: h.score, ord: h.ord });
      keptOrds.add(h.ord);
    }
  });
  return { hits, keptOrds, docs: ord, duplicates, scored, exact };
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
