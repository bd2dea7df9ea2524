import { buildBenchmarkIndex, decontamStage } from '../../stages/decontam/index.js';
import type { RunContext } from './context.js';
import { docStageStep, type DocStep } from './doc-steps.js';
import { configPath } from './filter.js';

export const DECONTAM = 'decontam';

/** Removes documents holding items of the configured benchmark test sets, naming benchmark, item and what matched. */
export function decontamStep(ctx: RunContext, upstream: DocStep): DocStep {
  const cfg = ctx.loaded.config.decontam;
  const resolved = { ...cfg, benchmarks: cfg.benchmarks.map(b => ({ ...b, file: configPath(ctx, b.file) })) };
  return docStageStep(ctx, {
    name: DECONTAM,
    upstream,
    config: resolved,
    async makeStage() {
      if (!resolved.enabled || resolved.benchmarks.length === 0)
        return async function* (docs) {
          yield* docs;
        };
      const index = await buildBenchmarkIndex(resolved);
      ctx.log.info('decontam index built', {
        items: index.items.length,
        keys: index.size,
        short_items_skipped: index.skippedShortItems,
      });
      return decontamStage(index, resolved.n);
    },
  });
}
