import type { Doc, Stage } from '../../core/types.js';
import type { Step } from '../runner.js';
import type { RunContext } from './context.js';
import type { DocSource } from './candidates.js';
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

const one = async <T>(step: T | undefined): Promise<T[]> => (step ? [step] : []);
const streaming = (ctx: RunContext) => ctx.loaded.config.retrieve.mode === 'stream';

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

/**
 * The qcc run, in order: bootstrap ‖ ingest → index → retrieve → candidates → (document steps) → publish.
 * A document step (`docs: true`) transforms the last one before it; a new filter is one line here.
 */
export const STEP_REGISTRY: readonly StepEntry[] = [
  { names: ['bootstrap'], build: async ctx => one((await import('./bootstrap.js')).bootstrapStep(ctx)) },
  { names: ['ingest'], build: async ctx => one((await import('./ingest.js')).ingestStep(ctx)) },
  {
    names: ['index'],
    build: async ctx => one(streaming(ctx) ? undefined : (await import('./index-step.js')).indexStep(ctx)),
  },
  {
    // retrieve.mode: stream scores each ingest shard against the queries instead (docs/scale.md).
    names: ['stream_stats', 'stream_score', 'retrieve'],
    build: async (ctx, b) => {
      if (!streaming(ctx)) return one((await import('./retrieve-step.js')).retrieveStep(ctx));
      const stream = (await import('./stream-retrieve.js')).streamRetrievalSteps(ctx);
      b.streamDocs = stream.docs;
      return stream.steps;
    },
  },
  {
    names: ['candidates'],
    build: async (ctx, b) => one((await import('./candidates.js')).candidatesStep(ctx, b.streamDocs)),
  },
  {
    names: ['relevance_model', 'relevance'],
    build: async (ctx, b) => {
      const relevance = (await import('./relevance.js')).relevanceSteps(ctx, b.lastDocs);
      return relevance ? [relevance.model, relevance.docs] : [];
    },
  },
  { names: ['filter'], build: async (ctx, b) => one((await import('./filter.js')).filterStep(ctx, b.lastDocs)) },
  { names: ['decontam'], build: async (ctx, b) => one((await import('./decontam.js')).decontamStep(ctx, b.lastDocs)) },
  {
    names: ['dedup_signatures'],
    build: async (ctx, b) => one((await import('./dedup.js')).signaturesStep(ctx, b.lastDocs)),
  },
  { names: ['dedup'], build: async (ctx, b) => one((await import('./dedup.js')).dedupStep(ctx, b.lastDocs)) },
  {
    names: ['dedup_apply'],
    build: async (ctx, b) => one((await import('./dedup.js')).dedupApplyStep(ctx, b.lastDocs)),
  },
  {
    names: ['relevance_estimate'],
    build: async (ctx, b) =>
      one(
        b.has('relevance')
          ? (await import('./relevance-estimate.js')).relevanceEstimateStep(ctx, b.lastDocs)
          : undefined,
      ),
  },
  {
    names: ['publish'],
    build: async (ctx, b) =>
      one(
        (await import('./publish.js')).publishStep(
          ctx,
          [...b.docSteps],
          b.has('relevance_estimate') ? ['relevance_estimate'] : [],
        ),
      ),
  },
];

/** Every step name, in run order. */
export const STEP_NAMES: readonly string[] = STEP_REGISTRY.flatMap(e => e.names);

const isDocStep = (step: Step<any>): step is DocStep => (step as Partial<DocStep>).docs === true;

type Closable = Step<any> & { close?(): Promise<void> };

/** Builds the registry's steps for this run; `close` releases what they hold open (models, indexes). */
export async function createSteps(ctx: RunContext): Promise<{ steps: Step<any>[]; close(): Promise<void> }> {
  const steps: Closable[] = [];
  const docSteps: DocStep[] = [];
  const built: BuiltSoFar = {
    get lastDocs() {
      const last = docSteps.at(-1);
      if (!last) throw new Error('a document step needs a document step before it in the step registry');
      return last;
    },
    docSteps,
    has: name => steps.some(s => s.name === name),
  };
  for (const entry of STEP_REGISTRY) {
    const made = await entry.build(ctx, built);
    const unknown = made.find(s => !entry.names.includes(s.name));
    if (unknown)
      throw new Error(`step registry: the entry for ${entry.names.join(', ')} built a step named ${unknown.name}`);
    for (const step of made) {
      steps.push(step);
      if (isDocStep(step)) docSteps.push(step);
    }
  }
  return {
    steps,
    async close() {
      await Promise.all(steps.map(s => s.close?.()));
    },
  };
}
