import { writeFileAtomic } from '../../core/atomic.js';
import { readJsonl } from '../../core/jsonl.js';
import { Counters, type Query, type Removal } from '../../core/types.js';
import type { BootstrapConfig } from './config.js';
import { nearDuplicateRate, postprocessQueries } from './postprocess.js';

/** Where the finalised queries go: `queries` is written last, so its presence means the other two are complete. */
export interface FinalQueryFiles {
  queries: string;
  removed: string;
  stats: string;
}

/** What `stats` holds: the counters, the queries in and out, per domain, the near-duplicate rate before and after. */
export interface QueryStats {
  counters: Record<string, number>;
  queries_in: number;
  queries_out: number;
  per_domain: Record<string, number>;
  near_duplicate_rate: { threshold: number; shingle_words: number; before: number; after: number };
}

const lines = (items: unknown[]) => items.map(x => JSON.stringify(x)).join('\n') + (items.length ? '\n' : '');

/**
 * Merges the bootstrap shards' queries (first occurrence of an id wins), post-processes the whole set
 * (normalisation, bounds, blocklist, exact and near duplicates per domain), applies the per-domain budget and
 * writes the queries retrieval reads, with the removed ones and the counters beside them.
 */
export async function finaliseQueries(
  shardFiles: string[],
  config: BootstrapConfig,
  files: FinalQueryFiles,
  counters = new Counters(),
): Promise<QueryStats> {
  const seen = new Set<string>();
  const merged: Query[] = [];
  for (const file of shardFiles) {
    for await (const q of readJsonl<Query>(file)) {
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
  const stats: QueryStats = {
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
  await writeFileAtomic(files.removed, lines(removed as Removal[]));
  await writeFileAtomic(files.stats, JSON.stringify(stats, null, 1) + '\n');
  await writeFileAtomic(files.queries, lines(final));
  return stats;
}
