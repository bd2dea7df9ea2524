/**
 * How a run stops early: SIGINT/SIGTERM or a lost lease abort the runner (it starts no new shard and the
 * shard in flight is cancelled where it honours the signal), the lease is released, and the CLI exits with
 * 128 + the signal's number. Finished shards are kept, so a rerun resumes.
 */
import { constants } from 'node:os';

/** A run stopped by a signal; the CLI exits with `exitCode` (130 for SIGINT, 143 for SIGTERM). */
export class RunStopped extends Error {
  readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped, rerun to resume (${signal}; finished shards are kept and the dataset's lease was released)`);
    this.name = 'RunStopped';
    this.exitCode = 128 + (constants.signals[signal] ?? 15);
  }
}

/** How long a run may take to wind down after a signal before it exits anyway (its lease released first). */
export const STOP_GRACE_MS = 10_000;

/**
 * Aborts `controller` on SIGINT or SIGTERM. If the run has not wound down `graceMs` later, or a second
 * signal comes, `onForce` runs (it must release the lease synchronously) and the process exits.
 * Returns the function that removes the handlers.
 */
export function abortOnSignals(controller: AbortController, onForce: () => void, graceMs = STOP_GRACE_MS): () => void {
  let timer: NodeJS.Timeout | undefined;
  const force = (stopped: RunStopped) => {
    onForce();
    process.stderr.write(`qcc: ${stopped.message}\n`);
    process.exit(stopped.exitCode);
  };
  const handler = (signal: NodeJS.Signals) => {
    const stopped = new RunStopped(signal);
    if (controller.signal.aborted) return force(stopped);
    controller.abort(stopped);
    timer = setTimeout(() => force(stopped), graceMs);
    timer.unref();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
    if (timer) clearTimeout(timer);
  };
}
