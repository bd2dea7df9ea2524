#!/usr/bin/env node
// Relevance classifier quality, offline: loads a finished run's work folder once (ingested documents, BM25
// candidates with their hits, queries, judgements) and trains the domain classifiers from the same evidence the
// pipeline uses, then measures precision and recall of the documents they accept against a labelled corpus
// (read here only, to measure), with the precision-recall curve of the ranking. Seconds per variant instead of a
// pipeline run. Labels as `qcc eval domain`; without them the 20 Newsgroups training posts and the demo domains
// (medicine=sci.med, space=sci.space, electronics=sci.electronics, cryptography=sci.crypt).
//
//   node --import tsx scripts/bench/relevance-quality.mjs --work <out>/<dataset>/.work/<run> \
//     [--labels <file.jsonl.gz> --field label --positive <domain=label> ... [--id-field id]] \
//     [--config config/relevance-20news.yaml] [--set classifier.key=value ...]
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

const args = process.argv.slice(2);
const arg = (name, dflt) => argOf(args, name, dflt);
const work = arg('work');
if (!work) throw new Error('--work <out>/<dataset>/.work/<run> is required');
const labelSpec = labelSpecOf(args);
const configFile = arg('config', DEFAULT_CONFIG);
const positiveLabel = labelSpec.positive;

const overrides = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] !== '--set') continue;
  const [key, value] = args[i + 1].split('=');
  overrides[key.replace(/^classifier\./, '')] = JSON.parse(value);
}
const config = await relevanceConfigOf(configFile, overrides);

const t0 = Date.now();
const loaded = await loadWork(work, labelSpec);
const { docs, labelOf, candidates, verdicts, domains } = loaded;
console.log(
  `loaded ${docs.length} docs, ${candidates.length} candidates, ${verdicts.size} judgements in ${Date.now() - t0} ms`,
);

const ev = pipelineEvidence(loaded, config);
const { evidence } = ev;
if (ev.pruned.size) console.log(`${ev.pruned.size} queries pruned by their judged yield`);
for (const d of domains) {
  const e = evidence.get(d);
  if (!e) {
    console.log(`evidence ${d}: none (every judgement off-domain: no classifier)`);
    continue;
  }
  const on = [...e.positives].filter(id => labelOf.get(id) === positiveLabel[d]).length;
  const share = positiveLabel[d]
    ? `${((100 * on) / Math.max(1, e.positives.size)).toFixed(0)}% on-domain`
    : 'no --positive label';
  console.log(`evidence ${d}: ${e.positives.size} positives (${share}), ${e.negatives.size} judged negatives`);
}

