import type { ShardSpec, Step } from '../runner.js';
import type { Query } from '../../core/types.js';
import { JsonlWriter, readAllJsonl } from '../../core/jsonl.js';
import { mergeShardHits } from '../../stages/retrieve/stream/merge.js';
import { blockHits, type ScoredShardFiles } from '../../stages/retrieve/stream/shard-files.js';
import type { SearchIndex } from '../../stages/index/open.js';
import { openRunIndex } from './run-index.js';
import { retrieve } from '../../stages/retrieve/retrieve.js';
import { BOOTSTRAP_FINALISE, finalQueriesFile } from './bootstrap-finalise.js';
import { INDEX } from './index-step.js';
import { STREAM_SCORE } from './stream-retrieve.js';
import { chunk, fromArray, shardId, type RunContext } from './context.js';

export const RETRIEVE = 'retrieve';

interface QueryShard extends ShardSpec {
  queries: Query[];
  /** Its place among the query shards: the block of the stream_score hits it reads. */
  block: number;
}

/** The queries in shards of `retrieve.queries_per_shard`. */
async function queryShards(ctx: RunContext): Promise<QueryShard[]> {
  const queries = await readAllJsonl<Query>(finalQueriesFile(ctx));
  const size = ctx.loaded.config.retrieve.queries_per_shard;
  return chunk(queries, size).map((q, i) => ({ id: shardId('queries', i), queries: q, block: i }));
}

/** The run's queries against its BM25 index, shard by shard: the hit rows the candidates step folds. */
export function retrieveStep(ctx: RunContext): Step<QueryShard> & { close(): Promise<void> } {
  const config = ctx.loaded.config.retrieve;
  let index: SearchIndex | undefined;
  return {
    name: RETRIEVE,
    after: [BOOTSTRAP_FINALISE, INDEX],
    shardsFromInputs: true,
    listShards: () => queryShards(ctx),
    outputPath: shard => ctx.paths.hits(shard.id),
    async runShard(shard, work) {
      index ??= openRunIndex(ctx, { readonly: true });
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        const stageCtx = { config, log: work.log, counters: work.counters, signal: work.signal, index };
        for await (const hit of retrieve(fromArray(shard.queries), stageCtx)) await writer.write(hit);
      } finally {
        await writer.close();
      }
      return { records: writer.records };
    },
    async close() {
      await index?.close();
      index = undefined;
    },
  };
}

/** In `retrieve.mode: stream`: the stream_score shards' top k merged into the same hit rows, query shard by shard. */
export function streamMergeStep(ctx: RunContext, scoredShards: () => ScoredShardFiles[]): Step<QueryShard> {
  return {
    name: RETRIEVE,
    after: [BOOTSTRAP_FINALISE, STREAM_SCORE],
    shardsFromInputs: true,
    listShards: () => queryShards(ctx),
    outputPath: shard => ctx.paths.hits(shard.id),
    async runShard(shard, work) {
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        for await (const row of mergeShardHits(
          shard.queries,
          blockHits(scoredShards(), shard.block),
          ctx.loaded.config.retrieve,
          work.counters,
        ))
          await writer.write(row);
      } finally {
        await writer.close();
      }
      return { records: writer.records };
    },
  };
}
