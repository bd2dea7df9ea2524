#!/usr/bin/env node
// Cross-check of qcc's Gopher quality, Gopher repetition and C4 filters against datatrove's on the same real
// documents. Run: node --import tsx scripts/bench/filters-vs-datatrove.mjs [--posts 3000] [--pages 1100]
//   [--python .venv-bench/bin/python] [--work /tmp/qcc-filters-vs-datatrove] [--examples 3] [--reuse]
// (--reuse: keep datatrove's verdicts from the last run in --work, to re-check qcc after a change.)
// Documents: 20 Newsgroups posts (every k-th of the 11,314), every page of the real WARC files in
// ../shared/data/cc/, and the main text of the trafilatura-eval and Readability test pages (qcc's extractor).
// Each filter runs on the original text on both sides; per filter: agreement (same keep/remove and, for a
// removal, the same rule), the confusion of rules, and for C4 whether the kept text is the same. The Gopher
// filters also run with `words: punctuation` (qcc's approximation of spaCy's tokens) and with datatrove's own
// word tokens in place of qcc's words: what disagrees then is rule logic, not the definition of a word.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../../core/jsonl.js';
import { testContext } from '../../tests/stage-context.js';
import { c4Filter, filterConfigSchema, gopherQualityCheck, gopherRepetitionCheck } from '../../stages/filter/index.js';
import { extractMainText, ingestConfigSchema, readArchive } from '../../stages/ingest/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const repo = new URL('../..', import.meta.url).pathname;
const shared = process.env.QCC_SHARED_DATA ?? join(repo, '..', 'shared', 'data');
const POSTS = Number(arg('posts', 3000));
const PAGES = Number(arg('pages', 1100));
const EXAMPLES = Number(arg('examples', 3));
const python = arg('python', join(repo, '.venv-bench', 'bin', 'python'));
const work = arg('work', '/tmp/qcc-filters-vs-datatrove');
const reuse = process.argv.includes('--reuse');
const log = m => process.stderr.write(`[filters-vs-datatrove] ${m}\n`);

