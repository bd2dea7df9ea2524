// Planted-item test for decontamination: benchmark items, copied verbatim or with one kind of light edit,
// are planted into real posts (20 Newsgroups, BBC News); the decontam stage must remove every planted copy,
// naming the planted item, and keep the untouched posts. Used by scripts/bench/decontam.mjs (the full
// table) and tests/decontam-planted.test.ts (a smaller sample, asserting the acceptance figures).
//
// Items are split in two halves by a hash of their id: `dev` (looked at while tuning the matcher) and `val`
// (held out: only measured). Within a half, the items of each kind are the first by a seeded hash.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { readJsonl } from '../../../core/jsonl.js';
import { testContext } from '../../../tests/stage-context.js';
import {
  buildBenchmarkIndex,
  decontamConfigSchema,
  decontamStage,
  normaliseTokens,
  readBenchmark,
} from '../../../stages/decontam/index.js';

export const sharedData = process.env.QCC_SHARED_DATA ?? new URL('../../../../shared/data', import.meta.url).pathname;
const bench = p => join(sharedData, 'benchmarks', p);
export const benchmarks = [
  { name: 'gsm8k', file: bench('gsm8k/test.jsonl'), fields: ['question', 'answer'] },
  {
    name: 'humaneval',
    file: bench('humaneval/HumanEval.jsonl.gz'),
    fields: ['prompt', 'canonical_solution'],
    id_field: 'task_id',
  },
  {
    name: 'arc-challenge',
    file: bench('arc-challenge/ARC-Challenge-Test.jsonl'),
    fields: ['question.stem', 'question.choices.text'],
  },
];
export const KINDS = ['verbatim', 'short', 'numbers', 'swap', 'excerpt', 'punct'];

const hash = (...parts) => createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0);
/** A small seeded generator (mulberry32) for the edits, so every run plants the same copies. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const splitOf = item => (hash('split', item.benchmark, item.id) % 2 === 0 ? 'dev' : 'val');
const words = text => text.match(/[\p{L}\p{N}]+/gu) ?? [];

// --- how an item is written out -------------------------------------------------------------------------
/** The whole item as a page would hold it: each field on its own line, the values of a list field labelled A., B., ... */
export function renderItem(item, { withSecondary = true } = {}) {
  const lines = [];
  const counts = new Map();
  for (const f of item.fields) counts.set(f, (counts.get(f) ?? 0) + 1);
  let label = 0;
  for (const [i, text] of item.texts.entries()) {
    const f = item.fields[i];
    const list = counts.get(f) > 1;
    if (!withSecondary && i > 0 && !list) continue; // the answer / solution: not part of the question
    lines.push(list ? `${String.fromCharCode(65 + label++)}. ${text}` : text);
  }
  return lines.join('\n');
}

