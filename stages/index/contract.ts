import type { Doc } from '../../core/types.js';

export interface IndexHit {
  id: string;
  score: number;
  rank: number;
}

export interface IndexedDocInfo {
  id: string;
  exactHash: string;
  length: number;
}

/** Keyword filters: a hit must match one of the listed values of every given field. */
export interface SearchFilters {
  domain?: string[];
  lang?: string[];
  crawl?: string[];
}

export interface SearchRequest {
  query: string;
  k: number;
  filters?: SearchFilters;
}

export interface ShardResult {
  indexed: number;
  duplicates: number;
}

export interface IndexStats {
  docs: number;
  shards: number;
}

/**
 * What every BM25 backend (SQLite FTS5, Elasticsearch) offers. Methods may answer synchronously or with
 * a promise; callers always `await`. Adding a shard is idempotent by document id and atomic per shard:
 * a shard is committed with a completion record only after all its documents are durable.
 * Queries are free text: no query syntax of either backend is ever interpreted.
 */
export interface SearchIndex {
  readonly backend: 'fts5' | 'elasticsearch';
  hasShard(shard: string): boolean | Promise<boolean>;
  /** What a committed shard added, or undefined if it is not committed. */
  shard(shard: string): ShardResult | undefined | Promise<ShardResult | undefined>;
  addShard(shard: string, docs: AsyncIterable<Doc>, batchSize?: number): Promise<ShardResult>;
  search(query: string, k: number, filters?: SearchFilters): IndexHit[] | Promise<IndexHit[]>;
  /** Several queries at once (Elasticsearch: one `_msearch`); answers in request order. */
  searchBatch(requests: SearchRequest[]): IndexHit[][] | Promise<IndexHit[][]>;
  /** Full records in the order of `ids`; an unknown id is an error naming it. */
  getDocs(ids: string[]): Doc[] | Promise<Doc[]>;
  info(ids: string[]): IndexedDocInfo[] | Promise<IndexedDocInfo[]>;
  stats(): IndexStats | Promise<IndexStats>;
  close(): void | Promise<void>;
}
