#!/usr/bin/env node
// CLI start-up cost: median wall time and peak RSS of `qcc --help`, `--version` and `<cmd> --help`, against
// `node -e ''` (the floor: what any Node program pays) in the same run, interleaved so that load on the
// machine hits every case alike.
//
//   npx tsc -p tsconfig.json && node scripts/bench/cli-startup.mjs [--runs 5] [--json]
//
// Peak RSS is the child's own (process.resourceUsage().maxRSS, written at exit by a preloaded module),
// so no external `time` is needed. Targets (issue 17): --help and --version <= 0.3 s and <= 100 MB.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist } from './build-dist.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const json = args.includes('--json');

buildDist();
const qcc = join(repo, 'bin', 'qcc.js');
const cases = [
  ["node -e ''", ['-e', '']],
  ['qcc --help', [qcc, '--help']],
  ['qcc --version', [qcc, '--version']],
  ['qcc run --help', [qcc, 'run', '--help']],
  ['qcc report --help', [qcc, 'report', '--help']],
  ['qcc cc fetch --help', [qcc, 'cc', 'fetch', '--help']],
  ['qcc eval --help', [qcc, 'eval', '--help']],
];

const dir = mkdtempSync(join(tmpdir(), 'qcc-cli-bench-'));
const rssFile = join(dir, 'rss');
const preload = join(dir, 'rss.mjs');
writeFileSync(
  preload,
  `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.QCC_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`,
);

function once(argv) {
  rmSync(rssFile, { force: true });
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', preload, ...argv], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, QCC_BENCH_RSS_FILE: rssFile },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${String(r.stderr).slice(-500)}`);
  return { seconds, mb: Number(readFileSync(rssFile, 'utf8')) / 1024 };
}

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const samples = new Map(cases.map(([name]) => [name, []]));
once(cases[1][1]); // warm the file cache once, unmeasured
for (let i = 0; i < runs; i++) for (const [name, argv] of cases) samples.get(name).push(once(argv));
rmSync(dir, { recursive: true, force: true });

const floor = median(samples.get(cases[0][0]).map(s => s.seconds));
const rows = cases.map(([name]) => {
  const s = samples.get(name);
  const seconds = median(s.map(x => x.seconds));
  return {
    name,
    median_s: +seconds.toFixed(3),
    max_s: +Math.max(...s.map(x => x.seconds)).toFixed(3),
    peak_rss_mb: +Math.max(...s.map(x => x.mb)).toFixed(1),
    vs_floor: +(seconds / floor).toFixed(2),
  };
});
if (json) console.log(JSON.stringify({ runs, rows }, null, 2));
else {
  console.log(
    `${runs} runs each, interleaved; median wall time, slowest run, peak RSS, and the median over node -e '' (floor)`,
  );
  for (const r of rows)
    console.log(
      `${r.name.padEnd(22)} ${r.median_s.toFixed(3)} s  (max ${r.max_s.toFixed(3)} s)  ${r.peak_rss_mb.toFixed(1).padStart(6)} MB  ${r.vs_floor.toFixed(2)}x floor`,
    );
}
