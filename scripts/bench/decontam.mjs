#!/usr/bin/env node
// Decontamination benchmark. Run: node --expose-gc --import tsx scripts/bench/decontam.mjs [--per-kind 100] [--seed 1]
//   [--splits dev,val] [--runs 3] [--baseline <git rev>] [--no-speed]
// 1. Planted items (scripts/bench/decontam/planted.mjs): per benchmark (GSM8K, HumanEval, ARC-Challenge) and
//    kind (verbatim, short items, spelled-out numbers, swapped words, excerpts, punctuation/case), up to
//    --per-kind items of each split are planted into real 20 Newsgroups and BBC posts; the decontam stage
//    runs over them; recall = copies removed naming the planted item. `dev` items were looked at while
//    tuning, `val` items only measured.
// 2. False positives: the stage over every clean post (11,314 20 Newsgroups, 2,225 BBC) and the NLTK ABC,
//    inaugural and Brown texts, the annotated main text of the WCXB development pages, the text qcc extracts
//    from the 1,163 extraction pages, and clean code (Python's standard library and .venv packages; the .js files
//    of node_modules), no item planted.
// 3. Speed: docs/s of the stage on the 11,314 20 Newsgroups posts, this tree against the decontam stage of
//    --baseline (default: the merge base with main), loaded from `git archive` in the same process, runs
//    interleaved, medians; index build time, keys and memory.
// Recall and false positives are given for the baseline too (same benchmark entries, its defaults).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { contaminationReason } from '../../stages/decontam/index.js';
import * as P from './decontam/planted.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const PER_KIND = Number(arg('per-kind', 100));
const SEED = Number(arg('seed', 1));
const SPLITS = arg('splits', 'dev,val').split(',');
const RUNS = Number(arg('runs', 3));
const repo = new URL('../..', import.meta.url).pathname;
const baselineRev = execFileSync(
  'git',
  [
    'rev-parse',
    arg('baseline', execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: repo, encoding: 'utf8' }).trim()),
  ],
  { cwd: repo, encoding: 'utf8' },
).trim();
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = m => process.stderr.write(`[bench decontam ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const pct = (a, b) => (b ? (a / b).toFixed(3) : '–');

const items = await P.loadItems();
const news = await P.loadPosts('20ng');
const bbc = await P.loadPosts('bbc');
const hosts = [...news, ...bbc];
const cfg = P.decontamConfig();
/** Heap and array buffers in use after a full collection (run with --expose-gc; without it the figure is rough). */
const memory = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
let t = performance.now();
const mem0 = memory();
const index = await P.buildBenchmarkIndex(cfg);
const buildMs = performance.now() - t;
const indexMb = (memory() - mem0) / 1e6;
log(
  `index: ${index.items.length} items, ${index.size} keys, built in ${buildMs.toFixed(0)} ms, ${indexMb.toFixed(0)} MB${globalThis.gc ? '' : ' (no --expose-gc: rough)'}`,
);

// The decontam stage of the baseline revision, from `git archive`, with the same benchmark entries.
const dir = join(repo, '.cache', 'decontam-baseline', baselineRev);
if (!existsSync(join(dir, 'stages', 'decontam', 'index.ts'))) {
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${baselineRev} core stages pipeline | tar -x -C '${dir}'`], { cwd: repo });
}
const old = await import(join(dir, 'stages', 'decontam', 'index.ts'));
const oldCfg = old.decontamConfigSchema.parse({ benchmarks: P.benchmarks });
t = performance.now();
const oldMem0 = memory();
const oldIndex = await old.buildBenchmarkIndex(oldCfg);
const oldBuildMs = performance.now() - t;
const oldMb = (memory() - oldMem0) / 1e6;
const base = `baseline ${baselineRev.slice(0, 7)}`;

// 1. planted recall
const tables = {};
const oldTables = {};
for (const split of SPLITS) {
  const planted = P.plantSample(items, hosts, { split, perKind: PER_KIND, seed: SEED });
  const docs = planted.map(p => p.doc);
  tables[split] = P.recallTable(planted, (await P.runStage(index, cfg, docs)).removed);
  oldTables[split] = P.recallTable(planted, (await P.runStage(oldIndex, oldCfg, docs, old.decontamStage)).removed);
  log(
    `${split}: ${planted.length} planted copies, ${tables[split].misses.length} missed (${base}: ${oldTables[split].misses.length})`,
  );
}
console.log(
  `\n## Planted items (up to ${PER_KIND} per benchmark and kind, seed ${SEED}): found / planted, recall, ${base}'s recall\n`,
);
console.log(`| benchmark | kind | ${SPLITS.map(s => `${s} found/planted | ${s} recall | ${s} ${base}`).join(' | ')} |`);
console.log(`|---|---|${SPLITS.map(() => '---|---|---').join('|')}|`);
const cellsOf = table => new Map(table.cells.map(c => [`${c.benchmark}/${c.kind}`, c]));
const row = (c, o) =>
  c ? `${c.found}/${c.planted} | ${pct(c.found, c.planted)} | ${pct(o.found, o.planted)}` : '– | – | –';
