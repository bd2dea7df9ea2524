/**
 * Worker threads that run buildDoc (HTTP decoding, charset, extraction, language id: most of the
 * CPU of ingest) while the main thread reads and parses the archive. Tasks go to the least busy
 * worker; results come back as promises, which readArchive yields in file order.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Built, BuildInput } from './build-doc.js';
import type { IngestConfig } from './config.js';

interface Pending {
  resolve: (b: Built) => void;
  reject: (e: Error) => void;
}

type Task = Omit<BuildInput, 'config'> & { id: number };
type Reply = { id: number; built?: Built; error?: string };

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Tasks not yet sent: they go in batches, since each message costs a wake-up of the other thread. */
  batch: Task[];
}

/** Tasks per message. */
export const BATCH = 8;

/**
 * The worker next to this module, with this module's extension (.js once compiled, .mjs in a
 * bundle); or, when this module runs as TypeScript source
 * (tests, tsx), the .ts file behind a bootstrap that registers tsx's loader in the worker first
 * (a worker does not inherit the parent's loader hooks).
 */
function startWorker(config: IngestConfig): Worker {
  const workerData = { config };
  const ext = /\.[cm]?[jt]s$/.exec(new URL(import.meta.url).pathname)?.[0] ?? '.js';
  if (ext !== '.ts') return new Worker(new URL(`./extract-worker${ext}`, import.meta.url), { workerData });
  // The ESM entry of tsx's API, from its package exports (its CommonJS entry cannot be import()ed).
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default)).href;
  const entry = new URL('./extract-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export class ExtractPool {
  /** Worker threads alive across all pools (for tests: none may outlive its readArchive). */
  static live = 0;
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;
  private flushQueued = false;

  /** `config` goes to each worker once, not with every task. */
  constructor(size: number, config: IngestConfig) {
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: startWorker(config), pending: new Map(), batch: [] };
      slot.worker.on('message', (replies: Reply[]) => {
        for (const m of replies) {
          const p = slot.pending.get(m.id);
          if (!p) continue;
          slot.pending.delete(m.id);
          if (m.built) p.resolve(m.built);
          else p.reject(new Error(`extract worker: ${m.error}`));
        }
      });
      const failAll = (e: Error) => {
        for (const p of slot.pending.values()) p.reject(e);
        slot.pending.clear();
      };
      slot.worker.on('error', failAll);
      ExtractPool.live++;
      slot.worker.on('exit', code => {
        ExtractPool.live--;
        if (!this.closed) failAll(new Error(`extract worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /**
   * The document of one record, built by the least busy worker. A task is sent when its worker's batch
   * is full, or at the latest when the event loop next turns (before any wait for a result).
   */
  run(input: BuildInput): Promise<Built> {
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    const { config: _sentOnce, ...task } = input;
    const result = new Promise<Built>((resolve, reject) => slot.pending.set(id, { resolve, reject }));
    slot.batch.push({ ...task, id });
    if (slot.batch.length >= BATCH) this.send(slot);
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        for (const s of this.slots) this.send(s);
      });
    }
    return result;
  }

  private send(slot: Slot): void {
    if (slot.batch.length === 0 || this.closed) return;
    slot.worker.postMessage(slot.batch);
    slot.batch = [];
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map(s => s.worker.terminate()));
  }
}
