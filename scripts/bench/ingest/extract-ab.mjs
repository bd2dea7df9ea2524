#!/usr/bin/env node
// Extraction CPU time, this tree against an older one, in one process, alternating (median of 7 rounds):
//   mkdir -p .venv-bench/base && git archive <commit> stages pipeline package.json tsconfig.json | tar -x -C .venv-bench/base
//   npx tsx scripts/bench/ingest/extract-ab.mjs .venv-bench/base
// Pages: trafilatura's evaluation set and the Readability test pages (1,120), and the first 400 pages
// of the WCXB dev split; with --warc FILE (e.g. the one scripts/bench/ingest.mjs builds,
// /tmp/qcc-bench-ingest/pages-x1.warc.gz), also the whole of readArchive over it, one thread.
// Prints old and new CPU seconds (medians) and the median of the paired new/old ratios.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as newX from '../../../stages/ingest/index.js';
import { ingestConfigSchema as newConfig } from '../../../stages/ingest/config.js';
import { Counters } from '../../../core/types.js';

const oldRoot = process.argv[2];
if (!oldRoot) throw new Error('usage: extract-ab.mjs <older tree holding stages/ingest/index.ts>');
const oldX = await import(resolve(oldRoot, 'stages', 'ingest', 'index.ts'));
const { ingestConfigSchema: oldConfig } = await import(resolve(oldRoot, 'stages', 'ingest', 'config.ts'));
const warcAt = process.argv.indexOf('--warc');
const warc = warcAt > 0 ? process.argv[warcAt + 1] : undefined;
const shared = resolve(
  process.env.QCC_SHARED_DATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data'),
);
const ex = join(shared, 'extraction');

const root = mkdtempSync(join(tmpdir(), 'qcc-ab-'));
const articles = [];
try {
  execFileSync('tar', ['-xJf', join(ex, 'trafilatura-eval', 'html-tests-eval-and-cache.tar.xz'), '-C', root]);
  for (const e of Object.values(JSON.parse(readFileSync(join(ex, 'trafilatura-eval', 'evaldata.json'), 'utf8')))) {
    const f = [join(root, 'tests', 'eval', e.file), join(root, 'tests', 'cache', e.file)].find(existsSync);
    articles.push(newX.decodeHtml(readFileSync(f)));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const rd = join(ex, 'mozilla-readability-test-pages');
for (const n of readdirSync(rd).sort())
  if (existsSync(join(rd, n, 'source.html'))) articles.push(readFileSync(join(rd, n, 'source.html'), 'utf8'));
const wc = join(ex, 'wcxb-dev', 'dev', 'html');
const wcxb = readdirSync(wc)
  .sort()
  .slice(0, 400)
  .map(f => newX.decodeHtml(gunzipSync(readFileSync(join(wc, f)))));

const cpu = (x, pages) => {
  const t0 = process.cpuUsage();
  for (const p of pages) x.extractMainText(p);
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
};
async function cpuArchive(x, schema) {
  const config = schema.parse({ warc: [warc], min_text_chars: 1, on_error: 'skip', workers: 0 });
  const ctx = {
    config,
    log: { info() {}, warn() {}, error() {} },
    counters: new Counters(),
    signal: new AbortController().signal,
  };
  const t0 = process.cpuUsage();
  for await (const _ of x.readArchive(warc, ctx));
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
}
const median = xs => [...xs].sort((a, b) => a - b)[xs.length >> 1];
async function compare(name, oldRun, newRun) {
  await oldRun();
  await newRun();
  const o = [],
    n = [],
    r = [];
  for (let i = 0; i < 7; i++) {
    const a = await oldRun();
    const b = await newRun();
    o.push(a);
    n.push(b);
    r.push(b / a);
  }
  console.log(
    `${name}: old ${median(o).toFixed(3)} CPU-s, new ${median(n).toFixed(3)} CPU-s, new/old median ${median(r).toFixed(3)} (${r.map(x => x.toFixed(2)).join(' ')})`,
  );
}
for (const [name, pages] of [
  ['trafilatura + Readability', articles],
  ['WCXB dev, first 400', wcxb],
]) {
  await compare(
    `${name} (${pages.length} pages)`,
    () => cpu(oldX, pages),
    () => cpu(newX, pages),
  );
}
if (warc)
  await compare(
    `readArchive ${warc}`,
    () => cpuArchive(oldX, oldConfig),
    () => cpuArchive(newX, newConfig),
  );
