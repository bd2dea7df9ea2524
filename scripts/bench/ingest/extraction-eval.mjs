#!/usr/bin/env node
// Extraction quality on the two public sets with known main text.
//   npx tsx scripts/bench/ingest/extraction-eval.mjs [--json] [--halves]
// --halves: also trafilatura-eval's two halves, split by a stable hash of each page's file name
//   (halfOf: first byte of the SHA-1 of `entry.file`, even = A, odd = B). Rules were developed on A
//   and checked on B, so B's figure shows whether a change generalises.
// trafilatura-eval: must-contain / must-not-contain snippets, micro P/R/F1 as in trafilatura's
//   tests/eval_common.py (a must-contain snippet found = TP, missing = FN; a must-not-contain found = FP).
// Readability test pages: token multiset P/R/F1 of the extracted text against expected.html's text.
// --wcxb: also the WCXB development split (1,497 pages, 7 page types), word-level bag-of-words F1 over
//   lower-cased \w+ tokens per page, averaged over pages (WCXB's README), overall and per page type, for
//   its two parts split by a hash of the page id (wcxbPartOf: first byte of the SHA-1 of `file_id`, < 128 =
//   dev, else val). Rules are tuned on dev only; val shows whether they generalise.
//   --wcxb-only skips the other sets; --wcxb-worst N lists the N lowest-F1 dev pages; --dev-only never
//   extracts the validation part (for tuning: its figures print as NaN).
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Parser } from 'htmlparser2';
import { decodeHtml, extractMainText } from '../../../stages/ingest/index.js';

const shared = resolve(
  process.env.QCC_SHARED_DATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data'),
);
const trafDir = join(shared, 'extraction', 'trafilatura-eval');
const pagesDir = join(shared, 'extraction', 'mozilla-readability-test-pages');
const f1 = (p, r) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
const norm = s => s.replace(/\s+/g, ' ').trim();
export const halfOf = file => (createHash('sha1').update(file).digest()[0] % 2 === 0 ? 'A' : 'B');

function trafilaturaSet() {
  const root = mkdtempSync(join(tmpdir(), 'qcc-traf-'));
  try {
    execFileSync('tar', ['-xJf', join(trafDir, 'html-tests-eval-and-cache.tar.xz'), '-C', root]);
    const data = JSON.parse(readFileSync(join(trafDir, 'evaldata.json'), 'utf8'));
    const counts = () => ({ pages: 0, tp: 0, fn: 0, fp: 0, tn: 0 });
    const all = counts();
    const halves = { A: counts(), B: counts() };
    let ms = 0;
    for (const entry of Object.values(data)) {
      const file = [join(root, 'tests', 'eval', entry.file), join(root, 'tests', 'cache', entry.file)].find(existsSync);
      const bytes = readFileSync(file);
      const t0 = performance.now();
      const text = norm(extractMainText(decodeHtml(bytes)));
      ms += performance.now() - t0;
      for (const c of [all, halves[halfOf(entry.file)]]) {
        c.pages++;
        for (const s of entry.with) text.includes(norm(s)) ? c.tp++ : c.fn++;
        for (const s of entry.without) text.includes(norm(s)) ? c.fp++ : c.tn++;
      }
    }
    const row = (set, c) => {
      const precision = c.tp / (c.tp + c.fp);
      const recall = c.tp / (c.tp + c.fn);
      return {
        set,
        pages: c.pages,
        precision,
        recall,
        f1: f1(precision, recall),
        accuracy: (c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn),
        ms_per_page: ms / all.pages,
      };
    };
    const rows = [row('trafilatura-eval', all)];
    if (process.argv.includes('--halves'))
      rows.push(row('trafilatura-eval half A', halves.A), row('trafilatura-eval half B', halves.B));
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function allText(html) {
  const out = [];
  let skip = 0;
  const p = new Parser(
    {
      onopentag: n => {
        if (n === 'script' || n === 'style') skip++;
        out.push(' ');
      },
      onclosetag: n => {
        if (n === 'script' || n === 'style') skip--;
        out.push(' ');
      },
      ontext: t => {
        if (!skip) out.push(t);
      },
    },
    { decodeEntities: true },
  );
  p.write(html);
  p.end();
  return out.join('');
}
const tokens = s => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
function overlap(reference, got) {
  const counts = new Map();
  for (const t of reference) counts.set(t, (counts.get(t) ?? 0) + 1);
  let n = 0;
  for (const t of got) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      n++;
      counts.set(t, c - 1);
    }
  }
  return n;
}

