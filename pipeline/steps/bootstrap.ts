import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import { Counters, type Query, type Removal, type Seed } from '../../core/types.js';
import { readSeeds } from '../../stages/seeds/index.js';
import {
  extendQuestions,
  nearDuplicateRate,
  parseBootstrapConfig,
  postprocessQueries,
  type LlmProvider,
} from '../../stages/bootstrap/index.js';
import { chunk, fromArray, shardId, type RunContext } from './context.js';
import { runProvider } from './provider.js';

interface SeedShard extends ShardSpec {
  seeds: Seed[];
  /** Each seed's share of `bootstrap.max_queries_per_domain`, by seed id (fixed by the whole seed list). */
  quotas?: Record<string, number>;
}

export const BOOTSTRAP = 'bootstrap';

/** The unique, post-processed queries of a completed bootstrap, in shard order: what retrieval reads. */
export function queriesFile(ctx: RunContext): string {
  return join(ctx.paths.work, 'queries.jsonl');
}

/** Queries post-processing removed, one Removal per line, beside queries.jsonl. */
export function removedQueriesFile(ctx: RunContext): string {
  return join(ctx.paths.work, 'queries.removed.jsonl');
}

/** Counters of the post-processing (and the near-duplicate rate before and after), beside queries.jsonl. */
export function queriesStatsFile(ctx: RunContext): string {
  return join(ctx.paths.work, 'queries.stats.json');
}

/**
 * Merge every shard's queries (first occurrence of an id wins), post-process the whole set
 * (normalisation, bounds, blocklist, exact and near duplicates per domain), apply the per-domain
 * budget, and write queries.jsonl last: its presence means the rest is complete.
 */
export async function ensureQueriesFile(ctx: RunContext): Promise<string> {
  const target = queriesFile(ctx);
  if (existsSync(target)) return target;
  const config = parseBootstrapConfig(ctx.loaded.config.bootstrap);
  const counters = new Counters();
  const seen = new Set<string>();
  const merged: Query[] = [];
  for (const marker of ctx.state.markers(BOOTSTRAP)) {
    for await (const q of readJsonl<Query>(marker.output!.path)) {
      if (seen.has(q.id)) {
        counters.add('bootstrap.post.same_id');
        continue;
      }
      seen.add(q.id);
      merged.push(q);
    }
  }
  const pp = config.postprocess;
  const { kept, removed } = postprocessQueries(merged, pp, counters);
  const final: Query[] = [];
  const perDomain = new Map<string, number>();
  for (const q of kept) {
    const n = perDomain.get(q.domain) ?? 0;
    if (config.max_queries_per_domain !== undefined && n >= config.max_queries_per_domain) {
      counters.add('bootstrap.post.domain_budget');
      removed.push({
        rule: 'bootstrap.post.domain_budget',
        reason: 'beyond bootstrap.max_queries_per_domain',
        record: q,
      });
      continue;
    }
    perDomain.set(q.domain, n + 1);
    final.push(q);
  }
  const rateK = pp.shingle_words;
  const rateAt = pp.near_duplicate_threshold < 1 ? pp.near_duplicate_threshold : 0.7;
  const stats = {
    counters: counters.toJSON(),
    queries_in: merged.length,
    queries_out: final.length,
    per_domain: Object.fromEntries([...perDomain.entries()].sort()),
    near_duplicate_rate: {
      threshold: rateAt,
      shingle_words: rateK,
      before: Number(nearDuplicateRate(merged, rateAt, rateK).toFixed(4)),
      after: Number(nearDuplicateRate(final, rateAt, rateK).toFixed(4)),
    },
  };
  const lines = (items: unknown[]) => items.map(x => JSON.stringify(x)).join('\n') + (items.length ? '\n' : '');
  await writeFileAtomic(removedQueriesFile(ctx), lines(removed as Removal[]));
  await writeFileAtomic(queriesStatsFile(ctx), JSON.stringify(stats, null, 1) + '\n');
  await writeFileAtomic(target, lines(final));
  ctx.log.info('bootstrap: queries post-processed', {
    file: target,
    in: merged.length,
    out: final.length,
    ...stats.counters,
    near_duplicate_rate: stats.near_duplicate_rate,
  });
  return target;
}

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
    outputPath: shard => join(ctx.paths.queries, `${shard.id}.jsonl`),
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
    async finalize() {
      await ensureQueriesFile(ctx);
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
