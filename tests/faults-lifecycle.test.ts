/**
 * Issue 16, the run's lifecycle on real archives: a kill between the version's rename and LATEST (F1), a
 * lease lost while running (F5), SIGTERM / Ctrl-C (F7), temp files of killed runs (F12), and names from
 * input that would become paths outside the output folder (F3, F8: the publish-side confinement).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_LOCKED } from '../pipeline/lock.js';
import { confinedPath, PathEscapeError } from '../stages/shared/confine.js';
import { haveSharedData, qcc, repo, tempDir } from './helpers.js';
import {
  deadPid,
  expectCleanError,
  FAULT_WARCS,
  readerRecords,
  tempFilesUnder,
  THIRD_WARC,
  versionRecords,
  versionsIn,
  watchRun,
  writeFaultConfig,
} from './faults-helpers.js';

const stepEvent = (e: Record<string, unknown>, event: string, step: string) => e.event === event && e.step === step;

describe.runIf(haveSharedData())('faults of the run lifecycle (issue 16)', () => {
  /** The record set of an uninterrupted run: every faulted run below must publish exactly this. */
  let reference: string[];

  beforeAll(async () => {
    const dir = await tempDir('qcc-faults-ref-');
    const config = await writeFaultConfig(dir, { dataset: 'ref' });
    const clean = await qcc(['run', '--config', config, '--out', join(dir, 'out')]);
    expect(clean.code, clean.stderr.slice(-1500)).toBe(0);
    reference = await versionRecords(join(dir, 'out', 'ref'), 'v0001');
    expect(reference.length).toBeGreaterThan(10);
  }, 120_000);

  it('F1: a version renamed into place with LATEST left on its parent: the rerun repairs LATEST, readers get every record again', async () => {
    const dir = await tempDir('qcc-f1-');
    const out = join(dir, 'out');
    const datasetDir = join(out, 'f1');
    const first = await qcc([
      'run',
      '--config',
      await writeFaultConfig(dir, { dataset: 'f1', name: 'first' }),
      '--out',
      out,
    ]);
    expect(first.code, first.stderr.slice(-1500)).toBe(0);
    const second = await writeFaultConfig(dir, { dataset: 'f1', name: 'second', warcs: [...FAULT_WARCS, THIRD_WARC] });
    const published = await qcc(['run', '--config', second, '--out', out]);
    expect(published.stdout).toMatch(/published v0002 \(parent: v0001\)/);
    const v1 = await versionRecords(datasetDir, 'v0001');
    const v2 = await versionRecords(datasetDir, 'v0002');
    expect(v1).toEqual(reference);
    expect(v2.length).toBeGreaterThan(0);
    const full = [...v1, ...v2].sort();
    expect(await readerRecords(datasetDir)).toEqual(full);

    // What `kill -9` between the rename of v0002 and the write of LATEST leaves: readers lose v0002's records.
    await writeFile(join(datasetDir, 'LATEST'), 'v0001\n');
    expect((await readerRecords(datasetDir)).length).toBe(v1.length);
    const status = await qcc(['status', '--config', second, '--out', out, '--json']);
    expect(JSON.parse(status.stdout).latest_stale).toEqual({ named: 'v0001', newest: 'v0002' });

    const rerun = await qcc(['run', '--config', second, '--out', out]);
    expect(rerun.code, rerun.stderr.slice(-1500)).toBe(0);
    expect(rerun.stdout).toMatch(/^up to date: v0002/);
    expect(rerun.stderr).toContain(`${join(datasetDir, 'LATEST')} named v0001, not the newest complete version v0002`);
    expect(readFileSync(join(datasetDir, 'LATEST'), 'utf8')).toBe('v0002\n');
    expect(await readerRecords(datasetDir)).toEqual(full);
    expect(versionsIn(datasetDir)).toEqual(['v0001', 'v0002']);

    // A LATEST that is gone altogether (killed before its first write) is written by the next run too.
    await rm(join(datasetDir, 'LATEST'));
    const again = await qcc(['run', '--config', second, '--out', out]);
    expect(again.stdout).toMatch(/^up to date: v0002/);
    expect(readFileSync(join(datasetDir, 'LATEST'), 'utf8')).toBe('v0002\n');
    expect(
      JSON.parse((await qcc(['status', '--config', second, '--out', out, '--json'])).stdout).latest_stale,
    ).toBeUndefined();
  }, 180_000);

  it('F5: run A paused past its lease while run B takes it over stops before publishing, exit 75, and publishes nothing', async () => {
    const dir = await tempDir('qcc-f5-');
    const out = join(dir, 'out');
    const datasetDir = join(out, 'f5');
    const config = await writeFaultConfig(dir, { dataset: 'f5' });
    const args = ['--config', config, '--out', out, '--lock-stale', '3'];

    let pausedA = false;
    const a = watchRun(args, (e, child) => {
      if (!pausedA && stepEvent(e, 'step_started', 'index')) {
        pausedA = true;
        child.kill('SIGSTOP');
      }
    });
    while (!pausedA) await sleep(50);
    await sleep(4500); // A's heartbeat is now older than the 3 s TTL

    let bTookOver = false;
    const b = watchRun(args, e => {
      if (String(e.msg ?? '').startsWith('taking over a stale lease')) bTookOver = true;
    });
    const holder = () =>
      existsSync(join(datasetDir, '.lock'))
        ? (JSON.parse(readFileSync(join(datasetDir, '.lock'), 'utf8')) as { pid: number }).pid
        : null;
    while (!(bTookOver && holder() === b.child.pid)) await sleep(10);
    b.child.kill('SIGSTOP'); // B holds the lease, paused, while A resumes
    a.child.kill('SIGCONT');
    const resultA = await a.done;
    expect(resultA.code, resultA.stderr.slice(-1500)).toBe(EXIT_LOCKED);
    expect(resultA.stderr).toMatch(
      /qcc: lost the lease \S+\.lock: taken over by run \S+ on host \S+, pid \d+.*This run stopped and published nothing/,
    );
    expectCleanError(resultA);
    expect(resultA.stdout).toBe('');
    expect(versionsIn(datasetDir)).toEqual([]);

    b.child.kill('SIGCONT');
    const resultB = await b.done;
    expect(resultB.code, resultB.stderr.slice(-1500)).toBe(0);
    expect(resultB.stdout).toMatch(/^published v0001 \(parent: none\)/);
    expect(versionsIn(datasetDir)).toEqual(['v0001']);
    expect(await versionRecords(datasetDir, 'v0001')).toEqual(reference);
    expect(existsSync(join(datasetDir, '.lock'))).toBe(false);
  }, 180_000);

  it('F5: `qcc unlock --force` under a live run: the run stops at publish (exit 75), nothing published; a rerun publishes exactly', async () => {
    const dir = await tempDir('qcc-f5u-');
    const out = join(dir, 'out');
    const datasetDir = join(out, 'f5u');
    const config = await writeFaultConfig(dir, { dataset: 'f5u' });
    let paused = false;
    // The default TTL (heartbeat every 30 s): the loss is found by the check right before the rename.
    const a = watchRun(['--config', config, '--out', out], (e, child) => {
      if (!paused && stepEvent(e, 'step_started', 'retrieve')) {
        paused = true;
        child.kill('SIGSTOP');
      }
    });
    while (!paused) await sleep(50);
    const unlock = await qcc(['unlock', '--config', config, '--out', out, '--force']);
    expect(unlock.stdout).toMatch(/removed the lease/);
    a.child.kill('SIGCONT');
    const result = await a.done;
    expect(result.code, result.stderr.slice(-1500)).toBe(EXIT_LOCKED);
    expect(result.stderr).toMatch(
      /qcc: lost the lease \S+\.lock: it was removed\. This run stopped and published nothing/,
    );
    expectCleanError(result);
    expect(versionsIn(datasetDir)).toEqual([]);
    expect(readdirSync(datasetDir).filter(n => n.startsWith('.tmp-v'))).toEqual([]);

    const rerun = await qcc(['run', '--config', config, '--out', out]);
    expect(rerun.code, rerun.stderr.slice(-1500)).toBe(0);
    expect(rerun.stdout).toMatch(/^published v0001 \(parent: none\)/);
    expect(await versionRecords(datasetDir, 'v0001')).toEqual(reference);
  }, 180_000);

  it('F7: SIGTERM and Ctrl-C stop the run with "stopped, rerun to resume", exit 143 / 130, the lease released; the rerun resumes exactly', async () => {
    const dir = await tempDir('qcc-f7-');
    const out = join(dir, 'out');
    const datasetDir = join(out, 'f7');
    const config = await writeFaultConfig(dir, { dataset: 'f7' });
    const args = ['--config', config, '--out', out];

    const stopAt = async (signal: NodeJS.Signals, event: string, step: string) => {
      let sent = false;
      const run = watchRun(args, (e, child) => {
        if (!sent && stepEvent(e, event, step)) {
          sent = true;
          child.kill(signal);
        }
      });
      const result = await run.done;
      expect(sent, result.stderr.slice(-800)).toBe(true);
      return result;
    };
    const term = await stopAt('SIGTERM', 'shard_done', 'ingest');
    expect(term.code, term.stderr.slice(-1500)).toBe(143);
    expect(term.stderr).toMatch(/qcc: stopped, rerun to resume \(SIGTERM/);
    expect(term.stdout).toBe('');
    expectCleanError(term);
    expect(existsSync(join(datasetDir, '.lock'))).toBe(false);

    // Another host restarting the job at once is not told "another run is in progress".
    const int = await stopAt('SIGINT', 'step_started', 'retrieve');
    expect(int.code, int.stderr.slice(-1500)).toBe(130);
    expect(int.stderr).toMatch(/qcc: stopped, rerun to resume \(SIGINT/);
    expect(int.stderr).not.toMatch(/locked by/);
    expectCleanError(int);
    expect(existsSync(join(datasetDir, '.lock'))).toBe(false);
    expect(versionsIn(datasetDir)).toEqual([]);

    const rerun = watchRun(args, () => {});
    const resumed = await rerun.done;
    expect(resumed.code, resumed.stderr.slice(-1500)).toBe(0);
    expect(resumed.stdout).toMatch(/^published v0001/);
    const ingestStart = resumed.stderr
      .split('\n')
      .find(l => l.includes('"event":"step_started"') && l.includes('"step":"ingest"'))!;
    expect(JSON.parse(ingestStart).already_done).toBe(JSON.parse(ingestStart).shards);
    expect(await versionRecords(datasetDir, 'v0001')).toEqual(reference);
  }, 180_000);

  it('F12: temp files of killed runs are removed at the next start (not those of live processes), and the count is said', async () => {
    const dir = await tempDir('qcc-f12-');
    const out = join(dir, 'out');
    const datasetDir = join(out, 'f12');
    const config = await writeFaultConfig(dir, { dataset: 'f12' });
    let killed = false;
    const run = watchRun(['--config', config, '--out', out], (e, child) => {
      if (!killed && stepEvent(e, 'step_started', 'retrieve')) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    expect((await run.done).signal).toBe('SIGKILL');

    // What kills at other points leave: a shard, a marker and LATEST being written by a process now gone.
    const dead = deadPid();
    const work = join(datasetDir, '.work', readdirSync(join(datasetDir, '.work'))[0]!);
    const docs = join(work, 'docs');
    const shard = readdirSync(docs).find(n => n.endsWith('.jsonl.gz'))!;
    const orphans = [
      join(docs, `.tmp-${dead}-m1abc-${shard}`),
      join(work, 'state', 'ingest', `.tmp-${dead}-m1abd-archive-00000.done.json`),
      join(datasetDir, `.tmp-${dead}-m1abe-LATEST`),
    ];
    await copyFile(join(docs, shard), orphans[0]!);
    await writeFile(orphans[1]!, '{"step":"ingest"');
    await writeFile(orphans[2]!, 'v00');
    // A live process's temp file (this test process) is never touched.
    const live = join(docs, `.tmp-${process.pid}-m1abf-${shard}`);
    await copyFile(join(docs, shard), live);

    const rerun = await qcc(['run', '--config', config, '--out', out]);
    expect(rerun.code, rerun.stderr.slice(-1500)).toBe(0);
    const removed = /removed (\d+) temporary files left by stopped runs in ([^"\s]+)"/.exec(rerun.stderr);
    expect(removed, rerun.stderr.slice(0, 3000)).not.toBeNull();
    expect(Number(removed![1])).toBeGreaterThanOrEqual(orphans.length);
    expect(removed![2]).toBe(datasetDir);
    for (const o of orphans) expect(existsSync(o), o).toBe(false);
    expect(tempFilesUnder(datasetDir)).toEqual([
      join('.work', work.split('/').at(-1)!, 'docs', live.split('/').at(-1)!),
    ]);
    expect(await versionRecords(datasetDir, 'v0001')).toEqual(reference);
    await rm(live);
  }, 180_000);

  it('F3: a seed domain of `../../../../escape` writes nothing outside the output folder; the error names the value', async () => {
    const dir = await tempDir('qcc-f3-');
    const out = join(dir, 'out');
    const demo = (await readFile(join(repo, 'data', 'seeds', 'demo.csv'), 'utf8')).trim().split('\n');
    const seeds = join(dir, 'seeds.csv');
    // Every space seed claims the escaping domain, so retrieved documents carry it to publish.
    await writeFile(seeds, demo.map(row => row.replace(/^space,/, '../../../../escape,')).join('\n') + '\n');
    const config = await writeFaultConfig(dir, { dataset: 'f3', seeds });
    const run = await qcc(['run', '--config', config, '--out', out]);
    expect(run.code, run.stderr.slice(-1500)).toBe(1);
    expect(run.stderr).toContain('"../../../../escape"');
    expectCleanError(run);
    // Where the part file used to land (<out>/../escape), and anywhere else in the test folder.
    expect(existsSync(join(dir, 'escape'))).toBe(false);
    expect(readdirSync(dir).filter(n => !['cache', 'f3.yaml', 'out', 'seeds.csv'].includes(n))).toEqual([]);
    expect(versionsIn(join(out, 'f3'))).toEqual([]);
    expect(existsSync(join(out, 'f3', '.lock'))).toBe(false);
  }, 120_000);

  it('F3: the confinement helper refuses every path from input that leaves its root, naming the value', () => {
    const root = join(repo, 'out-test-root');
    expect(confinedPath(root, ['space'], 'seed domain')).toBe(join(root, 'space'));
    expect(confinedPath(root, ['a', 'b.jsonl.gz'], 'object key')).toBe(join(root, 'a', 'b.jsonl.gz'));
    for (const bad of [['../../../../escape'], ['..'], ['.'], ['/etc'], ['a', '..', '..', 'x'], ['a\0b']]) {
      expect(() => confinedPath(root, bad, 'seed domain')).toThrow(PathEscapeError);
      expect(() => confinedPath(root, bad, 'seed domain')).toThrow(`seed domain ${JSON.stringify(bad.join('/'))}`);
    }
  });

  it('F8: `dataset: ..` and `dataset: .` are refused before anything is written to the parent or the root of the output folder', async () => {
    const dir = await tempDir('qcc-f8-');
    const out = join(dir, 'nest', 'out');
    await mkdir(out, { recursive: true });
    for (const name of ['..', '.']) {
      const config = await writeFaultConfig(dir, { dataset: name, name: name === '.' ? 'dot' : 'dotdot' });
      const run = await qcc(['run', '--config', config, '--out', out]);
      expect(run.code, run.stderr.slice(-1500)).toBe(1);
      expect(run.stderr).toMatch(/dataset/);
      expect(run.stderr).toContain(`"${name}"`);
      expectCleanError(run);
      expect(readdirSync(out)).toEqual([]);
      expect(readdirSync(join(dir, 'nest'))).toEqual(['out']);
    }
  }, 60_000);
});