function readabilitySet() {
  const names = readdirSync(pagesDir)
    .filter(d => existsSync(join(pagesDir, d, 'expected.html')))
    .sort();
  let inter = 0,
    ref = 0,
    got = 0,
    ms = 0;
  for (const name of names) {
    const expected = tokens(allText(readFileSync(join(pagesDir, name, 'expected.html'), 'utf8')));
    const html = readFileSync(join(pagesDir, name, 'source.html'), 'utf8');
    const t0 = performance.now();
    const x = tokens(extractMainText(html));
    ms += performance.now() - t0;
    inter += overlap(expected, x);
    ref += expected.length;
    got += x.length;
  }
  const precision = inter / got;
  const recall = inter / ref;
  return {
    set: 'mozilla-readability',
    pages: names.length,
    precision,
    recall,
    f1: f1(precision, recall),
    ms_per_page: ms / names.length,
  };
}

export const wcxbPartOf = fileId => (createHash('sha1').update(fileId).digest()[0] < 128 ? 'dev' : 'val');

// WCXB's word_f1: Python's re \w (Unicode letters, digits, marks, underscore) over lower-cased text.
const words = s => s.toLowerCase().match(/[\p{L}\p{N}\p{M}_]+/gu) ?? [];
function wordF1(predicted, reference) {
  const ref = words(reference);
  const pred = words(predicted);
  if (ref.length === 0) return pred.length === 0 ? 1 : 0;
  if (pred.length === 0) return 0;
  const n = overlap(ref, pred);
  const p = n / pred.length;
  const r = n / ref.length;
  return f1(p, r);
}

function wcxbSet() {
  const dir = join(shared, 'extraction', 'wcxb-dev', 'dev');
  const acc = new Map();
  const add = (key, v) => {
    const a = acc.get(key) ?? { pages: 0, f1: 0 };
    a.pages++;
    a.f1 += v;
    acc.set(key, a);
  };
  const pages = [];
  let ms = 0;
  for (const name of readdirSync(join(dir, 'ground-truth'))
    .filter(f => f.endsWith('.json'))
    .sort()) {
    const gt = JSON.parse(readFileSync(join(dir, 'ground-truth', name), 'utf8'));
    const id = gt.file_id ?? name.replace(/\.json$/, '');
    const type = gt._internal?.page_type?.primary ?? 'unknown';
    const part = wcxbPartOf(id);
    if (devOnly && part !== 'dev') continue;
    const bytes = gunzipSync(readFileSync(join(dir, 'html', `${name.replace(/\.json$/, '')}.html.gz`)));
    const t0 = performance.now();
    const text = extractMainText(decodeHtml(bytes));
    ms += performance.now() - t0;
    const v = wordF1(text, gt.ground_truth.main_content ?? '');
    add(`${part}|all`, v);
    add(`${part}|${type}`, v);
    pages.push({ id, type, part, f1: v });
  }
  const types = [...new Set(pages.map(p => p.type))].sort();
  const rows = [];
  for (const type of ['all', ...types]) {
    const d = acc.get(`dev|${type}`);
    const v = acc.get(`val|${type}`);
    rows.push({
      set: `wcxb ${type}`,
      dev_pages: d?.pages ?? 0,
      dev_f1: d ? d.f1 / d.pages : NaN,
      val_pages: v?.pages ?? 0,
      val_f1: v ? v.f1 / v.pages : NaN,
      ms_per_page: ms / pages.length,
    });
  }
  const worst = Number(process.argv[process.argv.indexOf('--wcxb-worst') + 1] ?? 0);
  if (process.argv.includes('--wcxb-worst')) {
    for (const p of pages
      .filter(x => x.part === 'dev')
      .sort((a, b) => a.f1 - b.f1)
      .slice(0, worst))
      console.error(`${p.id} ${p.type} ${p.f1.toFixed(3)}`);
  }
  return rows;
}

const devOnly = process.argv.includes('--dev-only');
const wcxb = process.argv.includes('--wcxb') || process.argv.includes('--wcxb-only');
const rows = process.argv.includes('--wcxb-only') ? [] : [...trafilaturaSet(), readabilitySet()];
const wcxbRows = wcxb ? wcxbSet() : [];
if (process.argv.includes('--json')) console.log(JSON.stringify([...rows, ...wcxbRows], null, 2));
else {
  if (wcxbRows.length > 0) {
    console.log('| WCXB page type | dev pages | dev F1 | val pages | val F1 |');
    console.log('|---|---|---|---|---|');
    for (const r of wcxbRows)
      console.log(
        `| ${r.set.slice(5)} | ${r.dev_pages} | ${r.dev_f1.toFixed(3)} | ${r.val_pages} | ${r.val_f1.toFixed(3)} |`,
      );
    console.log(`\nWCXB ms/page: ${wcxbRows[0].ms_per_page.toFixed(1)}\n`);
  }
  if (rows.length > 0) {
    console.log('| set | pages | metric | precision | recall | F1 | ms/page |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const metric = r.set.startsWith('trafilatura-eval') ? 'snippets (micro)' : 'tokens (micro)';
      console.log(
        `| ${r.set} | ${r.pages} | ${metric} | ${r.precision.toFixed(3)} | ${r.recall.toFixed(3)} | ${r.f1.toFixed(3)} | ${r.ms_per_page.toFixed(1)} |`,
      );
    }
  }
}
