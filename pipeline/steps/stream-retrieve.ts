import type { Step } from '../runner.js';
import type { Query } from '../../core/types.js';
import { readAllJsonl } from '../../core/jsonl.js';
import { QueryIndex } from '../../stages/retrieve/stream/query-index.js';
import { floorSample, sampleShards } from '../../stages/retrieve/stream/sample.js';
import {
  collectionStats,
  keptDocs,
  readFloors,
  writeShardFloor,
  type ShardBlocks,
  shardBlocks,
  writeShardScores,
  writeShardStats,
} from '../../stages/retrieve/stream/shard-files.js';
import type { CollectionStats } from '../../stages/retrieve/stream/statistics.js';
import { BOOTSTRAP_FINALISE, finalQueriesFile } from './bootstrap-finalise.js';
import { type DocSource, position } from './candidates.js';
import { INGEST, ingestedDocs, listIngestShards, type IngestShard } from './ingest.js';
import { streamMergeStep } from './retrieve-step.js';
import type { RunContext } from './context.js';

export const STREAM_STATS = 'stream_stats';
export const STREAM_FLOOR = 'stream_floor';
export const STREAM_SCORE = 'stream_score';

/**
 * `retrieve.mode: stream` (docs/scale.md): no index. stream_stats counts the BM25 statistics of the query terms
 * over the ingest shards (all, or a sample); stream_floor scores a few shards for each query's score floor;
 * stream_score scores each ingest shard against every query and keeps each query's hits in its top k and at or
 * above the floor, with the documents they name; retrieve merges the shards' hits into the same hit rows the
 * indexed path writes, and the candidates step takes its records from the kept documents.
 */
export function streamRetrievalSteps(ctx: RunContext): { steps: Step<any>[]; docs: DocSource } {
  const { retrieve: config, index: indexConfig } = ctx.loaded.config;
  if (indexConfig.backend !== 'fts5' || indexConfig.tokenizer !== 'unicode61') {
    throw new Error(
      `retrieve.mode: stream scores with SQLite FTS5's BM25 and its unicode61 tokenizer; it needs index.backend: fts5 and index.tokenizer: unicode61 (they are ${indexConfig.backend} and ${indexConfig.tokenizer})`,
    );
  }
  const paths = ctx.paths;
  const exact = config.stream.statistics === 'exact';
  const ingestShards = () => listIngestShards(ctx);
  const scoredShards = () => ingestShards().map(s => paths.stream.scored(s.id));
  const floorShards = () => floorSample(ingestShards(), config.stream.floor_shards);
  const statsShards = () => (exact ? ingestShards() : sampleShards(ingestShards(), config.stream.sample_fraction));

  // The hits are cut by query block (retrieve's query shards) and the documents by id range (the candidates
  // shards), so the merge and the candidates step read only their own part of every shard.
  let queryIndex: Promise<{ index: QueryIndex; blocks: ShardBlocks }> | undefined;
  const queries = () =>
    (queryIndex ??= readAllJsonl<Query>(finalQueriesFile(ctx)).then(queries => ({
      index: new QueryIndex(queries),
      blocks: shardBlocks(queries, config.queries_per_shard, ctx.loaded.config.candidates.shards, position),
    })));
  let collection: Promise<CollectionStats> | undefined;
  const stats = () =>
    (collection ??= collectionStats(
      statsShards().map(s => paths.stream.stats(s.id)),
      exact ? undefined : ingestedDocs(ctx).size,
    ));

  const statsStep: Step<IngestShard> = {
    name: STREAM_STATS,
    after: [BOOTSTRAP_FINALISE, INGEST],
    listShards: async () => statsShards(),
    outputPath: shard => paths.stream.stats(shard.id),
    runShard: async (shard, work) => ({
      records: await writeShardStats(
        (await queries()).index,
        paths.docs(shard.id),
        work.tempOutput!,
        work.counters,
        work.signal,
      ),
    }),
  };

  const floorStep: Step<IngestShard> = {
    name: STREAM_FLOOR,
    after: [BOOTSTRAP_FINALISE, INGEST, STREAM_STATS],
    listShards: async () => floorShards(),
    outputPath: shard => paths.stream.floor(shard.id),
    runShard: async (shard, { tempOutput, signal, counters }) => {
      const opts = { topK: config.top_k, floorShards: floorShards().length, signal, counters };
      const input = paths.docs(shard.id);
      return { records: await writeShardFloor((await queries()).index, await stats(), input, tempOutput!, opts) };
    },
  };
  let floors: Promise<Float64Array | undefined> | undefined;
  const floorFiles = () => floorShards().map(s => paths.stream.floor(s.id));
  const queryFloors = () => (floors ??= queries().then(q => readFloors(q.index, floorFiles(), config.top_k)));

  const scoreStep: Step<IngestShard> = {
    name: STREAM_SCORE,
    after: [BOOTSTRAP_FINALISE, INGEST, STREAM_STATS, STREAM_FLOOR],
    listShards: async () => ingestShards(),
    outputPath: shard => paths.stream.scored(shard.id).hits,
    sidecarPaths: shard => ({ docs: paths.stream.scored(shard.id).docs, blocks: paths.stream.scored(shard.id).blocks }),
    runShard: async (shard, work) => {
      const { index, blocks } = await queries();
      const out = { hits: work.tempOutput!, docs: work.tempSidecars.docs!, blocks: work.tempSidecars.blocks! };
      const records = await writeShardScores(index, await stats(), paths.docs(shard.id), out, {
        blocks,
        floors: await queryFloors(),
        topK: config.top_k,
        keepMinScore: config.stream.keep_min_score ?? Infinity,
        signal: work.signal,
        counters: work.counters,
      });
      return { records };
    },
  };

  const docs: DocSource = {
    fetch: (ids, part) => keptDocs(ids, scoredShards(), part),
    async close() {},
  };
  return { steps: [statsStep, floorStep, scoreStep, streamMergeStep(ctx, scoredShards)], docs };
}
