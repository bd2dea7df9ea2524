import type { Doc, Stage } from '../../core/types.js';
import type { Step } from '../runner.js';
import type { DocSource } from './candidates.js';
import type { RunContext } from './context.js';
import type { DocStep } from './doc-steps.js';

/** What the steps built so far give the next entry. */
export interface BuiltSoFar {
  /** The last document step: the one a new document step transforms, shard for shard. */
  readonly lastDocs: DocStep;
  /** Every document step so far, in run order (publish reads the last one and every one's removals). */
  readonly docSteps: readonly DocStep[];
  has(name: string): boolean;
  /** In `retrieve.mode: stream`, where candidates read the retrieved records (no index); set by the retrieve entry. */
  streamDocs?: DocSource;
}

export interface StepEntry {
  /** The steps the entry adds, in run order: the names `qcc run --stage` accepts. */
  readonly names: readonly string[];
  /** Builds them; none when the config leaves them out (the relevance loop off). Imported on use: `qcc --help` stays fast. */
  build(ctx: RunContext, built: BuiltSoFar): Promise<Step<any>[]>;
}

export const one = async <T>(step: T | undefined): Promise<T[]> => (step ? [step] : []);
export const streaming = (ctx: RunContext) => ctx.loaded.config.retrieve.mode === 'stream';

/**
 * The entry of a document step that runs a Stage<Doc, Doc> over the last document step, shard for shard
 * (removals recorded, the funnel counted: see docStageStep). `config` returns its config slice, or undefined to
 * leave the step out of this run. docs/steps.md shows a filter added this way.
 */
export function docStage<C>(
  name: string,
  config: (ctx: RunContext) => C | undefined,
  makeStage: (config: C) => Promise<Stage<Doc, Doc, C>>,
): StepEntry {
  return {
    names: [name],
    async build(ctx, b) {
      const cfg = config(ctx);
      if (cfg === undefined) return [];
      const { docStageStep } = await import('./doc-steps.js');
      return [docStageStep(ctx, { name, upstream: b.lastDocs, config: cfg, makeStage: () => makeStage(cfg) })];
    },
  };
}
