import type { Step } from '../runner.js';
import type { Query } from '../../core/types.js';
import { readAllJsonl } from '../../core/jsonl.js';
import { QueryIndex } from '../../stages/retrieve/stream/query-index.js';
import { sampleShards } from '../../stages/retrieve/stream/sample.js';
import {
  collectionStats,
  keptDocs,
  writeShardScores,
  writeShardStats,
} from '../../stages/retrieve/stream/shard-files.js';
import type { CollectionStats } from '../../stages/retrieve/stream/statistics.js';
import { BOOTSTRAP_FINALISE, finalQueriesFile } from './bootstrap-finalise.js';
import type { DocSource } from './candidates.js';
import { INGEST, ingestedDocs, listIngestShards, type IngestShard } from './ingest.js';
import { streamMergeStep } from './retrieve-step.js';
import type { RunContext } from './context.js';

export const STREAM_STATS = 'stream_stats';
export const STREAM_SCORE = 'stream_score';

/**
 * `retrieve.mode: stream` (docs/scale.md): no index. stream_stats counts the BM25 statistics of the query terms
 * over the ingest shards (all, or a sample); stream_score scores each ingest shard's documents against every
 * query and keeps each query's top k with the documents they name; retrieve merges the shards' top k into the
 * same hit rows the indexed path writes, and the candidates step takes its records from the kept documents.
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
  const statsShards = () => (exact ? ingestShards() : sampleShards(ingestShards(), config.stream.sample_fraction));

  let queryIndex: Promise<QueryIndex> | undefined;
  const queries = () =>
    (queryIndex ??= readAllJsonl<Query>(finalQueriesFile(ctx)).then(queries => new QueryIndex(queries)));
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
        await queries(),
        paths.docs(shard.id),
        work.tempOutput!,
        work.counters,
        work.signal,
      ),
    }),
  };

  const scoreStep: Step<IngestShard> = {
    name: STREAM_SCORE,
    after: [BOOTSTRAP_FINALISE, INGEST, STREAM_STATS],
    listShards: async () => ingestShards(),
    outputPath: shard => paths.stream.hits(shard.id),
    sidecarPaths: shard => ({ docs: paths.stream.docs(shard.id) }),
    runShard: async (shard, work) => ({
      records: await writeShardScores(
        await queries(),
        await stats(),
        paths.docs(shard.id),
        { hits: work.tempOutput!, docs: work.tempSidecars.docs! },
        {
          topK: config.top_k,
          keepMinScore: config.stream.keep_min_score ?? Infinity,
          signal: work.signal,
          counters: work.counters,
        },
      ),
    }),
  };

  const docs: DocSource = {
    fetch: ids =>
      keptDocs(
        ids,
        ingestShards().map(s => paths.stream.docs(s.id)),
      ),
    async close() {},
  };
  return { steps: [statsStep, scoreStep, streamMergeStep(ctx, ingestShards)], docs };
}
