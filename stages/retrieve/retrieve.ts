import type { Query, StageContext } from '../../pipeline/types.js';
import type { IndexHit } from '../index/fts5.js';
import type { RetrieveConfig } from './config.js';

export interface Searcher {
  search(query: string, k: number): IndexHit[] | Promise<IndexHit[]>;
}

/** One retrieved (query, document) pair, as the retrieve shards store it. */
export interface HitRow {
  query_id: string;
  domain: string;
  doc_id: string;
  score: number;
  rank: number;
}

/** BM25 top-k per query, cut by an absolute floor and by a floor relative to the query's best hit. */
export async function* retrieve(
  queries: AsyncIterable<Query>,
  ctx: StageContext<RetrieveConfig> & { index: Searcher },
): AsyncIterable<HitRow> {
  const { top_k, min_score, min_relative_score } = ctx.config;
  for await (const query of queries) {
    ctx.signal.throwIfAborted();
    ctx.counters.add('retrieve.queries');
    const hits = await ctx.index.search(query.text, top_k);
    if (hits.length === 0) {
      ctx.counters.add('retrieve.queries_without_hits');
      continue;
    }
    const floor = Math.max(min_score, hits[0]!.score * min_relative_score);
    for (const hit of hits) {
      if (hit.score < floor) {
        ctx.counters.add('retrieve.below_min_score');
        continue;
      }
      ctx.counters.add('retrieve.hits');
      yield { query_id: query.id, domain: query.domain, doc_id: hit.id, score: hit.score, rank: hit.rank };
    }
  }
}
