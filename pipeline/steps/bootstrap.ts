import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { JsonlWriter, readJsonl } from '../jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import type { Query, Seed } from '../types.js';
import { readSeeds } from '../../stages/seeds/index.js';
import { createProvider, extendQuestions, type LlmProvider } from '../../stages/bootstrap/index.js';
import { chunk, fromArray, shardId, type RunContext } from './context.js';

interface SeedShard extends ShardSpec {
  seeds: Seed[];
}

export const BOOTSTRAP = 'bootstrap';

/** The unique queries of a completed bootstrap, in shard order: what retrieval reads. */
export function queriesFile(ctx: RunContext): string {
  return join(ctx.paths.work, 'queries.jsonl');
}

export async function ensureQueriesFile(ctx: RunContext): Promise<string> {
  const target = queriesFile(ctx);
  if (existsSync(target)) return target;
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const marker of ctx.state.markers(BOOTSTRAP)) {
    for await (const q of readJsonl<Query>(marker.output!.path)) {
      if (seen.has(q.id)) continue;
      seen.add(q.id);
      lines.push(JSON.stringify(q));
    }
  }
  await writeFileAtomic(target, lines.join('\n') + (lines.length ? '\n' : ''));
  return target;
}

export function bootstrapStep(ctx: RunContext): Step<SeedShard> & { close(): Promise<void> } {
  const { config, cacheDir } = ctx.loaded;
  let provider: LlmProvider | null | undefined;
  const getProvider = () => {
    if (provider === undefined) {
      provider = createProvider(config.bootstrap, { cacheDir: join(cacheDir, 'llm') });
    }
    return provider;
  };
  return {
    name: BOOTSTRAP,
    after: [],
    async listShards() {
      const seeds: Seed[] = [];
      for await (const seed of readSeeds(config.seeds.files)) seeds.push(seed);
      return chunk(seeds, config.seeds.seeds_per_shard).map((s, i) => ({ id: shardId('seeds', i), seeds: s }));
    },
    outputPath: (shard) => join(ctx.paths.queries, `${shard.id}.jsonl`),
    async runShard(shard, work) {
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        const stageCtx = { config: config.bootstrap, log: work.log, counters: work.counters, signal: work.signal, provider: getProvider() };
        for await (const query of extendQuestions(fromArray(shard.seeds), stageCtx)) await writer.write(query);
      } finally {
        await writer.close();
      }
      return { records: writer.records };
    },
    async finalize() {
      await ensureQueriesFile(ctx);
    },
    async close() {
      await provider?.close();
    },
  };
}
