import { JsonlWriter } from '../../core/jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import type { Seed } from '../../core/types.js';
import { readSeeds } from '../../stages/seeds/index.js';
import { extendQuestions, type LlmProvider } from '../../stages/bootstrap/index.js';
import { chunk, fromArray, shardId, type RunContext } from './context.js';
import { runProvider } from './provider.js';

interface SeedShard extends ShardSpec {
  seeds: Seed[];
  /** Each seed's share of `bootstrap.max_queries_per_domain`, by seed id (fixed by the whole seed list). */
  quotas?: Record<string, number>;
}

export const BOOTSTRAP = 'bootstrap';

/** Each seed's share of the per-domain budget: the budget split evenly, the remainder to the first seeds. */
function quotasOf(seeds: Seed[], budget: number | undefined): Record<string, number> | undefined {
  if (budget === undefined) return undefined;
  const byDomain = new Map<string, Seed[]>();
  for (const s of seeds) byDomain.set(s.domain, [...(byDomain.get(s.domain) ?? []), s]);
  const quotas: Record<string, number> = {};
  for (const list of byDomain.values()) {
    const base = Math.floor(budget / list.length);
    const extra = budget % list.length;
    list.forEach((s, i) => (quotas[s.id] = base + (i < extra ? 1 : 0)));
  }
  return quotas;
}

export function bootstrapStep(ctx: RunContext): Step<SeedShard> & { close(): Promise<void> } {
  const { config } = ctx.loaded;
  let provider: LlmProvider | null | undefined;
  const getProvider = () => {
    if (provider === undefined) {
      provider = runProvider(ctx);
    }
    return provider;
  };
  return {
    name: BOOTSTRAP,
    after: [],
    async listShards() {
      const seeds: Seed[] = [];
      for await (const seed of readSeeds(config.seeds.files)) seeds.push(seed);
      const quotas = quotasOf(seeds, config.bootstrap.max_queries_per_domain);
      return chunk(seeds, config.seeds.seeds_per_shard).map((s, i) => ({
        id: shardId('seeds', i),
        seeds: s,
        ...(quotas ? { quotas: Object.fromEntries(s.map(seed => [seed.id, quotas[seed.id]!])) } : {}),
      }));
    },
    outputPath: shard => ctx.paths.queryShard(shard.id),
    async runShard(shard, work) {
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        const stageCtx = {
          config: config.bootstrap,
          log: work.log,
          counters: work.counters,
          signal: work.signal,
          provider: counting(getProvider(), n => work.tick?.(`${shard.id}: ${n} completions`)),
          quotaFor: (seed: Seed) => shard.quotas?.[seed.id],
        };
        for await (const query of extendQuestions(fromArray(shard.seeds), stageCtx)) await writer.write(query);
      } finally {
        await writer.close();
      }
      return { records: writer.records };
    },
    async close() {
      await provider?.close();
    },
  };
}

/** The same provider, calling `done` with the running count after each completion (for the progress bar). */
function counting(provider: LlmProvider | null, done: (n: number) => void): LlmProvider | null {
  if (!provider) return null;
  let n = 0;
  return {
    name: provider.name,
    model: provider.model,
    complete: async req => {
      const res = await provider.complete(req);
      done(++n);
      return res;
    },
    close: () => provider.close(),
  };
}
