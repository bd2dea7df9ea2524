#!/usr/bin/env node
// Relevance classifier speed: documents scored per second on one core (featurise + score against every
// domain's model, one interleaved table), with the ingest reader over a real WARC as the baseline measured in the same run.
// Docs per CPU-second is the per-core figure on a shared machine; medians over --runs runs.
//
//   node --import tsx scripts/bench/relevance.mjs [--runs 5] [--domains 4] [--tf raw] [--warc <file.warc.gz>] [--warc-passes 20] \
//     [--labels <file.jsonl.gz> --field label --positive <domain=label> ... [--id-field id] [--text-field text]]
//
// Inputs: a labelled corpus, whose texts are scored and whose --positive labels give the models to score with (each
// label against the rest); without label flags the 20 Newsgroups training posts (11,314) with models for sci.med,
// sci.space, sci.electronics, sci.crypt, rec.autos, comp.graphics (the first --domains). For the baseline and a
// web-text sample, ../shared/data/cc/commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz.
import { join } from 'node:path';
import { readJsonl } from '../../core/jsonl.js';
import { readLabels } from '../../pipeline/commands/eval.js';
import { readArchive } from '../../stages/ingest/index.js';
import { ingestConfigSchema } from '../../stages/ingest/config.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { featurizerOf } from '../../stages/relevance/train.js';
import { PackedExamples, ScoringTable, trainLogistic } from '../../stages/relevance/linear.js';
import { Counters, silentLogger } from '../../core/types.js';
import { argsOf, labelSpecOf } from './relevance-load.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const shared = process.env.QCC_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname;
const runs = Number(arg('runs', '5'));
const domainsArg = arg('domains');
const warc = arg(
  'warc',
  join(shared, 'cc', 'commoncrawl', 'CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz'),
);
const warcPasses = Number(arg('warc-passes', '20'));
const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuSeconds = start => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
};

// --tf raw|binary|log: the features' term-frequency transform (classifier.tf).
const config = relevanceConfigSchema.parse({ enabled: true, classifier: { tf: arg('tf', 'raw') } }).classifier;
const byFlags = argsOf(process.argv, 'positive').length > 0;
const labelSpec = labelSpecOf(process.argv.slice(2));
const textField = arg('text-field', 'text');
const labels = await readLabels(labelSpec.file, labelSpec.field, labelSpec.idField);
const posts = [];
for await (const r of readJsonl(labelSpec.file)) {
  if (typeof r[textField] !== 'string')
    throw new Error(
      `${labelSpec.file}: record ${r[labelSpec.idField]} has no string field "${textField}" (--text-field)`,
    );
  posts.push({ text: r[textField], label: labels.get(String(r[labelSpec.idField])) });
}
const known = new Set(labels.values());
for (const label of Object.values(labelSpec.positive))
  if (!known.has(label)) throw new Error(`label "${label}" does not occur in ${labelSpec.file}`);
const corpusName = labelSpec.file.split('/').at(-1);

// Real models to score with: one per domain, each a label against the rest (1 epoch is enough for speed).
const featurizer = featurizerOf(config);
const groups = (
  byFlags
    ? Object.values(labelSpec.positive)
    : ['sci.med', 'sci.space', 'sci.electronics', 'sci.crypt', 'rec.autos', 'comp.graphics']
).slice(0, domainsArg ? Number(domainsArg) : byFlags ? undefined : 4);
const table = new ScoringTable(
  groups,
  groups.map(g => {
    const ex = new PackedExamples();
    for (const p of posts) ex.add(featurizer.extract(p.text), p.label === g ? 1 : 0);
    return trainLogistic(ex, featurizer.dims, {
      epochs: 1,
      learningRate: config.learning_rate,
      l2: config.l2,
      seed: 1,
    });
  }),
  featurizer.dims,
);

async function ingestOnce() {
  const start = process.cpuUsage();
  const docs = [];
  const ctx = {
    config: ingestConfigSchema.parse({}),
    log: silentLogger,
    counters: new Counters(),
    signal: new AbortController().signal,
  };
  for (let pass = 0; pass < warcPasses; pass++) for await (const doc of readArchive(warc, ctx)) docs.push(doc);
  return { docs, seconds: cpuSeconds(start) };
}

function scoreOnce(texts) {
  const start = process.cpuUsage();
  let sink = 0;
  for (const text of texts) {
    const { indices, count, values } = featurizer.extract(text);
    sink += table.margins(indices, count, values)[0];
  }
  const seconds = cpuSeconds(start);
  if (Number.isNaN(sink)) throw new Error('NaN score');
  return seconds;
}

const postTexts = posts.map(p => p.text);
const chars = texts => Math.round(texts.reduce((n, t) => n + Math.min(t.length, config.max_chars), 0) / texts.length);
const rows = { ingest: [], posts: [], web: [] };
let webTexts = [];
for (let run = 0; run < runs; run++) {
  const ingest = await ingestOnce();
  webTexts = ingest.docs.map(d => d.text);
  rows.ingest.push(ingest.docs.length / ingest.seconds);
  rows.posts.push(postTexts.length / scoreOnce(postTexts));
  rows.web.push(webTexts.length / scoreOnce(webTexts));
}
const ingestRate = median(rows.ingest);
console.log(
  `relevance classifier, ${groups.length} domain models (${groups.join(', ')}), hash_bits ${config.hash_bits}, word n-grams ${config.word_ngrams}, tf ${config.tf}, char ${config.char_ngrams}-grams, max_chars ${config.max_chars}; ${runs} runs, medians, docs per CPU-second (one core)`,
);
console.log(`| input | docs | avg chars scored | docs/s per core | × ingest reader |`);
console.log(`|---|---:|---:|---:|---:|`);
console.log(
  `| ingest reader (readArchive, ${warcPasses} passes over ${warc.split('/').at(-1)}) | ${webTexts.length} | - | ${Math.round(ingestRate)} | 1.0 |`,
);
console.log(
  `| classifier on ${corpusName} | ${postTexts.length} | ${chars(postTexts)} | ${Math.round(median(rows.posts))} | ${(median(rows.posts) / ingestRate).toFixed(1)} |`,
);
console.log(
  `| classifier on the WARC's extracted pages | ${webTexts.length} | ${chars(webTexts)} | ${Math.round(median(rows.web))} | ${(median(rows.web) / ingestRate).toFixed(1)} |`,
);
