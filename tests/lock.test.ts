import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { acquireDatasetLock, EXIT_LOCKED, LockedError, lockPath, type LeaseInfo } from '../pipeline/lock.js';
import type { Logger } from '../core/types.js';
import { haveSharedData, itSlow, qcc, tempDir } from './helpers.js';
import { publishedSet, writeLeanConfig } from './ops-helpers.js';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (msg: string) => lines.push(`${level}: ${msg}`);
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

const readLeaseFile = (dir: string) => JSON.parse(readFileSync(lockPath(dir), 'utf8')) as LeaseInfo;

/** Waits for what the lease's timers do (heartbeats every 50 ms, polls) instead of sleeping a guessed time. */
const until = (condition: () => boolean) => vi.waitUntil(condition, { timeout: 10_000, interval: 10 });

async function writeLease(datasetDir: string, info: Partial<LeaseInfo>): Promise<void> {
  const now = new Date().toISOString();
  const lease: LeaseInfo = {
    owner: 'someone-else',
    run: 'r-old',
    host: hostname(),
    pid: deadPid(),
    started: now,
    heartbeat: now,
    ...info,
  };
  await mkdir(datasetDir, { recursive: true });
  await writeFile(lockPath(datasetDir), JSON.stringify(lease));
}

describe('the dataset lease (in process)', () => {
  it('is exclusive, refreshes its heartbeat, and can be waited for', async () => {
    const dir = await tempDir('qcc-lock-');
    const log = recordingLog();
    const first = await acquireDatasetLock(dir, { runId: 'run-a', heartbeatMs: 50, log });
    const written = JSON.parse(readFileSync(lockPath(dir), 'utf8')) as LeaseInfo;
    expect(written).toMatchObject({ run: 'run-a', host: hostname(), pid: process.pid });

    const refused = await acquireDatasetLock(dir, { runId: 'run-b', log }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockedError);
    expect((refused as LockedError).exitCode).toBe(EXIT_LOCKED);
    expect((refused as Error).message).toMatch(
      new RegExp(`locked by run run-a on host ${hostname()}, pid ${process.pid}, started \\d+s ago`),
    );
    expect((refused as Error).message).toContain('qcc unlock');

    await until(() => Date.parse(readLeaseFile(dir).heartbeat) > Date.parse(written.heartbeat));
    expect(readLeaseFile(dir)).toMatchObject({ owner: written.owner, run: 'run-a', started: written.started });

    const waiting = acquireDatasetLock(dir, { runId: 'run-b', waitMs: 10_000, pollMs: 50, log });
    await until(() => log.lines.some(l => /waiting for the lease .* held by run run-a/.test(l)));
    expect(readLeaseFile(dir).run).toBe('run-a');
    await first.release();
    const second = await waiting;
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).run).toBe('run-b');
    expect(log.lines.some(l => /waiting for the lease .* held by run run-a/.test(l))).toBe(true);
    await second.release();
    expect(existsSync(lockPath(dir))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a lease whose process is gone, or whose heartbeat is older than the TTL, and says so', async () => {
    const dir = await tempDir('qcc-lock-');
    const log = recordingLog();
    const pid = deadPid();
    await writeLease(dir, { pid });
    const lease = await acquireDatasetLock(dir, { runId: 'run-new', log });
    expect(log.lines.find(l => l.startsWith('warn:'))).toMatch(
      new RegExp(`taking over a stale lease .*its process \\(pid ${pid} on ${hostname()}\\) is gone`),
    );
    await lease.release();

    const old = new Date(Date.now() - 3600_000).toISOString();
    await writeLease(dir, { host: 'elsewhere', pid: 1, heartbeat: old, started: old });
    await expect(acquireDatasetLock(dir, { log, staleMs: 2 * 3600_000 })).rejects.toThrow(/host elsewhere, pid 1/);
    const taken = await acquireDatasetLock(dir, { log, staleMs: 60_000 });
    expect(log.lines.at(-1)).toMatch(/taking over a stale lease .*no heartbeat for 60m \(TTL 60s\)/);
    await taken.release();
  });

  it('notices when its lease was taken over', async () => {
    const dir = await tempDir('qcc-lock-');
    const log = recordingLog();
    const lease = await acquireDatasetLock(dir, { heartbeatMs: 50, log });
    await writeLease(dir, { host: 'elsewhere', pid: 4242, owner: 'thief' });
    await until(() => !lease.held());
    expect(
      log.lines.some(l => /error: lost the lease .* taken over by run r-old on host elsewhere, pid 4242/.test(l)),
    ).toBe(true);
    await lease.release();
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).owner).toBe('thief');
  });
});

