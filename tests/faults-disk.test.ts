/**
 * Issue 16, F6: the disk fills up during ingest and during publish. The output folder is a small tmpfs (the
 * test mounts one; it skips with a message where mounting is not permitted, except under CI=true); the run
 * is paused at the step, the disk is filled but for a few pages, and the run resumed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveSharedData, inCI, qcc, tempDir } from './helpers.js';
import {
  expectCleanError,
  tempFilesUnder,
  versionRecords,
  versionsIn,
  watchRun,
  writeFaultConfig,
} from './faults-helpers.js';

/** Mounts a tmpfs of `size` at `dir`; false (with the reason) where that is not permitted. */
function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (e) {
    const why = `cannot mount a tmpfs at ${dir} (${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()})`;
    if (inCI) throw new Error(`CI=true but ${why}`);
    console.warn(`skipping the disk-full tests: ${why}`);
    return false;
  }
}

/** Fills the file system of `dir` but for `leaveBytes`. */
function fillDisk(dir: string, leaveBytes: number): string {
  const filler = join(dir, 'filler.bin');
  const { bavail, bsize } = statfsSync(dir);
  writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leaveBytes)));
  return filler;
}

const mountPoint = join('/tmp', `qcc-f6-${process.pid}`);
/** Probed (mounted and unmounted at once) while collecting, so a filtered-out suite leaves no mount behind. */
function canMountTmpfs(): boolean {
  if (!mountTmpfs(mountPoint, '1m')) return false;
  execFileSync('umount', [mountPoint]);
  return true;
}

describe.runIf(haveSharedData() && canMountTmpfs())('F6: disk full (a 16 MiB tmpfs)', () => {
  let dir: string;
  let reference: string[];

  beforeAll(async () => {
    expect(mountTmpfs(mountPoint, '16m')).toBe(true);
    dir = await tempDir('qcc-f6-');
    const config = await writeFaultConfig(dir, { dataset: 'ref' });
    const clean = await qcc(['run', '--config', config, '--out', join(dir, 'ref-out')]);
    expect(clean.code, clean.stderr.slice(-1500)).toBe(0);
    reference = await versionRecords(join(dir, 'ref-out', 'ref'), 'v0001');
  }, 120_000);
  afterAll(() => {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  /** Runs with the disk filled when `step` starts; returns the failed run's result. */
  async function runFilledAt(config: string, out: string, step: string) {
    let filler: string | undefined;
    const run = watchRun(['--config', config, '--out', out], (e, child) => {
      if (!filler && e.event === 'step_started' && e.step === step) {
        child.kill('SIGSTOP');
        filler = fillDisk(mountPoint, 4096);
        child.kill('SIGCONT');
      }
    });
    const result = await run.done;
    expect(filler, result.stderr.slice(-1500)).toBeDefined();
    return { result, filler: filler! };
  }

  it('during ingest: an error naming step, shard and file, exit 1, no stack trace, lease released; after freeing space the rerun is exact', async () => {
    const out = join(mountPoint, 'ingest');
    const config = await writeFaultConfig(dir, { dataset: 'f6', name: 'ingest' });
    const { result, filler } = await runFilledAt(config, out, 'ingest');
    expect(result.code, result.stderr.slice(-1500)).toBe(1);
    expect(result.stderr).toMatch(
      /qcc: ingest failed on shard archive-\d{5}-\S+: \/\S+\/\.tmp-\d+-\w+-archive-\d{5}-\S+\.jsonl\.gz: cannot write \(ENOSPC: no space left on device, write\); free some space and rerun/,
    );
    expectCleanError(result);
    const datasetDir = join(out, 'f6');
    expect(existsSync(join(datasetDir, '.lock'))).toBe(false);
    expect(tempFilesUnder(datasetDir)).toEqual([]);

    rmSync(filler);
    const rerun = await qcc(['run', '--config', config, '--out', out]);
    expect(rerun.code, rerun.stderr.slice(-1500)).toBe(0);
    expect(rerun.stdout).toMatch(/^published v0001/);
    expect(await versionRecords(datasetDir, 'v0001')).toEqual(reference);
    rmSync(out, { recursive: true, force: true });
  }, 180_000);

  it('during publish: the half-built version is removed at once, nothing is published; after freeing space the rerun is exact', async () => {
    const out = join(mountPoint, 'publish');
    const config = await writeFaultConfig(dir, { dataset: 'f6', name: 'publish' });
    const { result, filler } = await runFilledAt(config, out, 'publish');
    expect(result.code, result.stderr.slice(-1500)).toBe(1);
    expect(result.stderr).toMatch(
      /qcc: publish failed on shard publish: \/\S+\/\.tmp-v0001-\d+\/\S+: cannot write \(ENOSPC: no space left on device, write\)/,
    );
    expectCleanError(result);
    const datasetDir = join(out, 'f6');
    expect(existsSync(join(datasetDir, '.lock'))).toBe(false);
    expect(versionsIn(datasetDir)).toEqual([]);
    expect(readdirSync(datasetDir).filter(n => n.startsWith('.tmp-'))).toEqual([]);
    expect(existsSync(join(datasetDir, 'LATEST'))).toBe(false);

    rmSync(filler);
    const rerun = await qcc(['run', '--config', config, '--out', out]);
    expect(rerun.code, rerun.stderr.slice(-1500)).toBe(0);
    expect(rerun.stdout).toMatch(/^published v0001/);
    expect(await versionRecords(datasetDir, 'v0001')).toEqual(reference);
    rmSync(out, { recursive: true, force: true });
  }, 180_000);
});
