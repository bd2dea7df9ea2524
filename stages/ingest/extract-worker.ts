/** Worker thread of ExtractPool: builds Docs from record blocks (see build-doc.ts). */
import { parentPort } from 'node:worker_threads';
import { buildDoc, type BuildInput } from './build-doc.js';

parentPort!.on('message', (task: BuildInput & { id: number }) => {
  try {
    parentPort!.postMessage({ id: task.id, built: buildDoc(task) });
  } catch (e) {
    parentPort!.postMessage({ id: task.id, error: e instanceof Error ? e.message : String(e) });
  }
});
