import type { Step } from '../runner.js';
import type { Doc } from '../../core/types.js';
import { readJsonl } from '../../core/jsonl.js';
import type { SearchIndex } from '../../stages/index/open.js';
import { openRunIndex } from './run-index.js';
import { INGEST, listIngestShards, type IngestShard } from './ingest.js';
import type { RunContext } from './context.js';

export const INDEX = 'index';

/**
 * Builds the run's BM25 index (FTS5 file or Elasticsearch index) from the ingest shards, one committed shard each.
 * An FTS5 file has one writer: rank 0 indexes every shard. An Elasticsearch cluster is shared: every rank indexes
 * its own share of the ingest shards (idempotent by document id, each shard refreshed before it is marked done,
 * so the index is complete and searchable once every shard is).
 */
export function indexStep(ctx: RunContext): Step<IngestShard> & { close(): Promise<void> } {
  const config = ctx.loaded.config.index;
  let index: SearchIndex | undefined;
  const open = () => (index ??= openRunIndex(ctx));
  return {
    name: INDEX,
    after: [INGEST],
    barrier: config.backend !== 'elasticsearch',
    listShards: async () => listIngestShards(ctx),
    async runShard(shard, work) {
      const idx = open();
      const marker = ctx.state.read(INGEST, shard.id);
      if (!marker?.output) throw new Error(`ingest shard ${shard.id} has no output`);
      // Committed before a crash that came ahead of its marker: count what it added, add nothing.
      const { indexed, duplicates } =
        (await idx.shard(shard.id)) ??
        (await idx.addShard(shard.id, readJsonl<Doc>(marker.output.path), config.batch_size));
      work.counters.add('index.docs', indexed);
      if (duplicates) work.counters.add('index.duplicate_ids', duplicates);
      return { records: indexed };
    },
    async close() {
      await index?.close();
      index = undefined;
    },
  };
}
