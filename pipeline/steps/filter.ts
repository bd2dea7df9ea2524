import { dirname, isAbsolute, resolve } from 'node:path';
import { filterStage } from '../../stages/filter/index.js';
import type { RunContext } from './context.js';
import { docStageStep, type DocStep } from './doc-steps.js';

export const FILTER = 'filter';

/** A path from the config, resolved against the config file's folder. */
export const configPath = (ctx: RunContext, p: string) => (isAbsolute(p) ? p : resolve(dirname(ctx.loaded.file), p));

/** Quality filters (URL blocklist, language, Gopher repetition and quality, C4), shard by shard. */
export function filterStep(ctx: RunContext, upstream: DocStep): DocStep {
  const cfg = ctx.loaded.config.filters;
  const blocklist = cfg.url_blocklist.file ? configPath(ctx, cfg.url_blocklist.file) : undefined;
  return docStageStep(ctx, { name: FILTER, upstream, config: cfg, makeStage: () => filterStage(cfg, blocklist) });
}
