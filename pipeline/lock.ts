/**
 * A lease per dataset (`<datasetDir>/.lock`) so that two runs of one dataset never publish at once.
 * The lease names its holder (run, host, pid) and carries a heartbeat the holder refreshes; a lease whose
 * process is gone (same host) or whose heartbeat is older than the TTL is stale and may be taken over.
 */
import { randomUUID } from 'node:crypto';
import {
  linkSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/types.js';
import { datasetPaths } from './paths.js';
import { pidAlive } from '../core/process.js';

/** EX_TEMPFAIL (sysexits.h): the dataset is busy; a scheduler may simply try again later. */
export const EXIT_LOCKED = 75;
export const DEFAULT_LOCK_STALE_MS = 15 * 60_000;
export const DEFAULT_HEARTBEAT_MS = 30_000;

export interface LeaseInfo {
  /** Unique per acquisition: tells this holder's lease from a later one of the same process. */
  owner: string;
  run: string | null;
  host: string;
  pid: number;
  started: string;
  heartbeat: string;
}

export interface LeaseVerdict {
  stale: boolean;
  /** Why the lease is (or is not) considered stale, for messages. */
  reason: string;
}

export const lockPath = (datasetDir: string) => datasetPaths(datasetDir).lock;

/** Lock files held by this process (by path), so a lease naming our own pid is told from a leftover. */
const heldHere = new Map<string, string>();

export function describeAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}

export function describeHolder(info: LeaseInfo, now = Date.now()): string {
  return (
    `run ${info.run ?? '(starting)'} on host ${info.host}, pid ${info.pid}, started ${describeAge(now - Date.parse(info.started))} ago, ` +
    `last heartbeat ${describeAge(now - Date.parse(info.heartbeat))} ago`
  );
}

export function judgeLease(file: string, info: LeaseInfo, staleMs: number, now = Date.now()): LeaseVerdict {
  const sinceBeat = now - Date.parse(info.heartbeat);
  if (info.host === hostname()) {
    if (info.pid === process.pid && heldHere.get(file) !== info.owner) {
      return { stale: true, reason: `it names this process's pid ${info.pid} but was left by an earlier process` };
    }
    if (!pidAlive(info.pid)) return { stale: true, reason: `its process (pid ${info.pid} on ${info.host}) is gone` };
  }
  if (!(sinceBeat <= staleMs)) {
    return { stale: true, reason: `no heartbeat for ${describeAge(sinceBeat)} (TTL ${describeAge(staleMs)})` };
  }
  return {
    stale: false,
    reason: info.host === hostname() ? `pid ${info.pid} is running` : `heartbeat ${describeAge(sinceBeat)} ago`,
  };
}

type Read = { raw: string; info: LeaseInfo | null } | null;

function readRaw(file: string): Read {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const info = JSON.parse(raw) as LeaseInfo;
    if (typeof info.owner !== 'string' || typeof info.pid !== 'number' || typeof info.heartbeat !== 'string')
      return { raw, info: null };
    return { raw, info };
  } catch {
    return { raw, info: null };
  }
}

/** The current lease of a dataset, or null when there is none. An unreadable lock file is an error naming it. */
export function readLease(datasetDir: string): LeaseInfo | null {
  const file = lockPath(datasetDir);
  const read = readRaw(file);
  if (!read) return null;
  if (!read.info) throw new Error(`${file}: not a qcc lease (unreadable JSON); \`qcc unlock --force\` removes it`);
  return read.info;
}

export class LockedError extends Error {
  readonly exitCode = EXIT_LOCKED;
  constructor(
    readonly file: string,
    readonly holder: LeaseInfo,
    hint: string,
  ) {
    super(
      `${file}: the dataset is locked by ${describeHolder(holder)}; another run of this dataset is in progress. ` +
        `Try again later, wait for it with --lock-wait <seconds>, or, if that run is gone, remove the lease with \`${hint}\``,
    );
    this.name = 'LockedError';
  }
}

/** The run's lease was taken over or removed: the run stops before publishing anything. */
export class LeaseLostError extends Error {
  readonly exitCode = EXIT_LOCKED;
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(
      `lost the lease ${file}: ${detail}. This run stopped and published nothing; its finished shards are kept, so rerun it ` +
        `to resume once the dataset is free. A run paused for longer than --lock-stale loses its lease: raise it if this run was not dead`,
    );
    this.name = 'LeaseLostError';
  }
}

