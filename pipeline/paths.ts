import { join } from 'node:path';

/** The layout of one run's work folder and of the dataset it publishes into. */
export function runPaths(datasetDir: string, runHash: string) {
  const work = join(datasetDir, '.work', runHash);
  return {
    work,
    state: join(work, 'state'),
    queries: join(work, 'queries'),
    docs: join(work, 'docs'),
    index: join(work, 'index.sqlite'),
    hits: join(work, 'hits'),
    lock: join(work, 'run.lock'),
  };
}
export type RunPaths = ReturnType<typeof runPaths>;
