import { confinedPath } from '../../stages/shared/confine.js';
import { VersionedDataset } from '../../stages/write/dataset.js';
import { finishPublished } from '../publish/finish.js';
import { PUBLISH } from '../publish/manifest.js';
import { buildVersion } from '../publish/version.js';
import type { ShardSpec, Step } from '../runner.js';
import type { RunContext } from './context.js';
import type { DocStep } from './doc-steps.js';

export { PUBLISH };

/**
 * Gathers the document steps' shards into an immutable version (pipeline/publish/version.ts), then moves LATEST
 * and completes the object-store copy; a run that finds its version published only finishes those.
 */
export function publishStep(ctx: RunContext, docSteps: DocStep[], alsoAfter: string[] = []): Step<ShardSpec> {
  const final = docSteps.at(-1)!;
  return {
    name: PUBLISH,
    after: [final.name, ...alsoAfter],
    barrier: true,
    listShards: async () => [{ id: 'publish' }],
    async runShard(_shard, work) {
      // Defence in depth (the config schema checks the name): the dataset folder is inside the output root.
      confinedPath(ctx.loaded.outDir, [ctx.loaded.config.dataset], 'dataset');
      const dataset = new VersionedDataset(ctx.loaded.datasetDir);
      const finishOpts = { log: work.log, signal: work.signal };
      const existing = dataset.findRun(ctx.lineage.runId);
      if (existing) {
        // A crash after publishing: finish LATEST and the object-store copy, publish nothing new.
        await finishPublished(ctx.loaded, existing, finishOpts);
        return { records: 0, meta: { version: existing, up_to_date: true } };
      }
      const built = await buildVersion(ctx, dataset, docSteps, work.counters);
      await finishPublished(ctx.loaded, built.meta.version, finishOpts);
      return built;
    },
  };
}