for (const b of P.benchmarks) {
  for (const kind of P.KINDS) {
    const key = `${b.name}/${kind}`;
    if (SPLITS.every(s => !cellsOf(tables[s]).get(key))) continue;
    console.log(
      `| ${b.name} | ${kind} | ${SPLITS.map(s => row(cellsOf(tables[s]).get(key), cellsOf(oldTables[s]).get(key))).join(' | ')} |`,
    );
  }
}
const total = (table, kind) =>
  table.cells
    .filter(c => c.kind === kind)
    .reduce((a, c) => ({ found: a.found + c.found, planted: a.planted + c.planted }), { found: 0, planted: 0 });
for (const kind of P.KINDS)
  console.log(
    `| **all** | ${kind} | ${SPLITS.map(s => row(total(tables[s], kind), total(oldTables[s], kind))).join(' | ')} |`,
  );
for (const split of SPLITS) {
  console.log(`\nMissed (${split}):`);
  for (const m of tables[split].misses) {
    const why = m.removal ? `removed for ${contaminationReason(m.removal.values, cfg.n)}` : 'kept';
    console.log(`- ${m.benchmark} ${m.item.id} ${m.kind}: ${JSON.stringify(m.text.slice(0, 120))} (${why})`);
  }
}

// 2. false positives on clean posts
console.log('\n## False positives on clean real text\n');
console.log(`| corpus | documents | removed | ${base} removed |`);
console.log('|---|---|---|---|');
const nltk = P.loadNltkTexts();
const nltkOf = c => nltk.filter(d => d.id.startsWith(`${c}-`));
for (const [name, docs] of [
  ['20 Newsgroups train', news],
  ['BBC News', bbc],
  ['NLTK ABC (300-word chunks)', nltkOf('abc')],
  ['NLTK inaugural', nltkOf('inaugural')],
  ['NLTK Brown', nltkOf('brown')],
  ['WCXB dev pages, annotated main text', P.loadWebTexts()],
  ['extraction pages, main text as qcc extracts it (held out)', await P.loadExtractedPages()],
  ['Python code: standard library and .venv packages, 200-line chunks', P.loadCodeTexts('python')],
  ['JavaScript code: node_modules, 200-line chunks (held out)', P.loadCodeTexts('javascript')],
]) {
  const { removed } = await P.runStage(index, cfg, docs);
  const { removed: oldRemoved } = await P.runStage(oldIndex, oldCfg, docs, old.decontamStage);
  console.log(`| ${name} | ${docs.length} | ${removed.size} | ${oldRemoved.size} |`);
  for (const r of removed.values()) console.log(`  - ${r.record.id}: ${r.reason}: "${r.values.example}"`);
}

// 3. speed against the baseline
if (!process.argv.includes('--no-speed')) {
  const peers = [
    {
      name: base,
      run: () => P.runStage(oldIndex, oldCfg, news, old.decontamStage),
      rates: [],
      removed: 0,
      build: oldBuildMs,
      keys: oldIndex.size,
      mb: oldMb,
    },
    {
      name: 'this tree',
      run: () => P.runStage(index, cfg, news),
      rates: [],
      removed: 0,
      build: buildMs,
      keys: index.size,
      mb: indexMb,
    },
  ];
  for (let r = 0; r < RUNS; r++) {
    for (const p of peers) {
      const start = performance.now();
      const { removed } = await p.run();
      p.rates.push(news.length / ((performance.now() - start) / 1000));
      p.removed = removed.size;
    }
  }
  console.log(
    `\n## Speed: decontam stage on the ${news.length} 20 Newsgroups posts (one core, median of ${RUNS}, interleaved)\n`,
  );
  console.log('| version | docs/s | ratio | removed | index keys | index build (ms) | index memory (MB) |');
  console.log('|---|---|---|---|---|---|---|');
  const ref = median(peers[0].rates);
  for (const p of peers)
    console.log(
      `| ${p.name} | ${median(p.rates).toFixed(0)} | ${(median(p.rates) / ref).toFixed(2)}x | ${p.removed} | ${p.keys} | ${p.build.toFixed(0)} | ${p.mb.toFixed(0)} |`,
    );
}
