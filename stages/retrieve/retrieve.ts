import type { Query, StageContext } from '../../core/types.js';
import type { IndexHit, SearchRequest } from '../index/contract.js';
import type { RetrieveConfig } from './config.js';

export interface Searcher {
  searchBatch(requests: SearchRequest[]): IndexHit[][] | Promise<IndexHit[][]>;
}

/** One retrieved (query, document) pair, as the retrieve shards store it. */
export interface HitRow {
  query_id: string;
  domain: string;
  doc_id: string;
  score: number;
  rank: number;
}

type RetrieveCtx = StageContext<
  Pick<RetrieveConfig, 'top_k' | 'min_score' | 'min_relative_score'> & Partial<RetrieveConfig>
> & {
  index: Searcher;
};

async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncIterable<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * A query's hits (best first) cut by the absolute floor and by the floor relative to its best hit, with the
 * retrieve counters. The indexed and the streaming path both end here, so their cuts are the same.
 */
export function* cutHits(
  query: Pick<Query, 'id' | 'domain'>,
  hits: IndexHit[],
  config: Pick<RetrieveConfig, 'min_score' | 'min_relative_score'>,
  counters: StageContext<unknown>['counters'],
): Iterable<HitRow> {
  counters.add('retrieve.queries');
  if (hits.length === 0) {
    counters.add('retrieve.queries_without_hits');
    return;
  }
  const floor = Math.max(config.min_score, hits[0]!.score * config.min_relative_score);
  for (const hit of hits) {
    if (hit.score < floor) {
      counters.add('retrieve.below_min_score');
      continue;
    }
    counters.add('retrieve.hits');
    yield { query_id: query.id, domain: query.domain, doc_id: hit.id, score: hit.score, rank: hit.rank };
  }
}

/**
 * BM25 top-k per query, cut by an absolute floor and by a floor relative to the query's best hit.
 * Queries go to the index in batches, several batches in flight; rows come out in query order.
 */
export async function* retrieve(queries: AsyncIterable<Query>, ctx: RetrieveCtx): AsyncIterable<HitRow> {
  const { top_k } = ctx.config;
  const batchSize = ctx.config.batch_size ?? 32;
  const concurrency = ctx.config.concurrency ?? 2;
  const inFlight: { queries: Query[]; hits: Promise<IndexHit[][]> }[] = [];

  async function* drainOne(): AsyncIterable<HitRow> {
    const next = inFlight.shift()!;
    const results = await next.hits;
    for (const [i, query] of next.queries.entries()) yield* cutHits(query, results[i]!, ctx.config, ctx.counters);
  }

  for await (const batch of batches(queries, batchSize)) {
    ctx.signal.throwIfAborted();
    const hits = Promise.resolve().then(() => ctx.index.searchBatch(batch.map(q => ({ query: q.text, k: top_k }))));
    hits.catch(() => {}); // awaited in order below; avoids an unhandled rejection while earlier batches drain
    inFlight.push({ queries: batch, hits });
    if (inFlight.length >= concurrency) yield* drainOne();
  }
  while (inFlight.length > 0) yield* drainOne();
}
