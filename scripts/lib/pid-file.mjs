import { existsSync, readFileSync } from 'node:fs';

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
