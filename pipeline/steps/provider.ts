import { createProvider, type LlmProvider } from '../../stages/bootstrap/index.js';
import { cachePaths } from '../paths.js';
import type { RunContext } from './context.js';

/**
 * The LLM provider of a run's steps (bootstrap, judge, precision estimate): the configured backend behind the
 * cache, or with `--replay` the replayed version's answers; either way every answer served is recorded.
 */
export function runProvider(ctx: RunContext): LlmProvider | null {
  return createProvider(ctx.loaded.config.bootstrap, {
    cacheDir: cachePaths(ctx.loaded.cacheDir).llm,
    recordDir: ctx.paths.modelAnswers,
    ...(ctx.replay ? { replay: ctx.replay } : {}),
  });
}
