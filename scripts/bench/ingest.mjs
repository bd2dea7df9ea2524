#!/usr/bin/env node
// Ingest speed: qcc's readArchive against FastWARC + Resiliparse, datatrove's WarcReader + trafilatura and a
// gunzip floor, on the same real WARC file, in the same run. Prints docs/s, compressed MB/s, CPU-seconds and peak
// RSS per side (median of --runs runs; each run a fresh process; the sides take turns, run by run, so that the
// load of a shared machine falls on all of them alike).
//
//   node scripts/bench/ingest.mjs [--input pages|cc] [--file x.warc.gz] [--copies N] [--mb 100] [--runs 3] [--workers 2]
//     [--python .venv-bench/bin/python] [--peers resiliparse,datatrove]
//
// Inputs: --input pages (default): scripts/bench/ingest/make-warc.mjs builds the input from the distinct
// real pages of ../shared/data/extraction/ (1,163 pages, each wrapped in a WARC response record, one gzip
// member each), repeated --copies times. --input cc: real Common Crawl records as they were written, the
// WARC samples of ../shared/data/cc/ concatenated to --mb MB (scripts/bench/ingest/concat-cc.mjs).
// --file: any WARC file. Python sides: `node scripts/setup-python.mjs --bench` makes .venv-bench with
// resiliparse, fastwarc, datatrove and trafilatura from PyPI; a side whose package is absent is skipped with a note.
// Resiliparse runs twice: extraction alone, and with its language id (detect_fast), as qcc's ingest names the
// language of every document.
// Both sides run single-threaded; docs/s per CPU-second is the per-core figure on a shared machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const runs = Number(arg('--runs', '3'));
const copies = Number(arg('--copies', '1'));
const python = arg('--python', join(repo, '.venv-bench', 'bin', 'python'));
let file = arg('--file');
if (!file) {
  const dir = join(tmpdir(), 'qcc-bench-ingest');
  mkdirSync(dir, { recursive: true });
  if (arg('--input', 'pages') === 'cc') {
    const mbWanted = Number(arg('--mb', '100'));
    file = join(dir, `cc-${mbWanted}mb.warc.gz`);
    if (!existsSync(file))
      execFileSync(
        process.execPath,
        [join(repo, 'scripts', 'bench', 'ingest', 'concat-cc.mjs'), file, '--bytes', String(mbWanted * 1e6)],
        { stdio: 'inherit' },
      );
  } else {
    file = join(dir, `pages-x${copies}.warc.gz`);
    if (!existsSync(file))
      execFileSync(
        process.execPath,
        [join(repo, 'scripts', 'bench', 'ingest', 'make-warc.mjs'), file, '--copies', String(copies)],
        { stdio: 'inherit' },
      );
  }
}
const mb = statSync(file).size / 1e6;
const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function once(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** zcat | wc -c in a shell, timed by /usr/bin/time for its CPU and RSS. */
function floor() {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'sh', '-c', `zcat '${file}' | wc -c`], {
    encoding: 'utf8',
  });
  const [e, u, s, m] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return {
    side: 'zcat | wc -c',
    seconds: e,
    cpu_seconds: u + s,
    peak_rss_mb: m / 1024,
    bytes_out: Number(r.stdout.trim()),
  };
}

