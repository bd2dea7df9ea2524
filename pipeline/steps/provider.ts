import { join } from 'node:path';
import { createProvider, type LlmProvider } from '../../stages/bootstrap/index.js';
import type { RunContext } from './context.js';

/** Where a run records every model answer it was served; publishing gathers them into the version. */
export const modelAnswersDir = (ctx: RunContext): string => join(ctx.paths.work, 'model-answers');

/**
 * The LLM provider of a run's steps (bootstrap, judge, precision estimate): the configured backend behind the
 * cache, or with `--replay` the replayed version's answers; either way every answer served is recorded.
 */
export function runProvider(ctx: RunContext): LlmProvider | null {
  return createProvider(ctx.loaded.config.bootstrap, {
    cacheDir: join(ctx.loaded.cacheDir, 'llm'),
    recordDir: modelAnswersDir(ctx),
    ...(ctx.replay ? { replay: ctx.replay } : {}),
  });
}
