import { existsSync, readFileSync, rmSync } from 'node:fs';

/** The pid a server's pid file names, if that process is running (a zombie or a dead pid is not). */
export function runningPid(pidFile) {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // A SIGKILLed process lingers as a zombie until its (re)parent reaps it: that is not running.
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    if (state === 'Z' || state === 'X') return undefined;
  } catch {
    // no /proc: trust kill(0)
  }
  return pid;
}

/**
 * Stops the server its pid file names: SIGTERM, then waits up to `timeoutMs` for it to exit; removes the pid
 * file. Says "not running" when there is nothing to stop.
 */
export async function stopServer(pidFile, { timeoutMs, log }) {
  const pid = runningPid(pidFile);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    log('not running');
    return;
  }
  process.kill(pid, 'SIGTERM');
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (runningPid(pidFile) === undefined) {
      rmSync(pidFile, { force: true });
      log(`stopped pid ${pid}`);
      return;
    }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`pid ${pid} did not stop within ${timeoutMs / 1000} s of SIGTERM`);
}
