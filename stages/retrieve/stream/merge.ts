import type { Counters, Query } from '../../../core/types.js';
import type { RetrieveConfig } from '../config.js';
import { cutHits, type HitRow } from '../retrieve.js';
import type { ShardHitRow } from './score-shard.js';
import { TopK } from './top-k.js';

/** Shard positions are below 2^32 and shard numbers far below 2^21: both fit one exact double. */
const SHARD_STRIDE = 2 ** 32;

/**
 * The global top k of each query from the shards' kept hits, ranked as the index ranks them: score, then
 * document order across the shards in ingest order (the index's rowid order), then the retrieve floors.
 * `shards` yields each shard's hits in ingest-shard order; only the given queries' rows are read.
 */
export async function* mergeShardHits(
  queries: Pick<Query, 'id' | 'domain'>[],
  shards: AsyncIterable<AsyncIterable<ShardHitRow>>,
  config: Pick<RetrieveConfig, 'top_k' | 'min_score' | 'min_relative_score'>,
  counters: Counters,
): AsyncIterable<HitRow> {
  const tops = new Map(queries.map(q => [q.id, new TopK(config.top_k)]));
  let shard = 0;
  for await (const rows of shards) {
    for await (const row of rows) {
      const top = tops.get(row.query_id);
      if (top?.admits(row.score))
        top.push({ doc_id: row.doc_id, ord: shard * SHARD_STRIDE + row.ord, score: row.score });
    }
    shard++;
  }
  for (const q of queries) {
    const best = tops.get(q.id)!.sorted();
    // An id in two shards is one document in the index (the first shard's): the merge keeps its first hit.
    const seen = new Set<string>();
    const hits = best
      .filter(h => !seen.has(h.doc_id) && seen.add(h.doc_id))
      .map((h, i) => ({ id: h.doc_id, score: h.score, rank: i + 1 }));
    yield* cutHits(q, hits, config, counters);
  }
}
