/** Worker thread of ExtractPool: builds Docs from record blocks (see build-doc.ts), a batch per message. */
import { parentPort, workerData } from 'node:worker_threads';
import { buildDoc, type BuildInput } from './build-doc.js';
import type { IngestConfig } from './config.js';

const { config } = workerData as { config: IngestConfig };

parentPort!.on('message', (tasks: (Omit<BuildInput, 'config'> & { id: number })[]) => {
  const replies = tasks.map(task => {
    try {
      return { id: task.id, built: buildDoc({ ...task, config }) };
    } catch (e) {
      return { id: task.id, error: e instanceof Error ? e.message : String(e) };
    }
  });
  parentPort!.postMessage(replies);
});