if (!existsSync(python)) {
  console.error(
    `no Python at ${python}: python3 -m venv .venv-bench && .venv-bench/bin/pip install 'datatrove[io,processing]' 'spacy==3.8.*'`,
  );
  process.exit(2);
}
const datatroveOut = join(work, 'datatrove.jsonl');
if (!reuse) rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. Real documents (with --reuse, the very ones datatrove judged last time: the extractor may have changed since).
const input = join(work, 'docs.jsonl');
const docs = [];
if (reuse && existsSync(input)) {
  for await (const r of readJsonl(input)) docs.push({ ...r, kind: r.id.startsWith('news-') ? 'usenet' : 'web' });
} else {
  const all = [];
  for await (const r of readJsonl(join(shared, 'corpora', '20news-bydate-train.jsonl.gz'))) all.push(r);
  const step = Math.max(1, Math.floor(all.length / POSTS));
  for (let i = 0; i < all.length && docs.length < POSTS; i += step)
    docs.push({ id: `news-${all[i].id}`, kind: 'usenet', text: all[i].text });
  const warcs = [
    ...['CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz', 'whirlwind.warc.gz'].map(f =>
      join(shared, 'cc', 'commoncrawl', f),
    ),
    ...['sample-0000.warc.gz', 'sample-0001.warc.gz', 'clueweb-quirk.warc.gz'].map(f => join(shared, 'cc', 'other', f)),
  ];
  for (const file of warcs) {
    let k = 0;
    for await (const d of readArchive(file, testContext(ingestConfigSchema.parse({}))))
      docs.push({ id: `warc-${file.split('/').pop()}-${k++}`, kind: 'web', text: d.text });
  }
  const htmlFiles = [];
  const readability = join(shared, 'extraction', 'mozilla-readability-test-pages');
  for (const name of readdirSync(readability))
    if (existsSync(join(readability, name, 'source.html')))
      htmlFiles.push([`readability-${name}`, join(readability, name, 'source.html')]);
  if (!existsSync(join(work, 'tests')))
    execFileSync('tar', [
      '-xJf',
      join(shared, 'extraction', 'trafilatura-eval', 'html-tests-eval-and-cache.tar.xz'),
      '-C',
      work,
    ]);
  for (const dir of ['eval', 'cache'])
    for (const name of readdirSync(join(work, 'tests', dir)).sort())
      htmlFiles.push([`trafilatura-${name}`, join(work, 'tests', dir, name)]);
  for (const [id, path] of htmlFiles.slice(0, PAGES)) {
    const text = extractMainText(readFileSync(path, 'utf8'));
    if (text.trim()) docs.push({ id, kind: 'web', text });
  }
  writeFileSync(input, docs.map(d => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n');
}
log(
  `${docs.length} documents: ${docs.filter(d => d.kind === 'usenet').length} Usenet posts, ${docs.filter(d => d.kind === 'web').length} web pages`,
);

// 2. datatrove (spaCy word tokenizer for English, as FineWeb ran it).
if (!reuse || !existsSync(datatroveOut)) {
  const started = performance.now();
  execFileSync(
    'sh',
    [
      '-c',
      `"$0" "$1" "$2" > "$3.tmp" && mv "$3.tmp" "$3"`,
      python,
      join(repo, 'scripts', 'bench', 'filters-vs-datatrove.py'),
      input,
      datatroveOut,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  log(`datatrove: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
const theirs = new Map();
for await (const r of readJsonl(datatroveOut)) theirs.set(r.id, r);

// 3. qcc, and datatrove's reasons in qcc's rule names.
const cfg = filterConfigSchema.parse({ c4: { enabled: true } });
const DT = {
  gopher_below_avg_threshold: 'gopher_mean_word_length',
  gopher_above_avg_threshold: 'gopher_mean_word_length',
  gopher_too_many_hashes: 'gopher_symbol_ratio',
  gopher_too_many_ellipsis: 'gopher_symbol_ratio',
  gopher_too_many_bullets: 'gopher_bullet_lines',
  gopher_too_many_end_ellipsis: 'gopher_ellipsis_lines',
  gopher_below_alpha_threshold: 'gopher_alpha_ratio',
  gopher_enough_stop_words: 'gopher_stop_words',
  dup_para_frac: 'gopher_dup_para_frac',
  dup_para_char_frac: 'gopher_dup_para_char_frac',
  dup_line_frac: 'gopher_dup_line_frac',
  dup_line_char_frac: 'gopher_dup_line_char_frac',
  lorem_ipsum: 'c4_lorem_ipsum',
  curly_bracket: 'c4_curly_bracket',
  too_few_sentences: 'c4_too_few_sentences',
};
const dtRule = reason => {
  if (reason === null) return 'kept';
  const top = /^top_(\d+)_gram$/.exec(reason);
  if (top) return `gopher_top_ngram(${top[1]})`;
  const dup = /^duplicated_(\d+)_n_grams$/.exec(reason);
  if (dup) return `gopher_dup_ngram(${dup[1]})`;
  return DT[reason] ?? reason;
};
const ourRule = v => (v ? (v.values?.n !== undefined ? `${v.rule}(${v.values.n})` : v.rule) : 'kept');
const filters = {
  gopher_quality: text => ourRule(gopherQualityCheck(text, cfg.gopher_quality)),
  gopher_repetition: text => ourRule(gopherRepetitionCheck(text, cfg.gopher_repetition)),
  'gopher_quality with words: punctuation': text =>
    ourRule(gopherQualityCheck(text, { ...cfg.gopher_quality, words: 'punctuation' })),
  'gopher_repetition with words: punctuation': text =>
    ourRule(gopherRepetitionCheck(text, { ...cfg.gopher_repetition, words: 'punctuation' })),
  'gopher_quality on datatrove tokens': (text, tokens) => ourRule(gopherQualityCheck(text, cfg.gopher_quality, tokens)),
  'gopher_repetition on datatrove tokens': (text, tokens) =>
    ourRule(gopherRepetitionCheck(text, cfg.gopher_repetition, tokens)),
  c4: text => {
    const r = c4Filter(text, cfg.c4);
    return 'rule' in r ? ourRule(r) : 'kept';
  },
};
const report = {
  documents: docs.length,
  usenet: docs.filter(d => d.kind === 'usenet').length,
  web: docs.filter(d => d.kind === 'web').length,
  filters: {},
};
for (const [name, run] of Object.entries(filters)) {
  const confusion = new Map();
  const examples = new Map();
  let agree = 0,
    sameKeep = 0;
  let c4Kept = 0,
    c4SameText = 0;
  for (const d of docs) {
    const t = theirs.get(d.id);
    if (!t) throw new Error(`datatrove gave no verdict for ${d.id}`);
    const ours = run(d.text, t.tokens);
    const them = dtRule(t[name.split(' ')[0]]);
    if (ours === them) agree++;
    if ((ours === 'kept') === (them === 'kept')) sameKeep++;
    const key = `${them} -> ${ours}`;
    confusion.set(key, (confusion.get(key) ?? 0) + 1);
    if (ours !== them) {
      const list = examples.get(key) ?? [];
      if (list.length < EXAMPLES) list.push(d.id);
      examples.set(key, list);
    }
    if (name === 'c4' && ours === 'kept' && them === 'kept') {
      c4Kept++;
      const r = c4Filter(d.text, cfg.c4);
      if (r.text === t.c4_text) c4SameText++;
      else if ((examples.get('kept text differs') ?? []).length < EXAMPLES)
        examples.set('kept text differs', [...(examples.get('kept text differs') ?? []), d.id]);
    }
  }
  report.filters[name] = {
    same_rule: Number((agree / docs.length).toFixed(4)),
    same_keep_or_remove: Number((sameKeep / docs.length).toFixed(4)),
    ...(name === 'c4' ? { both_kept: c4Kept, same_kept_text: c4SameText } : {}),
    'datatrove -> qcc': Object.fromEntries([...confusion].sort((a, b) => b[1] - a[1])),
    disagreement_examples: Object.fromEntries(examples),
  };
}
console.log(JSON.stringify(report, null, 2));
