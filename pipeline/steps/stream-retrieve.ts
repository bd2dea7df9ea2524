import { join } from 'node:path';
import type { ShardSpec, Step } from '../runner.js';
import type { Doc, Query } from '../../core/types.js';
import { JsonlWriter, readAllJsonl, readJsonl } from '../../core/jsonl.js';
import { mergeShardHits } from '../../stages/retrieve/stream/merge.js';
import { QueryIndex } from '../../stages/retrieve/stream/query-index.js';
import { sampleShards } from '../../stages/retrieve/stream/sample.js';
import { docsAt, scoreShard, type ShardHitRow } from '../../stages/retrieve/stream/score-shard.js';
import {
  addStats,
  countStats,
  emptyStats,
  scaleSample,
  type CollectionStats,
} from '../../stages/retrieve/stream/statistics.js';
import { BOOTSTRAP, ensureQueriesFile } from './bootstrap.js';
import type { DocSource } from './candidates.js';
import { INGEST, listIngestShards, type IngestShard } from './ingest.js';
import { RETRIEVE } from './retrieve-step.js';
import { chunk, shardId, type RunContext } from './context.js';

export const STREAM_STATS = 'stream_stats';
export const STREAM_SCORE = 'stream_score';
const KEPT_DOCS = 'docs';

interface QueryShard extends ShardSpec {
  queries: Query[];
}

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
  const dir = join(ctx.paths.work, 'stream');
  const ingestShards = () => listIngestShards(ctx);
  const statsShards = () =>
    config.stream.statistics === 'exact' ? ingestShards() : sampleShards(ingestShards(), config.stream.sample_fraction);
  const ingestOutput = (id: string): string => {
    const marker = ctx.state.read(INGEST, id);
    if (!marker?.output) throw new Error(`ingest shard ${id} has no output`);
    return marker.output.path;
  };

  let queryIndex: Promise<QueryIndex> | undefined;
  const queries = () =>
    (queryIndex ??= ensureQueriesFile(ctx).then(async file => new QueryIndex(await readAllJsonl<Query>(file))));

  let collection: Promise<CollectionStats> | undefined;
  const collectionStats = () =>
    (collection ??= (async () => {
      const sum = emptyStats();
      for (const shard of statsShards()) {
        const marker = ctx.state.read(STREAM_STATS, shard.id);
        if (!marker?.output) throw new Error(`${STREAM_STATS} shard ${shard.id} has no output`);
        const [stats] = await readAllJsonl<CollectionStats>(marker.output.path);
        if (!stats) throw new Error(`${marker.output.path}: empty statistics file`);
        addStats(sum, stats);
      }
      if (config.stream.statistics === 'exact') return sum;
      return scaleSample(
        sum,
        ctx.state.markers(INGEST).reduce((n, m) => n + m.records, 0),
      );
    })());

  const stats: Step<IngestShard> = {
    name: STREAM_STATS,
    after: [BOOTSTRAP, INGEST],
    listShards: async () => statsShards(),
    outputPath: shard => join(dir, 'stats', `${shard.id}.jsonl.gz`),
    async runShard(shard, work) {
      const { duplicates, ...counted } = await countStats(
        await queries(),
        readJsonl<Doc>(ingestOutput(shard.id)),
        work.signal,
      );
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        await writer.write(counted);
      } finally {
        await writer.close();
      }
      work.counters.add('stream_stats.docs', counted.docs);
      work.counters.add('stream_stats.tokens', counted.tokens);
      if (duplicates) work.counters.add('stream_stats.duplicate_ids', duplicates);
      return { records: counted.docs };
    },
  };

  const score: Step<IngestShard> = {
    name: STREAM_SCORE,
    after: [BOOTSTRAP, INGEST, STREAM_STATS],
    listShards: async () => ingestShards(),
    outputPath: shard => join(dir, 'hits', `${shard.id}.jsonl.gz`),
    sidecarPaths: shard => ({ [KEPT_DOCS]: join(dir, 'docs', `${shard.id}.jsonl.gz`) }),
    async runShard(shard, work) {
      const input = ingestOutput(shard.id);
      const keepMinScore = config.stream.keep_min_score ?? Infinity;
      const scored = await scoreShard(await queries(), await collectionStats(), readJsonl<Doc>(input), {
        topK: config.top_k,
        keepMinScore,
        signal: work.signal,
      });
      const hits = await JsonlWriter.open(work.tempOutput!);
      try {
        for (const rows of chunk(scored.hits, 1000)) await hits.writeMany(rows);
      } finally {
        await hits.close();
      }
      // The kept documents, read again from the ingest shard: memory holds positions, never the texts.
      const docs = await JsonlWriter.open(work.tempSidecars[KEPT_DOCS]!);
      try {
        for await (const doc of docsAt(readJsonl<Doc>(input), scored.keptOrds)) await docs.write(doc);
      } finally {
        await docs.close();
      }
      work.counters.add('stream_score.docs', scored.docs);
      work.counters.add('stream_score.pairs_scored', scored.scored);
      work.counters.add('stream_score.kept_hits', hits.records);
      work.counters.add('stream_score.kept_docs', docs.records);
      if (scored.duplicates) work.counters.add('stream_score.duplicate_ids', scored.duplicates);
      return { records: hits.records };
    },
  };

  const merge: Step<QueryShard> = {
    name: RETRIEVE,
    after: [BOOTSTRAP, STREAM_SCORE],
    shardsFromInputs: true,
    async listShards() {
      const all = await readAllJsonl<Query>(await ensureQueriesFile(ctx));
      return chunk(all, config.queries_per_shard).map((q, i) => ({ id: shardId('queries', i), queries: q }));
    },
    outputPath: shard => join(ctx.paths.hits, `${shard.id}.jsonl.gz`),
    async runShard(shard, work) {
      const shardHits = async function* () {
        for (const s of ingestShards()) yield readJsonl<ShardHitRow>(ctx.state.read(STREAM_SCORE, s.id)!.output!.path);
      };
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        for await (const row of mergeShardHits(shard.queries, shardHits(), config, work.counters))
          await writer.write(row);
      } finally {
        await writer.close();
      }
      return { records: writer.records };
    },
  };

  /** Candidate records from the kept documents of every shard (the first shard's copy of an id, as in the index). */
  const docs: DocSource = {
    async *fetch(ids) {
      const wanted = new Set(ids);
      const found = new Map<string, Doc>();
      for (const s of ingestShards()) {
        const file = ctx.state.read(STREAM_SCORE, s.id)?.sidecars?.[KEPT_DOCS]?.path;
        if (!file) throw new Error(`${STREAM_SCORE} shard ${s.id} has no kept documents file`);
        for await (const doc of readJsonl<Doc>(file))
          if (wanted.has(doc.id) && !found.has(doc.id)) found.set(doc.id, doc);
      }
      for (const id of ids) {
        const doc = found.get(id);
        if (!doc) throw new Error(`document ${id} was retrieved but no ${STREAM_SCORE} shard kept it`);
        yield doc;
      }
    },
    async close() {},
  };

  return { steps: [stats, score, merge], docs };
}