// --- the light edits ------------------------------------------------------------------------------------
const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
/** An integer in English words; `style` picks hyphens or spaces and whether "and" follows "hundred". */
export function spellNumber(n, style = { hyphen: true, and: false }) {
  const below100 = x =>
    x < 20 ? ONES[x] : TENS[Math.floor(x / 10)] + (x % 10 ? (style.hyphen ? '-' : ' ') + ONES[x % 10] : '');
  const below1000 = x => {
    const h = Math.floor(x / 100);
    const r = x % 100;
    if (!h) return below100(r);
    return `${ONES[h]} hundred` + (r ? (style.and ? ' and ' : ' ') + below100(r) : '');
  };
  if (n === 0) return 'zero';
  const parts = [];
  for (const [scale, name] of [
    [1e9, 'billion'],
    [1e6, 'million'],
    [1e3, 'thousand'],
    [1, ''],
  ]) {
    const g = Math.floor(n / scale) % 1000;
    if (g) parts.push(below1000(g) + (name ? ` ${name}` : ''));
  }
  return parts.join(' ');
}
const INTEGER = /(?<![\d.,])(?:[1-9]\d{0,2}(?:,\d{3})+|0|[1-9]\d*)(?![.,]?\d)/g;
export const hasInteger = text => new RegExp(INTEGER.source).test(text);
/** Every integer below a billion spelled out ("80,000" → "eighty thousand"); decimals stay as they are. */
export function spellOutNumbers(text, random) {
  return text.replace(INTEGER, m => {
    const n = Number(m.replace(/,/g, ''));
    if (n >= 1e9) return m;
    return spellNumber(n, { hyphen: random() < 0.5, and: random() < 0.3 });
  });
}
/** Two adjacent, different words of the text swapped, somewhere away from its ends. */
export function swapAdjacent(text, random) {
  const parts = text.split(/(\s+)/); // words at even places
  const ws = [];
  for (let i = 0; i < parts.length; i += 2) if (parts[i]) ws.push(i);
  const options = [];
  for (let k = 1; k + 2 < ws.length; k++) if (parts[ws[k]] !== parts[ws[k + 1]]) options.push(k);
  if (options.length === 0) return undefined;
  const k = options[Math.floor(random() * options.length)];
  [parts[ws[k]], parts[ws[k + 1]]] = [parts[ws[k + 1]], parts[ws[k]]];
  return parts.join('');
}
/** 8 to 12 consecutive words (letter or digit runs) of the text, with the punctuation between them. */
export function excerpt(text, random) {
  const ws = [...text.matchAll(/[\p{L}\p{N}]+/gu)];
  const len = 8 + Math.floor(random() * 5);
  if (ws.length < len + 1) return undefined;
  const at = Math.floor(random() * (ws.length - len + 1));
  const last = ws[at + len - 1];
  return text.slice(ws[at].index, last.index + last[0].length);
}
const PUNCT_EDITS = [
  t => t.toLowerCase(),
  t => t.toUpperCase(),
  t => t.replace(/\b\w/g, c => c.toUpperCase()),
  t => t.replace(/[.,;:!?]+(?=\s|$)/g, '').replace(/"/g, ''),
  t => t.replace(/([.,;:!?])/g, ' $1'),
  t => t.replace(/'/g, '\u2019').replace(/"([^"]*)"/g, '\u201c$1\u201d'),
  t => t.replace(/ /g, '  '),
  t => t.replace(/(.{50,70}?) /g, '$1\n'),
  t => t.replace(/\?/g, '?!').replace(/\.(\s|$)/g, '!$1'),
];
/** Two light punctuation or case edits (lower/upper/title case, punctuation dropped or spaced, curly quotes, wrapping). */
export function punctuationEdit(text, random) {
  const a = Math.floor(random() * PUNCT_EDITS.length);
  const b = (a + 1 + Math.floor(random() * (PUNCT_EDITS.length - 1))) % PUNCT_EDITS.length;
  return PUNCT_EDITS[b](PUNCT_EDITS[a](text));
}

/**
 * The planted text of one item for one kind, or undefined when the item does not qualify:
 * verbatim: the whole item (question, choices, answer or solution), unchanged;
 * short: the same, for items whose every field has fewer than 8 words;
 * numbers: the question part (first field, and the choices) with every integer spelled out;
 * swap: the first field, 13-25 words, with two adjacent words swapped;
 * excerpt: 8-12 consecutive words (letter/digit runs) of a first field of at least 13 words;
 * punct: the question part with two punctuation/case edits.
 */
export function plantedText(item, kind, random) {
  const first = item.texts[0] ?? '';
  const question = renderItem(item, { withSecondary: false });
  switch (kind) {
    case 'verbatim':
      return renderItem(item);
    case 'short':
      return item.texts.every(t => words(t).length < 8) ? renderItem(item) : undefined;
    case 'numbers':
      return hasInteger(question) ? spellOutNumbers(question, random) : undefined;
    case 'swap': {
      const n = words(first).length;
      return n >= 13 && n <= 25 ? swapAdjacent(first, random) : undefined;
    }
    case 'excerpt':
      return words(first).length >= 13 ? excerpt(first, random) : undefined;
    case 'punct':
      return punctuationEdit(question, random);
  }
  throw new Error(`unknown kind ${kind}`);
}

// --- hosts and planting ---------------------------------------------------------------------------------
export const corpora = {
  '20ng': join(sharedData, 'corpora', '20news-bydate-train.jsonl.gz'),
  bbc: join(sharedData, 'corpora', 'bbc-news.jsonl.gz'),
};

/** Real posts as pipeline documents (`limit` per corpus). */
export async function loadPosts(corpus, limit = Infinity) {
  const file = corpora[corpus];
  const docs = [];
  for await (const r of readJsonl(file)) {
    docs.push({
      id: `${corpus}-${r.id}`,
      text: r.text,
      source: { kind: 'corpus', file, line: docs.length + 1, original_id: r.id },
    });
    if (docs.length >= limit) break;
  }
  return docs;
}

/**
 * More clean real text for the false-positive count, from the NLTK corpora (read with `unzip -p`): ABC science
 * and rural transcripts in chunks of about 300 words, the inaugural addresses, and the 500 Brown texts with their
 * part-of-speech tags removed.
 */
export function loadNltkTexts() {
  const zip = name => join(sharedData, 'corpora', `nltk-${name}.zip`);
  const read = (name, member) =>
    execFileSync('unzip', ['-p', zip(name), member], { maxBuffer: 1 << 28 }).toString('latin1');
  const members = name =>
    execFileSync('unzip', ['-Z1', zip(name)], { encoding: 'utf8' })
      .split('\n')
      .filter(m => m && !m.endsWith('/'));
  const docs = [];
  const add = (corpus, id, text) =>
    docs.push({
      id: `${corpus}-${id}`,
      text,
      source: { kind: 'corpus', file: zip(corpus), line: docs.length + 1, original_id: id },
    });
  for (const member of ['abc/rural.txt', 'abc/science.txt']) {
    let chunk = [];
    let words = 0;
    for (const para of read('abc', member).split(/\n\s*\n/)) {
      chunk.push(para);
      words += para.split(/\s+/).length;
      if (words >= 300) {
        add('abc', `${member}#${docs.length}`, chunk.join('\n\n'));
        chunk = [];
        words = 0;
      }
    }
  }
  for (const m of members('inaugural').filter(m => m.endsWith('.txt'))) add('inaugural', m, read('inaugural', m));
  for (const m of members('brown').filter(m => /\/c[a-r]\d\d$/.test(m)))
    add('brown', m, read('brown', m).replace(/\/\S+/g, ''));
  return docs;
}

/**
 * Held-out clean web text for the false-positive count (added after the rules were chosen, never tuned on): the
 * human-annotated main text of the 1,497 WCXB development pages (articles, forums, products, listings...).
 */
export function loadWebTexts() {
  const dir = join(sharedData, 'extraction', 'wcxb-dev', 'dev', 'ground-truth');
  return readdirSync(dir)
    .filter(f => f.endsWith('.json'))
    .sort()
    .map((f, i) => {
      const gt = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const text = gt.ground_truth?.main_content ?? '';
      return { id: `wcxb-${f}`, text, source: { kind: 'corpus', file: join(dir, f), line: i + 1, original_id: f } };
    })
    .filter(d => d.text.length > 0);
}

/**
 * More held-out web text (added after the WCXB row had been used to choose the content-word rules): the main
 * text qcc's ingest extracts from the 1,163 distinct real pages of ../shared/data/extraction/ (trafilatura's
 * evaluation pages and Readability's test pages, many languages), from the ingest bench's WARC.
 */
export async function loadExtractedPages() {
  const file = join(tmpdir(), 'qcc-bench-ingest', 'pages-x1.warc.gz');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const make = new URL('../ingest/make-warc.mjs', import.meta.url).pathname;
    execFileSync(process.execPath, [make, file], { stdio: 'inherit' });
  }
  const { ingestConfigSchema } = await import('../../../stages/ingest/config.js');
  const { readArchive } = await import('../../../stages/ingest/index.js');
  const { Counters } = await import('../../../core/types.js');
  const config = ingestConfigSchema.parse({ warc: [file], min_text_chars: 1, on_error: 'skip', workers: 0 });
  const quiet = { info() {}, warn() {}, error() {} };
  const ctx = { config, log: quiet, counters: new Counters(), signal: new AbortController().signal };
  const docs = [];
  for await (const d of readArchive(file, ctx)) docs.push(d);
  return docs;
}

/**
 * Clean code, in chunks of 200 lines, for the false-positive count: code is where a test set's digits and
 * brackets are met again (tables of numbers in test files, doctests). `python`: the machine's Python standard
 * library and the packages of the project's `.venv` (`npm run setup`), looked at while choosing the code rules;
 * `javascript`: the `.js` files of the project's node_modules, held out (measured once, after).
 */
export function loadCodeTexts(language) {
  const root = new URL('../../..', import.meta.url).pathname;
  const dirs =
    language === 'python'
      ? [
          execFileSync('python3', ['-c', "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], {
            encoding: 'utf8',
          }).trim(),
          join(root, '.venv', 'lib'),
        ]
      : [join(root, 'node_modules')];
  const ext = language === 'python' ? '.py' : '.js';
  const files = [];
  const walk = dir => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory() && !e.isSymbolicLink()) walk(path);
      else if (e.isFile() && e.name.endsWith(ext) && !e.name.endsWith(`.min${ext}`)) files.push(path);
    }
  };
  for (const dir of dirs) if (existsSync(dir)) walk(dir);
  const docs = [];
  for (const file of files.sort()) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i += 200) {
      const text = lines.slice(i, i + 200).join('\n');
      if (text.length >= 1000)
        docs.push({ id: `${file}:${i + 1}`, text, source: { kind: 'corpus', file, line: i + 1, original_id: file } });
    }
  }
  return docs;
}