// Exploration: the EM model's own posterior with a per-token margin cut, --nb '{"alpha":0.04,...}'.
if (arg('variant') === 'nbem') {
  const { Featurizer } = await import('../../stages/relevance/features.js');
  const { nbEm, sparseOf } = await import('../../stages/relevance/nb-em.js');
  const { unitHash } = await import('../../stages/relevance/train.js');
  const nb = {
    bits: 18,
    words: 1,
    chars: 0,
    background: 8,
    iterations: 8,
    alpha: 0.1,
    unlabeled: 1,
    ...JSON.parse(arg('nb', '{}')),
  };
  const t = Date.now();
  const fz = new Featurizer({
    hashBits: nb.bits,
    wordNgrams: nb.words,
    charNgrams: nb.chars,
    maxChars: config.classifier.max_chars,
  });
  const sparse = docs.map(d => sparseOf(fz.extract(d.text), nb.sublinear ?? true));
  const clamp = new Int32Array(docs.length).fill(-1);
  domains.forEach((d, k) => {
    const pos = evidence.get(d)?.positives ?? new Set();
    docs.forEach((doc, i) => {
      if (pos.has(doc.id)) clamp[i] = clamp[i] === -1 ? k : -2;
    });
  });
  for (let i = 0; i < clamp.length; i++) if (clamp[i] === -2) clamp[i] = -1;
  const r = nbEm(sparse, clamp, domains.length, {
    dims: 2 ** nb.bits,
    background: nb.background,
    iterations: nb.iterations,
    alpha: nb.alpha,
    unlabeledWeight: nb.unlabeled,
    initialComponent: i => Math.floor(unitHash(docs[i].id, 'bg') * nb.background),
  });
  console.log(`nbem ${JSON.stringify(nb)} in ${Date.now() - t} ms`);
  // Unclamped scores: every document's posterior under the final model.
  const C = r.classes;
  const dims = 2 ** nb.bits;
  domains.forEach((d, k) => {
    const label = positiveLabel[d];
    if (!label) return;
    const total = docs.filter(doc => labelOf.get(doc.id) === label).length;
    const scored = sparse.map((s, i) => {
      const sc = [];
      for (let c = 0; c < C; c++) {
        let v = r.logPrior[c];
        for (let j = 0; j < s.indices.length; j++) v += s.values[j] * r.logProb[c * dims + s.indices[j]];
        sc.push(v);
      }
      const mine = sc[k];
      const other = Math.max(...sc.filter((_, c) => c !== k));
      let len = 0;
      for (const v of s.values) len += v;
      return { id: docs[i].id, m: mine - other, len };
    });
    const cuts = [0, -0.02, -0.05, -0.1, -0.2].map(cut => {
      const sel = scored.filter(x => x.m > cut * x.len);
      const hits = sel.filter(x => labelOf.get(x.id) === label).length;
      return `>${cut}: ${sel.length} P ${(hits / Math.max(1, sel.length)).toFixed(3)} R ${(hits / total).toFixed(3)}`;
    });
    console.log(`${d.padEnd(13)} ${cuts.join(' | ')}`);
    const got = scored.filter(x => x.m > 0);
    const tp = got.filter(x => labelOf.get(x.id) === label).length;
    const ranked = scored.sort((a, b) => b.m - a.m);
    let hit = 0;
    const at = new Map();
    ranked.forEach((x, j) => {
      if (labelOf.get(x.id) === label) hit++;
      for (const target of [0.5, 0.6, 0.7, 0.8])
        if (!at.has(target) && hit / total >= target) at.set(target, hit / (j + 1));
    });
    console.log(
      `${d.padEnd(13)} accepted ${String(got.length).padStart(5)}  P ${(tp / Math.max(1, got.length)).toFixed(3)}  R ${(tp / total).toFixed(3)}  | ${[...at].map(([a, p]) => `P@R${a}=${p.toFixed(3)}`).join(' ')}`,
    );
  });
  process.exit(0);
}

const t1 = Date.now();
const model = await trainDomains(loaded, config, ev);
const trainMs = Date.now() - t1;
const { trained, ordered } = model;

// What the pipeline keeps: every index document a classifier accepts (candidates stay in their own domain when
// they pass there), so the accepted set over the whole index is the classifier + recall-round output.
const margins = new Map(ordered.map(c => [c.domain, []]));
const accepted = acceptedOverIndex(loaded, config, model, {
  onMargins: (doc, all) =>
    ordered.forEach((c, k) => margins.get(c.domain).push({ id: doc.id, excess: all[k] - model.scoring.thresholds[k] })),
});

console.log(`trained in ${trainMs} ms: ${JSON.stringify(overrides)}`);
for (const d of domains) {
  const label = positiveLabel[d];
  if (!label) {
    console.log(
      `${d.padEnd(13)} accepted ${String(accepted.get(d).length).padStart(5)}  (no --positive label: not measured)`,
    );
    continue;
  }
  const total = docs.filter(doc => labelOf.get(doc.id) === label).length;
  const got = accepted.get(d);
  const tp = got.filter(id => labelOf.get(id) === label).length;
  const c = trained.get(d);
  let curve = '';
  if (margins.has(d)) {
    const ranked = margins.get(d).sort((a, b) => b.excess - a.excess);
    let hit = 0;
    const at = new Map();
    ranked.forEach((r, k) => {
      if (labelOf.get(r.id) === label) hit++;
      for (const target of [0.5, 0.6, 0.7, 0.8])
        if (!at.has(target) && hit / total >= target) at.set(target, hit / (k + 1));
    });
    curve = [...at].map(([r, p]) => `P@R${r}=${p.toFixed(3)}`).join(' ');
  }
  console.log(
    `${d.padEnd(13)} accepted ${String(got.length).padStart(5)}  P ${(tp / Math.max(1, got.length)).toFixed(3)}  R ${(tp / total).toFixed(3)}  | ${curve}  | stats ${c ? JSON.stringify(c.stats) : 'none'}`,
  );
}
