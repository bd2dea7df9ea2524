/** Shared by the operations tests (lock, workers): a lean real run and the record set a version publishes. */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAllJsonl } from '../core/jsonl.js';
import type { Manifest } from '../stages/write/manifest.js';
import { cc, modelPath, repo, type CliResult } from './helpers.js';

export const LEAN_WARCS = [
  cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz'),
  cc('other/sample-0000.warc.gz'),
  cc('other/sample-0001.warc.gz'),
];

/** One demo seed per domain (the first of each in data/seeds/demo.csv), so the model is called 4 times. */
export async function writeLeanSeeds(dir: string): Promise<string> {
  const [header, ...rows] = readFileSync(join(repo, 'data', 'seeds', 'demo.csv'), 'utf8')
    .trim()
    .split('\n');
  const seen = new Set<string>();
  const picked = rows.filter(row => {
    const domain = row.split(',')[0]!;
    if (seen.has(domain)) return false;
    seen.add(domain);
    return true;
  });
  const file = join(dir, 'seeds.csv');
  await writeFile(file, [header, ...picked].join('\n') + '\n');
  return file;
}

/**
 * A small real run: the local model (1 thread) writes one question per seed, FTS5 over real WARC samples,
 * small shards so that 4 workers each get work in every sharded stage.
 */
export async function writeLeanConfig(
  dir: string,
  opts: { dataset: string; cacheDir: string; llm?: boolean },
): Promise<string> {
  const seeds = await writeLeanSeeds(dir);
  const file = join(dir, `${opts.dataset}.yaml`);
  const bootstrap =
    opts.llm === false
      ? `bootstrap: { provider: none }`
      : `bootstrap: { provider: llama, model: ${modelPath()}, threads: 1, samples_per_seed: 1, max_tokens: 48, temperature: 0.9 }`;
  await writeFile(
    file,
    `dataset: ${opts.dataset}
cache_dir: ${opts.cacheDir}
seeds: { files: [${seeds}], seeds_per_shard: 1 }
${bootstrap}
ingest:
  warc:
${LEAN_WARCS.map(w => `    - ${w}`).join('\n')}
index: { backend: fts5 }
retrieve: { top_k: 10, queries_per_shard: 2 }
candidates: { shards: 4 }
write: { records_per_part: 50 }
`,
  );
  return file;
}

/** The published records of a dataset's LATEST version as sorted "id sha256(text)" lines, and the manifest. */
export async function publishedSet(
  datasetDir: string,
): Promise<{ version: string; manifest: Manifest; records: string[] }> {
  const version = readFileSync(join(datasetDir, 'LATEST'), 'utf8').trim();
  const manifest = JSON.parse(readFileSync(join(datasetDir, version, 'manifest.json'), 'utf8')) as Manifest;
  const records: string[] = [];
  for (const shard of manifest.shards) {
    for (const r of await readAllJsonl<{ id: string; text: string }>(join(datasetDir, version, shard.path))) {
      records.push(`${r.id} ${createHash('sha256').update(r.text).digest('hex')}`);
    }
  }
  return { version, manifest, records: records.sort() };
}

/** Calls `onLine` for each complete stderr line of a child process. */
export function onStderrLines(child: { stderr: NodeJS.ReadableStream | null }, onLine: (line: string) => void): void {
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
}

/**
 * Waits for every process; when one fails, stops the others (they would wait at a barrier for it)
 * and throws with the failed one's stderr. Past `deadlineMs` it stops them all and throws with every rank's last
 * log lines and whatever `diagnose` adds (a hung run says where it hung, before the test's own time-out hides it).
 */
export async function allWorkers(
  runs: { child: ChildProcess; done: Promise<CliResult> }[],
  opts: { deadlineMs?: number; diagnose?: () => Promise<string> } = {},
): Promise<CliResult[]> {
  const stopAll = () => {
    for (const other of runs)
      if (other.child.exitCode === null && other.child.signalCode === null) other.child.kill('SIGKILL');
  };
  let pastDeadline = false;
  const failed = new Promise<never>((_, reject) => {
    runs.forEach((run, rank) =>
      run.done.then(r => {
        if (r.code !== 0 && !pastDeadline) {
          stopAll();
          reject(new Error(`rank ${rank} exited ${r.code ?? r.signal}: ${r.stderr.slice(-1500)}`));
        }
      }),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    if (!opts.deadlineMs) return;
    timer = setTimeout(async () => {
      pastDeadline = true;
      const extra = await opts.diagnose?.().catch(err => `diagnose failed: ${(err as Error).message}`);
      stopAll();
      const tails = (await Promise.all(runs.map(r => r.done))).map(
        (r, rank) => `rank ${rank}, last lines:\n${r.stderr.split('\n').slice(-25).join('\n')}`,
      );
      reject(new Error(`workers still running after ${opts.deadlineMs} ms\n${tails.join('\n')}\n${extra ?? ''}`));
    }, opts.deadlineMs);
  });
  try {
    // Killed at the deadline, the workers end too: their results are not an answer then, the deadline's error is.
    const finished = Promise.all(runs.map(r => r.done)).then(r => (pastDeadline ? late : r));
    return await Promise.race([finished, failed, late]);
  } finally {
    clearTimeout(timer);
  }
}
