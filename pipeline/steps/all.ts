import type { Step } from '../runner.js';
import { bootstrapStep } from './bootstrap.js';
import { candidatesStep } from './candidates.js';
import type { RunContext } from './context.js';
import { decontamStep } from './decontam.js';
import { dedupApplyStep, dedupStep, signaturesStep } from './dedup.js';
import { filterStep } from './filter.js';
import type { DocStep } from './doc-steps.js';
import { indexStep } from './index-step.js';
import { ingestStep } from './ingest.js';
import { publishStep } from './publish.js';
import { relevanceSteps } from './relevance.js';
import { relevanceEstimateStep } from './relevance-estimate.js';
import { retrieveStep } from './retrieve-step.js';
import { streamRetrievalSteps } from './stream-retrieve.js';

/**
 * The qcc run, in order: bootstrap ‖ ingest → index → retrieve → candidates → (document steps) → publish.
 * Document steps transform the candidates shard for shard; publish reads the last one.
 */
export function createSteps(ctx: RunContext): { steps: Step<any>[]; close(): Promise<void> } {
  const bootstrap = bootstrapStep(ctx);
  const index = indexStep(ctx);
  const retrieve = retrieveStep(ctx);
  const stream = ctx.loaded.config.retrieve.mode === 'stream' ? streamRetrievalSteps(ctx) : undefined;
  const candidates = candidatesStep(ctx, stream?.docs);
  const docSteps: DocStep[] = [candidates];
  const relevance = relevanceSteps(ctx, candidates);
  if (relevance) docSteps.push(relevance.docs);
  docSteps.push(filterStep(ctx, docSteps.at(-1)!));
  docSteps.push(decontamStep(ctx, docSteps.at(-1)!));
  const signatures = signaturesStep(ctx, docSteps.at(-1)!);
  const dedup = dedupStep(ctx, docSteps.at(-1)!);
  docSteps.push(dedupApplyStep(ctx, docSteps.at(-1)!));
  const estimate = relevance ? relevanceEstimateStep(ctx, docSteps.at(-1)!) : undefined;
  const steps = [
    bootstrap,
    ingestStep(ctx),
    ...(stream ? stream.steps : [index, retrieve]),
    candidates,
    ...(relevance ? [relevance.model] : []),
    ...docSteps.slice(1, -1),
    signatures,
    dedup,
    docSteps.at(-1)!,
    ...(estimate ? [estimate] : []),
    publishStep(ctx, docSteps, estimate ? [estimate.name] : []),
  ];
  return {
    steps,
    async close() {
      await Promise.all([bootstrap.close(), index.close(), retrieve.close(), candidates.finalize?.()]);
    },
  };
}