export interface Lease {
  readonly file: string;
  readonly info: LeaseInfo;
  /** Records the run id once it is known (it depends on the inputs, which are read under the lease). */
  setRun(run: string): void;
  /** False once another process took the lease over (this holder missed its heartbeats). */
  held(): boolean;
  /** Reads the lease file now; throws a LeaseLostError when it is no longer this holder's. */
  verify(): void;
  /** Called once, when the lease is found lost (at a heartbeat or a verify()). */
  onLost(listener: (err: LeaseLostError) => void): void;
  release(): Promise<void>;
}

/** Leases held by this process, by lock file: what assertLeaseHeld checks. */
const active = new Map<string, Lease>();

/**
 * Right before an irreversible step (publishing a version, moving LATEST): throws a LeaseLostError when this
 * process held the dataset's lease and no longer does. Without a lease held here (a step run on its own) it
 * does nothing.
 */
export function assertLeaseHeld(datasetDir: string): void {
  active.get(lockPath(datasetDir))?.verify();
}

export interface LockOptions {
  runId?: string | null;
  /** How long to wait for a held lease (polling) before giving up with a LockedError; 0: fail at once. */
  waitMs?: number;
  staleMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  /** The command an operator runs to remove the lease, quoted in the LockedError. */
  unlockHint?: string;
  /** Stops the wait (SIGTERM while waiting with --lock-wait). */
  signal?: AbortSignal;
  log: Logger;
}

function writeNew(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(tmp, content, { flag: 'wx' });
  try {
    // link() is atomic and exclusive, and the lease appears with its whole content.
    linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    return writeExclusive(file, content);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** For file systems without hard links: exclusive create, then the content. */
function writeExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Moves a stale lease aside, but only if it is still the one judged stale (a live holder's heartbeat
 * changes the content); a lease replaced meanwhile is put back.
 */
function removeIfUnchanged(file: string, seen: string): boolean {
  const aside = `${file}.stale-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = readRaw(aside);
  if (moved && moved.raw !== seen) {
    try {
      linkSync(aside, file);
    } catch {
      // Another lease appeared meanwhile; the displaced holder sees the change at its next heartbeat.
    }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { force: true });
  return true;
}

function unreadableAsLease(file: string): LeaseInfo {
  let mtime = new Date(0).toISOString();
  try {
    mtime = statSync(file).mtime.toISOString();
  } catch {}
  return { owner: '?', run: null, host: '?', pid: -1, started: mtime, heartbeat: mtime };
}

/** Takes the dataset's lease: at once, after waiting up to waitMs for the holder, or by taking over a stale one. */
export async function acquireDatasetLock(datasetDir: string, opts: LockOptions): Promise<Lease> {
  const file = lockPath(datasetDir);
  const staleMs = opts.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const heartbeatMs = opts.heartbeatMs ?? Math.min(DEFAULT_HEARTBEAT_MS, Math.max(1000, Math.floor(staleMs / 4)));
  const deadline = Date.now() + (opts.waitMs ?? 0);
  const now = new Date().toISOString();
  const info: LeaseInfo = {
    owner: randomUUID(),
    run: opts.runId ?? null,
    host: hostname(),
    pid: process.pid,
    started: now,
    heartbeat: now,
  };
  mkdirSync(datasetDir, { recursive: true });
  let announced = false;
  for (;;) {
    if (writeNew(file, JSON.stringify(info) + '\n')) break;
    const current = readRaw(file);
    if (!current) continue;
    const holder = current.info ?? unreadableAsLease(file);
    const verdict = current.info
      ? judgeLease(file, holder, staleMs)
      : {
          stale: Date.now() - Date.parse(holder.heartbeat) > staleMs,
          reason: 'the lock file is unreadable and older than the TTL',
        };
    if (verdict.stale) {
      if (removeIfUnchanged(file, current.raw)) {
        opts.log.warn(`taking over a stale lease of ${datasetDir}: ${verdict.reason}`, {
          lock: file,
          stale_holder: holder,
        });
      }
      continue;
    }
    if (Date.now() >= deadline) throw new LockedError(file, holder, opts.unlockHint ?? `qcc unlock --config <config>`);
    if (!announced)
      opts.log.info(`waiting for the lease of ${datasetDir}, held by ${describeHolder(holder)}`, {
        lock: file,
        holder,
      });
    announced = true;
    await sleep(
      Math.min(opts.pollMs ?? 1000, Math.max(1, deadline - Date.now())),
      undefined,
      opts.signal ? { signal: opts.signal } : {},
    );
  }
  heldHere.set(file, info.owner);
  return startHeartbeat(file, info, heartbeatMs, opts.log);
}

function startHeartbeat(file: string, info: LeaseInfo, heartbeatMs: number, log: Logger): Lease {
  let lost: LeaseLostError | null = null;
  let released = false;
  const listeners: ((err: LeaseLostError) => void)[] = [];
  /** True while the lease file is still ours; else marks the lease lost (once) and tells the listeners. */
  const check = (): boolean => {
    if (lost) return false;
    const current = readRaw(file);
    if (current?.info?.owner === info.owner) return true;
    lost = new LeaseLostError(file, current?.info ? `taken over by ${describeHolder(current.info)}` : 'it was removed');
    clearInterval(timer);
    log.error(lost.message, { lock: file });
    for (const listener of listeners.splice(0)) listener(lost);
    return false;
  };
  const rewrite = () => {
    if (lost || released || !check()) return;
    info.heartbeat = new Date().toISOString();
    const tmp = `${file}.${process.pid}.heartbeat.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(info) + '\n');
      renameSync(tmp, file);
    } catch (err) {
      log.warn(`could not refresh the lease heartbeat in ${file}: ${(err as Error).message}`, { lock: file });
    }
  };
  const timer = setInterval(rewrite, heartbeatMs);
  timer.unref();
  const lease: Lease = {
    file,
    info,
    setRun(run: string) {
      info.run = run;
      rewrite();
    },
    held: () => !lost && !released,
    verify() {
      if (!released && !check()) throw lost!;
    },
    onLost(listener) {
      if (lost) listener(lost);
      else listeners.push(listener);
    },
    // Synchronous inside (no await), so a signal handler can release the lease right before exiting.
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      heldHere.delete(file);
      if (active.get(file) === lease) active.delete(file);
      if (lost) return;
      const current = readRaw(file);
      if (current?.info?.owner === info.owner) rmSync(file, { force: true });
    },
  };
  active.set(file, lease);
  return lease;
}