/** The host with the text inserted as its own paragraph at a paragraph break past the middle. */
export function plant(host, text, id) {
  const cut = host.text.indexOf('\n\n', host.text.length / 2);
  const at = cut > 0 ? cut : host.text.length;
  return { ...host, id, text: `${host.text.slice(0, at)}\n\n${text}\n\n${host.text.slice(at)}` };
}

export async function loadItems() {
  const all = [];
  for (const b of benchmarks) all.push(...(await readBenchmark(b)));
  return all;
}

/**
 * Up to `perKind` items of each benchmark and kind from one split, each planted (with its edit) into a host
 * chosen by the seeded hash. Returns the planted documents with what they carry.
 */
export function plantSample(items, hosts, { split, perKind, seed = 1, kinds = KINDS }) {
  const planted = [];
  for (const b of benchmarks) {
    const pool = items.filter(i => i.benchmark === b.name && splitOf(i) === split);
    for (const kind of kinds) {
      const ordered = pool.map(i => ({ i, h: hash(seed, kind, i.id) })).sort((x, y) => x.h - y.h);
      let taken = 0;
      for (const { i, h } of ordered) {
        if (taken === perKind) break;
        const text = plantedText(i, kind, rng(h));
        if (text === undefined) continue;
        const host = hosts[h % hosts.length];
        planted.push({
          doc: plant(host, text, `planted/${kind}/${i.benchmark}/${i.id}`),
          benchmark: i.benchmark,
          item: i,
          kind,
          text,
        });
        taken++;
      }
    }
  }
  return planted;
}