// qcc runs compiled, as a user runs it: the runner bundled by esbuild (dependencies left external),
// so that no TypeScript transpiling is timed.
// Inside node_modules/ so that the bundle resolves the external packages from the repository; the
// extract worker is bundled beside it, where ExtractPool looks for it.
const outdir = join(repo, 'node_modules', '.cache', 'qcc-bench');
execFileSync(
  join(repo, 'node_modules', '.bin', 'esbuild'),
  [
    join('scripts', 'bench', 'ingest', 'run-qcc.mjs'),
    join('stages', 'ingest', 'extract-worker.ts'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--packages=external',
    `--outdir=${outdir}`,
    '--entry-names=[name]',
    '--out-extension:.js=.mjs',
    '--log-level=warning',
  ],
  { cwd: repo, stdio: 'inherit' },
);
const bundle = join(outdir, 'run-qcc.mjs');
const workers = Number(arg('--workers', '2'));
const sides = [{ name: 'qcc readArchive', run: () => once(process.execPath, [bundle, file]) }];
if (workers > 0)
  sides.push({
    name: `qcc readArchive, ${workers} extract workers`,
    run: () => once(process.execPath, [bundle, file, String(workers)]),
  });
const peers = arg('--peers', 'resiliparse,datatrove').split(',');
const hasModule = name => existsSync(python) && spawnSync(python, ['-c', `import ${name}`]).status === 0;
if (!peers.includes('resiliparse')) console.error('(--peers: the resiliparse sides are left out)');
else if (hasModule('resiliparse') && hasModule('fastwarc'))
  for (const lang of [false, true])
    sides.push({
      name: `fastwarc + resiliparse${lang ? ' + language id' : ''}`,
      run: () =>
        once(python, [join('scripts', 'bench', 'ingest', 'run_resiliparse.py'), file, ...(lang ? ['--lang'] : [])]),
    });
else console.error(`(no resiliparse and fastwarc in ${python}: the resiliparse sides are skipped)`);
if (!peers.includes('datatrove')) console.error('(--peers: the datatrove side is left out)');
else if (hasModule('datatrove'))
  sides.push({
    name: 'datatrove WarcReader + trafilatura',
    run: () => once(python, [join('scripts', 'bench', 'ingest', 'run_datatrove.py'), file]),
  });
else console.error(`(no datatrove in ${python}: the datatrove + trafilatura side is skipped)`);
sides.push({ name: 'zcat \\| wc -c (floor)', run: floor }); // escaped for the Markdown table

const results = sides.map(() => []);
for (let i = 0; i < runs; i++)
  sides.forEach((side, s) => {
    results[s].push(side.run());
    console.error(`${side.name}: run ${i + 1}/${runs}: ${JSON.stringify(results[s].at(-1))}`);
  });
const rows = [];
for (const [s, side] of sides.entries()) {
  const runsOf = results[s];
  const secs = median(runsOf.map(r => r.seconds));
  const cpu = median(runsOf.map(r => r.cpu_seconds));
  const docs = runsOf[0].docs;
  rows.push({
    side: side.name,
    docs,
    records: runsOf[0].records,
    wall_s: secs,
    cpu_s: cpu,
    docs_per_s: docs !== undefined ? docs / secs : undefined,
    docs_per_cpu_s: docs !== undefined ? docs / cpu : undefined,
    mb_per_s: mb / secs,
    mb_per_cpu_s: mb / cpu,
    peak_rss_mb: Math.max(...runsOf.map(r => r.peak_rss_mb)),
    cpu_runs: runsOf.map(r => r.cpu_seconds),
  });
}

const f = (x, d = 1) => (x === undefined ? '–' : x.toFixed(d));
console.log(
  `input: ${file} (${mb.toFixed(1)} MB compressed); median of ${runs} runs; load average at the end ${loadavg()
    .map(x => x.toFixed(2))
    .join(' ')}\n`,
);
console.log(
  '| side | docs (of records) | wall s | CPU s | docs/s | docs/CPU-s | MB/s in | MB/CPU-s in | peak RSS MB |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.side} | ${r.docs === undefined ? '–' : `${r.docs} (${r.records})`} | ${f(r.wall_s, 2)} | ${f(r.cpu_s, 2)} | ${f(r.docs_per_s)} | ${f(r.docs_per_cpu_s)} | ${f(r.mb_per_s, 2)} | ${f(r.mb_per_cpu_s, 2)} | ${f(r.peak_rss_mb, 0)} |`,
  );
}
const q = rows[0];
const dt = rows.find(r => r.side.startsWith('datatrove'));
for (const rp of rows.filter(r => r.side.startsWith('fastwarc'))) {
  // Paired by round: run i of qcc against run i of the peer, which ran next to it.
  const paired = median(q.cpu_runs.map((c, i) => q.docs / c / (rp.docs / rp.cpu_runs[i])));
  console.log(
    `\nqcc / ${rp.side}, docs per CPU-second: ${(q.docs_per_cpu_s / rp.docs_per_cpu_s).toFixed(2)}x of the medians, ${paired.toFixed(2)}x paired by round (target >= 1.0x)`,
  );
}
const z = rows.find(r => r.side.startsWith('zcat'));
if (dt)
  console.log(
    `\nqcc / datatrove+trafilatura, docs per CPU-second: ${(q.docs_per_cpu_s / dt.docs_per_cpu_s).toFixed(2)}x (target >= 5x)`,
  );
console.log(
  `gunzip floor / qcc, MB per CPU-second (one core each): ${(z.mb_per_cpu_s / q.mb_per_cpu_s).toFixed(2)}x (target <= 3x)`,
);
const fastest = rows.filter(r => r.side.startsWith('qcc')).reduce((a, b) => (b.mb_per_s > a.mb_per_s ? b : a));
console.log(
  `gunzip floor / qcc, MB per wall second (${fastest.side}, the machine's cores): ${(z.mb_per_s / fastest.mb_per_s).toFixed(2)}x (target <= 3x; meaningful on a quiet machine only)`,
);
console.log(`qcc peak RSS: ${q.peak_rss_mb.toFixed(0)} MB (target < 1024 MB)`);