/**
 * For an operator: removes the dataset's lease and returns whose it was (null: there was none). A lease
 * that looks alive is left alone unless `force`.
 */
export function removeDatasetLock(
  datasetDir: string,
  opts: { force: boolean; staleMs?: number },
): { holder: LeaseInfo | null; verdict: LeaseVerdict | null } {
  const file = lockPath(datasetDir);
  const current = readRaw(file);
  if (!current) return { holder: null, verdict: null };
  if (!current.info) {
    if (!opts.force) throw new Error(`${file}: not a qcc lease (unreadable JSON); remove it with --force`);
    rmSync(file, { force: true });
    return { holder: unreadableAsLease(file), verdict: { stale: true, reason: 'unreadable' } };
  }
  const verdict = judgeLease(file, current.info, opts.staleMs ?? DEFAULT_LOCK_STALE_MS);
  if (!verdict.stale && !opts.force) {
    throw new Error(
      `${file}: held by ${describeHolder(current.info)}, which looks alive (${verdict.reason}); ` +
        `stop that run first, or remove the lease anyway with --force`,
    );
  }
  rmSync(file, { force: true });
  return { holder: current.info, verdict };
}

/** The lease as status reports it: who holds it and whether it is stale. */
export function lockState(
  datasetDir: string,
  staleMs = DEFAULT_LOCK_STALE_MS,
): { file: string; held: boolean; holder?: LeaseInfo; stale?: boolean; reason?: string } {
  const file = lockPath(datasetDir);
  const current = readRaw(file);
  if (!current) return { file, held: false };
  if (!current.info) return { file, held: true, stale: true, reason: 'unreadable lock file' };
  const verdict = judgeLease(file, current.info, staleMs);
  return { file, held: true, holder: current.info, stale: verdict.stale, reason: verdict.reason };
}
