/** Worker thread of ExtractPool: builds Docs from record blocks (see build-doc.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { buildDoc, type BuildInput } from './build-doc.js';
import type { IngestConfig } from './config.js';

const { config } = workerData as { config: IngestConfig };

parentPort!.on('message', (task: Omit<BuildInput, 'config'> & { id: number }) => {
  try {
    parentPort!.postMessage({ id: task.id, built: buildDoc({ ...task, config }) });
  } catch (e) {
    parentPort!.postMessage({ id: task.id, error: e instanceof Error ? e.message : String(e) });
  }
});
