/** Shared by the fault-injection tests (issue 16): a small real run, its published record set, a run to stop. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readAllJsonl } from '../core/jsonl.js';
import type { Manifest } from '../stages/write/manifest.js';
import { cc, qcc, repo, startQcc, type CliResult } from './helpers.js';
import { onStderrLines } from './ops-helpers.js';

export const FAULT_WARCS = [
  cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz'),
  cc('other/sample-0000.warc.gz'),
];
export const THIRD_WARC = cc('other/sample-0001.warc.gz');

/** Seeds are the queries (no model); small parts so a version has several files. */
export async function writeFaultConfig(
  dir: string,
  opts: { dataset: string; warcs?: string[]; seeds?: string; extra?: string; name?: string },
): Promise<string> {
  const file = join(dir, `${opts.name ?? opts.dataset}.yaml`);
  await writeFile(
    file,
    `dataset: "${opts.dataset}"
cache_dir: ${join(dir, 'cache')}
seeds: { files: [${opts.seeds ?? join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest:
  warc:
${(opts.warcs ?? FAULT_WARCS).map(w => `    - ${w}`).join('\n')}
retrieve: { top_k: 25, min_relative_score: 0.1 }
write: { records_per_part: 10 }
${opts.extra ?? ''}
`,
  );
  return file;
}

const line = (r: { id: string; text: string }) => `${r.id} ${createHash('sha256').update(r.text).digest('hex')}`;

/** The records of one version folder (its manifest's shards, checksums verified) as sorted "id sha256(text)". */
export async function versionRecords(datasetDir: string, version: string): Promise<string[]> {
  const manifest = JSON.parse(readFileSync(join(datasetDir, version, 'manifest.json'), 'utf8')) as Manifest;
  const records: string[] = [];
  for (const shard of manifest.shards) {
    const path = join(datasetDir, version, shard.path);
    expect(createHash('sha256').update(readFileSync(path)).digest('hex'), path).toBe(shard.sha256);
    for (const r of await readAllJsonl<{ id: string; text: string }>(path)) records.push(line(r));
  }
  return records.sort();
}

/** What a reader gets from `qcc read <dataset>` (the full dataset as LATEST names it), sorted. */
export async function readerRecords(datasetDir: string): Promise<string[]> {
  const read = await qcc(['read', datasetDir]);
  expect(read.code, read.stderr).toBe(0);
  return read.stdout
    .split('\n')
    .filter(l => l.trim())
    .map(l => line(JSON.parse(l) as { id: string; text: string }))
    .sort();
}

export const versionsIn = (datasetDir: string) =>
  existsSync(datasetDir)
    ? readdirSync(datasetDir)
        .filter(n => /^v\d{4,}$/.test(n))
        .sort()
    : [];

/** No stack trace, no raw Node crash. */
export function expectCleanError(result: CliResult): void {
  expect(result.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
  expect(result.stderr).not.toMatch(/Unhandled 'error' event|node:internal|triggerUncaughtException/);
}

/** The pid of a process that has exited. */
export function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

/** Every file or folder under `root` whose name starts with `.tmp-`, relative to root. */
export function tempFilesUnder(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name.startsWith('.tmp-')) out.push(join(rel, name));
      else if (statSync(path).isDirectory()) visit(path, join(rel, name));
    }
  };
  if (existsSync(root)) visit(root, '');
  return out.sort();
}

/**
 * Starts `qcc run` and calls `onEvent` with each JSON line of its stderr (progress events and log lines);
 * `onEvent` gets the child to pause, stop or kill.
 */
export function watchRun(
  args: string[],
  onEvent: (e: Record<string, unknown>, child: ReturnType<typeof startQcc>['child']) => void,
  env: Record<string, string> = {},
) {
  const run = startQcc(['run', ...args], env);
  onStderrLines(run.child, l => {
    if (!l.startsWith('{')) return;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(l) as Record<string, unknown>;
    } catch {
      return; // not a log line
    }
    onEvent(event, run.child);
  });
  return run;
}