export function decontamConfig(overrides = {}) {
  return decontamConfigSchema.parse({ benchmarks, ...overrides });
}

/** Runs the decontam stage (or another version's `stage` factory) over the documents; removals by document id. */
export async function runStage(index, cfg, docs, stage = decontamStage) {
  const removed = new Map();
  const ctx = { ...testContext(cfg), remove: r => removed.set(r.record.id, r) };
  let kept = 0;
  for await (const _ of stage(index, cfg.n)(
    (async function* () {
      yield* docs;
    })(),
    ctx,
  ))
    kept++;
  return { removed, kept };
}

/**
 * Recall per benchmark and kind: a planted copy counts as found when the stage removed it naming the planted
 * item, or another item of the same test set for words of the planted text (test sets hold near-copies:
 * ARC's LEAP_2000_8_2 and LEAP__8_10365 differ only in "one" / "1").
 */
export function recallTable(planted, removed) {
  const cells = new Map();
  const misses = [];
  for (const p of planted) {
    const key = `${p.benchmark}\u0000${p.kind}`;
    const cell = cells.get(key) ?? { benchmark: p.benchmark, kind: p.kind, found: 0, planted: 0 };
    cells.set(key, cell);
    cell.planted++;
    const r = removed.get(p.doc.id);
    if (
      r &&
      r.values.benchmark === p.benchmark &&
      (r.values.item_id === p.item.id || ` ${normaliseTokens(p.text).join(' ')} `.includes(` ${r.values.example} `))
    )
      cell.found++;
    else misses.push({ ...p, removal: r });
  }
  return { cells: [...cells.values()], misses };
}

export { buildBenchmarkIndex };
