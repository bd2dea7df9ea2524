#!/usr/bin/env node
// Sentence-embedder speed: 20 Newsgroups posts embedded per CPU-second (one thread) at two token cuts, with the
// relevance classifier's featuriser over the same posts as the peer measured in the same run. Medians over --runs.
// Docs per CPU-second is the per-core figure on a shared machine; peak RSS is the whole process's.
//
//   node scripts/fetch-embedder.mjs
//   node --import tsx scripts/bench/embed.mjs [--docs 200] [--runs 3] [--cuts 128,256]
//
// Inputs: the first --docs posts of ../shared/data/corpora/20news-bydate-train.jsonl.gz (as stored, headers included).
import { join } from 'node:path';
import { readJsonl } from '../../core/jsonl.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { featurizerOf } from '../../stages/relevance/train.js';
import { openEmbedder } from '../../stages/relevance/embed.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const shared = process.env.QCC_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname;
const nDocs = Number(arg('docs', '200'));
const runs = Number(arg('runs', '3'));
const cuts = arg('cuts', '128,256').split(',').map(Number);
const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuSeconds = start => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
};

const texts = [];
for await (const r of readJsonl(join(shared, 'corpora', '20news-bydate-train.jsonl.gz'))) {
  texts.push(r.text);
  if (texts.length >= nDocs) break;
}

const featurizer = featurizerOf(relevanceConfigSchema.parse({ enabled: true }).classifier);
function featuriseOnce() {
  const start = process.cpuUsage();
  let sink = 0;
  for (const t of texts) sink += featurizer.extract(t).count;
  if (!(sink > 0)) throw new Error('featuriser produced no features');
  return texts.length / cpuSeconds(start);
}

const embedders = [];
for (const maxTokens of cuts) embedders.push(await openEmbedder({ maxTokens, threads: 1 }));
await Promise.all(embedders.map(e => e.embed([texts[0]]))); // warm-up

const rows = { featurise: [], ...Object.fromEntries(cuts.map(c => [c, []])) };
for (let run = 0; run < runs; run++) {
  rows.featurise.push(featuriseOnce());
  for (const [i, e] of embedders.entries()) {
    const start = process.cpuUsage();
    const vecs = await e.embed(texts);
    if (vecs.length !== texts.length) throw new Error('embedder returned the wrong number of vectors');
    rows[cuts[i]].push(texts.length / cpuSeconds(start));
  }
}
for (const e of embedders) await e.close();

const peer = median(rows.featurise);
const rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(
  `sentence embedder ${embedders[0].model.split('@')[0]}, one thread, ${texts.length} 20 Newsgroups posts, ${runs} runs, medians, docs per CPU-second (one core); peak RSS ${rssMb} MB`,
);
console.log('| what | docs/s per core | × classifier featuriser | ms per doc |');
console.log('|---|---:|---:|---:|');
console.log(`| relevance classifier featuriser (peer) | ${Math.round(peer)} | 1 | ${(1000 / peer).toFixed(3)} |`);
for (const c of cuts) {
  const r = median(rows[c]);
  console.log(
    `| embedder, first ${c} tokens | ${r.toFixed(1)} | ${(r / peer).toExponential(2)} | ${(1000 / r).toFixed(1)} |`,
  );
}