describe.runIf(haveSharedData())('two `qcc run` of one dataset at once', () => {
  it('exactly one publishes; the other exits 75 naming the holder, or waits and says "up to date"; nothing is lost', async () => {
    const dir = await tempDir('qcc-lock-run-');
    const config = await writeLeanConfig(dir, { dataset: 'locked', cacheDir: join(dir, 'cache'), llm: false });

    const outA = join(dir, 'a');
    const [a1, a2] = await Promise.all([
      qcc(['run', '--config', config, '--out', outA]),
      qcc(['run', '--config', config, '--out', outA]),
    ]);
    const codes = [a1.code, a2.code].sort();
    expect(codes, a1.stderr.slice(-400) + a2.stderr.slice(-400)).toEqual([0, EXIT_LOCKED]);
    const winner = a1.code === 0 ? a1 : a2;
    const loser = a1.code === 0 ? a2 : a1;
    expect(winner.stdout).toMatch(/published v0001/);
    expect(loser.stdout).toBe('');
    expect(loser.stderr).toMatch(
      /the dataset is locked by run \S+ on host \S+, pid \d+, started \d+s ago, last heartbeat \d+s ago/,
    );
    expect(loser.stderr).toContain(`qcc unlock --config ${config} --out ${outA}`);
    expect(existsSync(join(outA, 'locked', '.lock'))).toBe(false);

    const outB = join(dir, 'b');
    const wait = ['--lock-wait', '300'];
    const [b1, b2] = await Promise.all([
      qcc(['run', '--config', config, '--out', outB, ...wait]),
      qcc(['run', '--config', config, '--out', outB, ...wait]),
    ]);
    expect([b1.code, b2.code], b1.stderr.slice(-400) + b2.stderr.slice(-400)).toEqual([0, 0]);
    const outs = [b1.stdout, b2.stdout].sort();
    expect(outs[0]).toMatch(/^published v0001/);
    expect(outs[1]).toMatch(/^up to date: v0001/);
    expect([b1.stderr, b2.stderr].some(e => e.includes('waiting for the lease'))).toBe(true);

    const published = await publishedSet(join(outA, 'locked'));
    const waited = await publishedSet(join(outB, 'locked'));
    expect(published.records.length).toBeGreaterThan(10);
    expect(new Set(waited.records).size).toBe(waited.records.length);
    expect(waited.records).toEqual(published.records);
    expect(readdirSync(join(outB, 'locked')).filter(n => /^v\d+$/.test(n))).toEqual(['v0001']);
  });

  itSlow(
    'takes over the stale lease of a dead run, and `qcc unlock` removes a lease and says whose it was',
    async () => {
      const dir = await tempDir('qcc-lock-run-');
      const config = await writeLeanConfig(dir, { dataset: 'stale', cacheDir: join(dir, 'cache'), llm: false });
      const out = join(dir, 'out');
      const datasetDir = join(out, 'stale');

      const pid = deadPid();
      await writeLease(datasetDir, { pid, run: 'r-crashed' });
      const status = await qcc(['status', '--config', config, '--out', out, '--json']);
      expect(status.code, status.stderr).toBe(0);
      const report = JSON.parse(status.stdout);
      expect(report.text).toBeUndefined();
      expect(report.lock).toMatchObject({ held: true, stale: true, holder: { run: 'r-crashed', pid } });
      expect(report.lock.reason).toMatch(/is gone/);

      const run = await qcc(['run', '--config', config, '--out', out]);
      expect(run.code, run.stderr.slice(-600)).toBe(0);
      expect(run.stdout).toMatch(/published v0001/);
      expect(run.stderr).toMatch(
        new RegExp(`taking over a stale lease of ${datasetDir}: its process \\(pid ${pid} on ${hostname()}\\) is gone`),
      );
      expect(existsSync(lockPath(datasetDir))).toBe(false);

      // A live-looking lease of another host: runs exit 75 naming it; unlock refuses without --force.
      await writeLease(datasetDir, { host: 'worker-7', pid: 99, run: 'r-other' });
      const blocked = await qcc(['run', '--config', config, '--out', out]);
      expect(blocked.code).toBe(EXIT_LOCKED);
      expect(blocked.stderr).toMatch(/locked by run r-other on host worker-7, pid 99/);
      const held = JSON.parse((await qcc(['status', '--config', config, '--out', out, '--json'])).stdout);
      expect(held.lock).toMatchObject({ held: true, stale: false, holder: { host: 'worker-7' } });

      const refused = await qcc(['unlock', '--config', config, '--out', out]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/held by run r-other on host worker-7, pid 99.*looks alive.*--force/);
      expect(existsSync(lockPath(datasetDir))).toBe(true);

      const forced = await qcc(['unlock', '--config', config, '--out', out, '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(/removed the lease of .*stale, held by run r-other on host worker-7, pid 99/);
      expect(existsSync(lockPath(datasetDir))).toBe(false);

      const none = await qcc(['unlock', '--config', config, '--out', out]);
      expect(none.stdout).toMatch(/no lease on .*nothing to unlock/);
      const again = await qcc(['run', '--config', config, '--out', out]);
      expect(again.code, again.stderr.slice(-400)).toBe(0);
      expect(again.stdout).toMatch(/up to date: v0001/);
    },
  );
});
