import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CliResult } from './helpers.js';
import { allWorkers } from './ops-helpers.js';

/** A process that writes two log lines and then never ends, as a hung worker does. */
function hungWorker() {
  const child = spawn(process.execPath, ['-e', 'console.error("line a\\nline b"); setTimeout(() => {}, 1e6)'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', d => (stderr += d));
  const done = new Promise<CliResult>(resolve =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })),
  );
  return { child, done };
}

describe('allWorkers with a deadline (the multi-worker tests use it)', () => {
  it('stops hung workers at the deadline and fails with every rank’s last lines and the diagnosis', async () => {
    const runs = [hungWorker(), hungWorker()];
    await expect(allWorkers(runs, { deadlineMs: 1500, diagnose: async () => 'cluster: 2 nodes' })).rejects.toThrow(
      /still running after 1500 ms\nrank 0, last lines:\nline a\nline b[\s\S]*rank 1, last lines:\nline a\nline b[\s\S]*cluster: 2 nodes/,
    );
    expect(runs.every(r => r.child.signalCode === 'SIGKILL')).toBe(true);
  });
});
