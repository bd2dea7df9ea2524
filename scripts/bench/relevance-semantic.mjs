#!/usr/bin/env node
// Semantic evidence at the classifier's boundary, offline: loads a finished run's work folder (as
// relevance-quality.mjs), trains the classifiers as the pipeline does, and embeds (all-MiniLM-L6-v2, the estimate's
// semantic judge, behind the vector cache) the documents nearest each domain's decision boundary: the `--band`
// × accepted lowest-margin accepted documents and as many of the highest-margin rejected ones whose best domain it
// is, plus the domain's weak positives (to calibrate). Writes one JSON line per embedded document (id, label, the
// NB margins, the semantic z per domain) to `--out`, and prints the baseline P / R. Labels are read to measure only.
//
//   node --import tsx scripts/bench/relevance-semantic.mjs --work <.work/run> --labels … --field label \
//     --positive medicine=sci.med … --config config/eval/20news.yaml [--band 1] --out dump.jsonl
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  argOf,
  labelSpecOf,
  loadWork,
  pipelineEvidence,
  relevanceConfigOf,
  trainDomains,
  acceptedOverIndex,
  DEFAULT_CONFIG,
} from './relevance-load.mjs';
import { sampleTexts } from '../../stages/relevance/estimate.js';
import { buildSemanticJudge, queryTextsByDomain } from '../../stages/relevance/semantic-judge.js';
import { openEmbedder } from '../../stages/relevance/embed.js';
import { cachedEmbedder } from '../../stages/relevance/embed-cache.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => argOf(args, name, dflt);
const work = arg('work');
const out = arg('out');
if (!work || !out) throw new Error('--work and --out are required');
const band = Number(arg('band', '1'));
const spec = labelSpecOf(args);
const config = await relevanceConfigOf(arg('config', DEFAULT_CONFIG));
const loaded = await loadWork(work, spec);
const { docs, labelOf, domains } = loaded;
const ev = pipelineEvidence(loaded, config);
const model = await trainDomains(loaded, config, ev);
const order = model.ordered.filter(c => Number.isFinite(c.threshold)).map(c => c.domain);
const margins = new Map();
const accepted = acceptedOverIndex(loaded, config, model, {
  onMargins: (doc, all) =>
    margins.set(doc.id, Object.fromEntries(order.map((d, k) => [d, all[k] - model.scoring.thresholds[k]]))),
});
const acceptedIn = new Map();
for (const [d, ids] of accepted) for (const id of ids) acceptedIn.set(id, d);

const wanted = new Set();
for (const d of order) {
  const label = spec.positive[d];
  const total = docs.filter(x => labelOf.get(x.id) === label).length;
  const got = accepted.get(d);
  const tp = got.filter(id => labelOf.get(id) === label).length;
  console.log(
    `${d}: accepted ${got.length} P ${(tp / Math.max(1, got.length)).toFixed(3)} R ${(tp / total).toFixed(3)} (labelled ${total})`,
  );
  const n = Math.ceil(band * got.length);
  const inside = [...got].sort((a, b) => margins.get(a)[d] - margins.get(b)[d]).slice(0, n);
  const best = id => Object.entries(margins.get(id)).sort((a, b) => b[1] - a[1])[0][0];
  const outside = docs
    .filter(x => !acceptedIn.has(x.id) && best(x.id) === d)
    .sort((a, b) => margins.get(b.id)[d] - margins.get(a.id)[d])
    .slice(0, n)
    .map(x => x.id);
  for (const id of [...inside, ...outside, ...(ev.evidence.get(d)?.positives ?? [])]) wanted.add(id);
}
console.log(`embedding ${wanted.size} documents`);
const byDomain = queryTextsByDomain(loaded.queries.values());
const controls = await sampleTexts(
  (async function* () {
    yield* docs;
  })(),
  config.estimate.semantic.controls,
  '',
  'estimate-controls',
);
const cacheDir = join(process.env.QCC_CACHE_DIR ?? 'out/.cache', 'embed');
const embedder = cachedEmbedder(await openEmbedder({ threads: 1 }), cacheDir);
const semantic = { ...config.estimate.semantic, ...(arg('chunks') ? { chunks: Number(arg('chunks')) } : {}) };
const judge = await buildSemanticJudge(embedder, byDomain, controls, semantic);
const lines = [];
const t0 = Date.now();
for (const doc of docs) {
  if (!wanted.has(doc.id)) continue;
  const v = await judge.judge(domains[0], doc.text);
  const positiveOf = order.filter(d => ev.evidence.get(d)?.positives.has(doc.id));
  lines.push(
    JSON.stringify({
      id: doc.id,
      label: labelOf.get(doc.id) ?? null,
      accepted: acceptedIn.get(doc.id) ?? null,
      positive: positiveOf,
      m: margins.get(doc.id),
      z: v.z,
    }),
  );
  if (lines.length % 200 === 0)
    console.log(`${lines.length} / ${wanted.size} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
await embedder.close();
writeFileSync(out, lines.join('\n') + '\n');
const totals = Object.fromEntries(order.map(d => [d, docs.filter(x => labelOf.get(x.id) === spec.positive[d]).length]));
const acceptedAll = Object.fromEntries([...accepted].map(([d, ids]) => [d, ids.length]));
const tpAll = Object.fromEntries(
  [...accepted].map(([d, ids]) => [d, ids.filter(id => labelOf.get(id) === spec.positive[d]).length]),
);
writeFileSync(
  out.replace(/\.jsonl$/, '.meta.json'),
  JSON.stringify({ totals, accepted: acceptedAll, tp: tpAll, positive: spec.positive, stats: embedder.stats }) + '\n',
);
console.log(`wrote ${lines.length} lines to ${out}; embedder ${JSON.stringify(embedder.stats)}`);
