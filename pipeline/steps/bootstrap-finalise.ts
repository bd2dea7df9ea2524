import { finaliseQueries } from '../../stages/bootstrap/finalise.js';
import { parseBootstrapConfig } from '../../stages/bootstrap/index.js';
import type { ShardSpec, Step } from '../runner.js';
import { BOOTSTRAP } from './bootstrap.js';
import type { RunContext } from './context.js';

export const BOOTSTRAP_FINALISE = 'bootstrap_finalise';
const SHARD = 'queries';

/**
 * The unique, post-processed queries of the completed bootstrap, from its shards in shard order
 * (stages/bootstrap/finalise.ts): one barrier shard whose output is `queries.jsonl`, with the removed queries
 * and the stats beside it. Part of bootstrap: `qcc run --stage bootstrap` runs it too.
 */
export function bootstrapFinaliseStep(ctx: RunContext): Step<ShardSpec> {
  const { paths } = ctx;
  return {
    name: BOOTSTRAP_FINALISE,
    after: [BOOTSTRAP],
    partOf: BOOTSTRAP,
    barrier: true,
    listShards: async () => [{ id: SHARD }],
    outputPath: () => paths.queriesFile,
    sidecarPaths: () => ({ removed: paths.removedQueriesFile, stats: paths.queriesStatsFile }),
    async runShard(_shard, work) {
      const shardFiles = ctx.state.markers(BOOTSTRAP).map(m => m.output!.path);
      const files = { queries: work.tempOutput!, removed: work.tempSidecars.removed!, stats: work.tempSidecars.stats! };
      const config = parseBootstrapConfig(ctx.loaded.config.bootstrap);
      const stats = await finaliseQueries(shardFiles, config, files, work.counters);
      work.log.info('bootstrap: queries post-processed', {
        file: paths.queriesFile,
        in: stats.queries_in,
        out: stats.queries_out,
        ...stats.counters,
        near_duplicate_rate: stats.near_duplicate_rate,
      });
      return { records: stats.queries_out };
    },
  };
}

/** The run's final queries (`queries.jsonl`), for the steps after bootstrap; fails until the step wrote them. */
export function finalQueriesFile(ctx: RunContext): string {
  if (!ctx.state.isDone(BOOTSTRAP_FINALISE, SHARD))
    throw new Error(
      `${ctx.paths.queriesFile} is not written yet: step ${BOOTSTRAP_FINALISE} has not run ` +
        '(`qcc run --stage bootstrap` runs it)',
    );
  return ctx.paths.queriesFile;
}
