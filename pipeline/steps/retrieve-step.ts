import { join } from 'node:path';
import type { ShardSpec, Step } from '../runner.js';
import type { Query } from '../../core/types.js';
import { JsonlWriter, readAllJsonl } from '../../core/jsonl.js';
import { openSearchIndex, type SearchIndex } from '../../stages/index/open.js';
import { retrieve } from '../../stages/retrieve/retrieve.js';
import { BOOTSTRAP, ensureQueriesFile } from './bootstrap.js';
import { INDEX } from './index-step.js';
import { chunk, fromArray, shardId, type RunContext } from './context.js';

export const RETRIEVE = 'retrieve';

interface QueryShard extends ShardSpec {
  queries: Query[];
}

export function retrieveStep(ctx: RunContext): Step<QueryShard> & { close(): Promise<void> } {
  const config = ctx.loaded.config.retrieve;
  let index: SearchIndex | undefined;
  return {
    name: RETRIEVE,
    after: [BOOTSTRAP, INDEX],
    shardsFromInputs: true,
    async listShards() {
      const queries = await readAllJsonl<Query>(await ensureQueriesFile(ctx));
      return chunk(queries, config.queries_per_shard).map((q, i) => ({ id: shardId('queries', i), queries: q }));
    },
    outputPath: shard => join(ctx.paths.hits, `${shard.id}.jsonl.gz`),
    async runShard(shard, work) {
      index ??= openSearchIndex(ctx.loaded.config.index, { path: ctx.paths.index, readonly: true });
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
