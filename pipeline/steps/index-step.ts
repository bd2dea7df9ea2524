import type { Step } from '../runner.js';
import type { Doc } from '../types.js';
import { readJsonl } from '../jsonl.js';
import { Fts5Index } from '../../stages/index/fts5.js';
import { INGEST, listIngestShards, type IngestShard } from './ingest.js';
import type { RunContext } from './context.js';

export const INDEX = 'index';

/** Builds the run's FTS5 file from the ingest shards; each shard commits with its own completion row. */
export function indexStep(ctx: RunContext): Step<IngestShard> & { close(): Promise<void> } {
  let index: Fts5Index | undefined;
  const open = () => (index ??= new Fts5Index(ctx.paths.index, { tokenizer: ctx.loaded.config.index.tokenizer }));
  return {
    name: INDEX,
    after: [INGEST],
    barrier: true,
    listShards: async () => listIngestShards(ctx),
    async runShard(shard, work) {
      const idx = open();
      const marker = ctx.state.read(INGEST, shard.id);
      if (!marker?.output) throw new Error(`ingest shard ${shard.id} has no output`);
      // Committed before a crash that came ahead of its marker: count what it added, add nothing.
      const { indexed, duplicates } =
        idx.shard(shard.id) ?? (await idx.addShard(shard.id, readJsonl<Doc>(marker.output.path), ctx.loaded.config.index.batch_size));
      work.counters.add('index.docs', indexed);
      if (duplicates) work.counters.add('index.duplicate_ids', duplicates);
      return { records: indexed };
    },
    async close() {
      index?.close();
      index = undefined;
    },
  };
}
