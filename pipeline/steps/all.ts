import type { Step } from '../runner.js';
import { bootstrapStep } from './bootstrap.js';
import type { RunContext } from './context.js';
import { indexStep } from './index-step.js';
import { ingestStep } from './ingest.js';
import { publishStep } from './publish.js';
import { retrieveStep } from './retrieve-step.js';

/** The qcc run, in order: bootstrap ‖ ingest → index → retrieve → publish. */
export function createSteps(ctx: RunContext): { steps: Step<any>[]; close(): Promise<void> } {
  const bootstrap = bootstrapStep(ctx);
  const index = indexStep(ctx);
  const retrieve = retrieveStep(ctx);
  const steps = [bootstrap, ingestStep(ctx), index, retrieve, publishStep(ctx)];
  return {
    steps,
    async close() {
      await Promise.all([bootstrap.close(), index.close(), retrieve.close()]);
    },
  };
}
