// The demo's queries and ingest shards, from a run of config/demo.yaml (relevance off) through `stream_stats`
// in `dir` (reused when already there). Shared by the stream benchmarks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

export const repo = resolve(import.meta.dirname, '..', '..', '..');
export const sharedData = resolve(process.env.QCC_SHARED_DATA ?? join(repo, '..', 'shared', 'data'));

/** Returns { queries: file, shards: [{ id, file }] in ingest order }. */
export function demoWork(dir) {
  const out = join(dir, 'out');
  const work = join(out, 'qcc-demo', '.work');
  if (!existsSync(work)) {
    mkdirSync(dir, { recursive: true });
    const config = parse(readFileSync(join(repo, 'config', 'demo.yaml'), 'utf8'));
    config.seeds.files = config.seeds.files.map(f => join(repo, 'config', f));
    config.relevance = { enabled: false };
    config.retrieve.mode = 'stream';
    const file = join(dir, 'demo-stream.yaml');
    writeFileSync(file, stringify(config));
    const env = {
      ...process.env,
      QCC_SHARED_DATA: sharedData,
      QCC_CACHE_DIR: process.env.QCC_CACHE_DIR ?? join(repo, 'out', '.cache'),
    };
    execFileSync(
      process.execPath,
      [join(repo, 'bin', 'qcc.js'), 'run', '--config', file, '--out', out, '--stage', 'stream_stats'],
      { env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  const run = join(work, readdirSync(work)[0]);
  // Ingest shard ids are archive-NNNNN-… then corpus-NNNNN-…: sorted names are the ingest (index) order.
  const docs = join(run, 'docs');
  const shards = readdirSync(docs)
    .filter(f => f.endsWith('.jsonl.gz'))
    .sort()
    .map(f => ({ id: f.replace(/\.jsonl\.gz$/, ''), file: join(docs, f) }));
  return { queries: join(run, 'queries.jsonl'), shards, run };
}
