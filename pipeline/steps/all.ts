import type { Step } from '../runner.js';
import type { RunContext } from './context.js';
import type { DocStep } from './doc-steps.js';
import { type BuiltSoFar, one, type StepEntry, streaming } from './entry.js';

/**
 * The qcc run, in order: bootstrap → bootstrap_finalise ‖ ingest → index → retrieve → candidates → (document steps) → publish.
 * A document step (`docs: true`) transforms the last one before it; a new filter is one line here.
 */
export const STEP_REGISTRY: readonly StepEntry[] = [
  { names: ['bootstrap'], build: async ctx => one((await import('./bootstrap.js')).bootstrapStep(ctx)) },
  {
    names: ['bootstrap_finalise'],
    build: async ctx => one((await import('./bootstrap-finalise.js')).bootstrapFinaliseStep(ctx)),
  },
  { names: ['ingest'], build: async ctx => one((await import('./ingest.js')).ingestStep(ctx)) },
  {
    names: ['index'],
    build: async ctx => one(streaming(ctx) ? undefined : (await import('./index-step.js')).indexStep(ctx)),
  },
  {
    // retrieve.mode: stream scores each ingest shard against the queries instead (docs/scale.md).
    names: ['stream_stats', 'stream_floor', 'stream_score', 'retrieve'],
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
    // relevance_sample and relevance_recall have shards only with relevance.sample_docs (docs/scale.md).
    names: ['relevance_sample', 'relevance_model', 'relevance_recall', 'relevance'],
    build: async (ctx, b) => {
      const relevance = (await import('./relevance.js')).relevanceSteps(ctx, b.lastDocs);
      return relevance ? [relevance.sample, relevance.model, relevance.recall, relevance.docs] : [];
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

/** Builds the registry's steps for this run; `close` releases what they hold open (models, indexes). */
export async function createSteps(ctx: RunContext): Promise<{ steps: Step<any>[]; close(): Promise<void> }> {
  const steps: Step<any>[] = [];
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
