#!/usr/bin/env node
// Held-out check of the NB-EM classifier settings. The defaults (em_alpha, word_ngrams, em_iterations,
// positive_min_queries...) were picked while looking at the 20 Newsgroups labels, so the published figures may be
// selection-biased. This bench loads a finished run's work folder once, trains the classifiers for every setting
// of a grid exactly as the pipeline does (the whole index for EM, no labels), and measures each setting on two
// halves of the labelled posts:
//
//   half A = posts whose sha1("holdout\0" + post id) (stages/relevance/train.ts unitHash) is under 0.5, B = the rest;
//   the post id is the corpus record's `id` (the document's source.original_id), so the split is stable.
//
// Selection criterion (fixed before looking): the setting with the largest min(F1) over the focus domains (default
// medicine and space: sci.med and sci.space) on the selection half, ties to the earlier grid row; its figures on the
// other half are the held-out estimate. One split is one draw, so the selection is repeated over --splits more (salts holdout-1..N) and summarised, next to the
// default's figures on the same halves. Finally the spread of the full-set figures over the grid.
// P and R are those of the documents the classifiers accept over the whole index (the relevance step's output
// incl. the recall round, as relevance-quality.mjs computes it); recall is over the half's labelled index posts.
//
//   node --import tsx scripts/bench/relevance-holdout.mjs --work <out>/qcc-relevance-20news/.work/<run> \
//     [--labels <file.jsonl.gz> --field label --positive <domain=label> ... [--id-field id]] [--focus d1,d2] \
//     [--config config/relevance-20news.yaml] [--splits 20] [--json results.json]
//
// Labels as `qcc eval domain`; without them the 20 Newsgroups training posts with the demo domains
// (medicine=sci.med, space=sci.space, electronics=sci.electronics, cryptography=sci.crypt) and focus medicine,space.
// With --positive the focus is every --positive domain unless --focus names some.
import { writeFileSync } from 'node:fs';
import { unitHash, featurizerOf } from '../../stages/relevance/train.js';
import { wilsonInterval } from '../../stages/relevance/yield.js';
import {
  argOf,
  argsOf,
  labelSpecOf,
  loadWork,
  relevanceConfigOf,
  withClassifier,
  trainDomains,
  acceptedOverIndex,
  DEFAULT_CONFIG,
} from './relevance-load.mjs';

const args = process.argv.slice(2);
const work = argOf(args, 'work');
if (!work) throw new Error('--work <out>/<dataset>/.work/<run> is required');
const jsonOut = argOf(args, 'json');

const GRID = {
  em_alpha: [0.01, 0.02, 0.04, 0.1, 0.3, 1],
  word_ngrams: [1, 2],
  em_iterations: [5, 10, 20],
  positive_min_queries: [2, 3, 4],
};
// The NB-EM background is not a setting: train-nb.ts always fits exactly one background class.
const HALVES = ['A', 'B', 'all'];
const labelSpec = labelSpecOf(args);
const POSITIVE_LABEL = labelSpec.positive;
const FOCUS = argOf(
  args,
  'focus',
  argsOf(args, 'positive').length ? Object.keys(POSITIVE_LABEL).join(',') : 'medicine,space',
)
  .split(',')
  .filter(Boolean);
for (const d of FOCUS)
  if (!POSITIVE_LABEL[d])
    throw new Error(`--focus ${d}: not a --positive domain (${Object.keys(POSITIVE_LABEL).join(', ')})`);
const focusNames = FOCUS.map(d => POSITIVE_LABEL[d]).join(', ');

const t0 = Date.now();
const loaded = await loadWork(work, labelSpec);
const configFile = argOf(args, 'config', DEFAULT_CONFIG);
const baseConfig = await relevanceConfigOf(configFile);
const defaults = baseConfig.classifier;
const domains = loaded.domains.filter(d => POSITIVE_LABEL[d]);

/** A split of the labelled posts into halves by sha1(salt + "\0" + post id), with each half's positives per domain. */
function splitBy(salt) {
  const halfOf = new Map(
    loaded.docs.map(d => [d.id, unitHash(String(loaded.originalId.get(d.id)), salt) < 0.5 ? 'A' : 'B']),
  );
  const totals = Object.fromEntries(HALVES.map(h => [h, Object.fromEntries(domains.map(d => [d, 0]))]));
  for (const doc of loaded.docs) {
    const d = domains.find(x => POSITIVE_LABEL[x] === loaded.labelOf.get(doc.id));
    if (!d) continue;
    totals[halfOf.get(doc.id)][d]++;
    totals.all[d]++;
  }
  return { salt, halfOf, totals };
}
const main = splitBy('holdout');
const halfSize = h => [...main.halfOf.values()].filter(x => x === h).length;
console.log(
  `loaded ${loaded.docs.length} docs (A ${halfSize('A')}, B ${halfSize('B')}), ${loaded.candidates.length} candidates, ${loaded.verdicts.size} judgements in ${Date.now() - t0} ms`,
);
console.log(
  `labelled positives per half: ${domains.map(d => `${POSITIVE_LABEL[d]} A ${main.totals.A[d]} / B ${main.totals.B[d]}`).join(', ')}`,
);

const settings = [];
for (const em_alpha of GRID.em_alpha)
  for (const word_ngrams of GRID.word_ngrams)
    for (const em_iterations of GRID.em_iterations)
      for (const positive_min_queries of GRID.positive_min_queries)
        settings.push({ em_alpha, word_ngrams, em_iterations, positive_min_queries });
// --first N: only the first N settings (a quick check of the script, not a result).
if (argOf(args, 'first')) settings.splice(Number(argOf(args, 'first')));
const isDefault = s => Object.entries(s).every(([k, v]) => defaults[k] === v);
const nameOf = s =>
  `a=${s.em_alpha} n=${s.word_ngrams} it=${String(s.em_iterations).padStart(2)} pmq=${s.positive_min_queries}${isDefault(s) ? ' *' : ''}`;

// Features for scoring, computed once per featuriser setting (training featurises by itself, as in the pipeline).
const featureCache = new Map();
function featuresFor(classifier) {
  const key = JSON.stringify([
    classifier.hash_bits,
    classifier.word_ngrams,
    classifier.char_ngrams,
    classifier.max_chars,
  ]);
  if (!featureCache.has(key)) {
    const fz = featurizerOf(classifier);
    featureCache.set(
      key,
      loaded.docs.map(d => {
        const f = fz.extract(d.text);
        return { indices: f.indices.slice(0, f.count), count: f.count };
      }),
    );
  }
  const cached = featureCache.get(key);
  return i => cached[i];
}

/** {tp, got, total} per half and domain. */
function measure(accepted, { halfOf, totals } = main) {
  const m = Object.fromEntries(HALVES.map(h => [h, {}]));
  for (const d of domains) {
    for (const h of HALVES) m[h][d] = { tp: 0, got: 0, total: totals[h][d] };
    for (const id of accepted.get(d) ?? []) {
      const hit = loaded.labelOf.get(id) === POSITIVE_LABEL[d] ? 1 : 0;
      for (const h of [halfOf.get(id), 'all']) {
        m[h][d].got++;
        m[h][d].tp += hit;
      }
    }
  }
  return m;
}
const P = c => (c.got ? c.tp / c.got : 0);
const R = c => (c.total ? c.tp / c.total : 0);
const F1 = c => (P(c) + R(c) > 0 ? (2 * P(c) * R(c)) / (P(c) + R(c)) : 0);
const f3 = x => x.toFixed(3).replace(/^0/, '');
const pr = c => `${f3(P(c))}/${f3(R(c))}`.padEnd(11);
const criterion = (m, h) => Math.min(...FOCUS.map(d => F1(m[h][d])));

const short = Object.fromEntries(domains.map(d => [d, d.slice(0, 5)]));
console.log(
  `\n${settings.length} settings (* = the config's default); P/R of the accepted documents on half A, half B, all posts`,
);
const cols = [
  ...domains.flatMap(d => [
    [d, 'A'],
    [d, 'B'],
  ]),
  ...FOCUS.map(d => [d, 'all']),
];
console.log(`${'setting'.padEnd(26)} ${cols.map(([d, h]) => `${short[d]} ${h}`.padEnd(11)).join('')}train s`);
const results = [];
for (const s of settings) {
  const config = withClassifier(baseConfig, s);
  const t = Date.now();
  const model = await trainDomains(loaded, config);
  const trainS = (Date.now() - t) / 1000;
  const accepted = acceptedOverIndex(loaded, config, model, { features: featuresFor(config.classifier) });
  const m = measure(accepted);
  results.push({ setting: s, accepted, measured: m, train_s: trainS });
  console.log(`${nameOf(s).padEnd(26)} ${cols.map(([d, h]) => pr(m[h][d])).join('')}${trainS.toFixed(1)}`);
}

function select(on, rows = results) {
  let best = rows[0];
  for (const r of rows) if (criterion(r.measured, on) > criterion(best.measured, on)) best = r;
  return best;
}
const wilsonR = c => {
  const w = wilsonInterval(c.tp, c.total, 0.9);
  return `[${f3(w.low)}, ${f3(w.high)}]`;
};
const dflt = results.find(r => isDefault(r.setting));
console.log(
  `\nSelection: max over the grid of min(F1 of ${focusNames}) on one half, reported on the other (R with a 90% Wilson interval)`,
);
for (const [on, off] of [
  ['A', 'B'],
  ['B', 'A'],
]) {
  const best = select(on);
  console.log(
    `selected on ${on}: ${nameOf(best.setting)}  (criterion on ${on} ${f3(criterion(best.measured, on))}, on ${off} ${f3(criterion(best.measured, off))})`,
  );
  for (const [label, r] of [
    [`  its held-out figures on ${off}`, best],
    [`  the default on ${off}        `, dflt],
  ]) {
    if (!r) continue;
    console.log(
      `${label}: ${domains.map(d => `${short[d]} P ${f3(P(r.measured[off][d]))} R ${f3(R(r.measured[off][d]))} ${wilsonR(r.measured[off][d])}`).join(' | ')}`,
    );
  }
}
if (dflt) {
  const rank = h => 1 + results.filter(r => criterion(r.measured, h) > criterion(dflt.measured, h)).length;
  console.log(
    `the default ${nameOf(dflt.setting)} ranks ${rank('A')} on A, ${rank('B')} on B, ${rank('all')} on all posts (of ${results.length}; criterion A ${f3(criterion(dflt.measured, 'A'))}, B ${f3(criterion(dflt.measured, 'B'))})`,
  );
}
const oracle = select('all');
console.log(
  `best on all labels (optimistic): ${nameOf(oracle.setting)}  ${FOCUS.map(d => `${short[d]} ${pr(oracle.measured.all[d])}`).join('  ')}`,
);

// The halves differ by chance (sci.med recall of one model can differ by 0.1 between halves), so one split is one
// draw: repeat the selection over more random splits. Training does not depend on the split, only measuring.
const splits = Number(argOf(args, 'splits', '20'));
const heldOut = [];
if (splits > 0)
  console.log(`\nRepeated splits (salts holdout-1..holdout-${splits}): selected on one half, figures on the other`);
for (let k = 1; k <= splits; k++) {
  const split = splitBy(`holdout-${k}`);
  const rows = results.map(r => ({ ...r, measured: measure(r.accepted, split) }));
  const parts = [];
  for (const [on, off] of [
    ['A', 'B'],
    ['B', 'A'],
  ]) {
    const best = select(on, rows);
    const m = best.measured[off];
    const d = rows.find(r => isDefault(r.setting))?.measured[off];
    const focusOf = x => Object.fromEntries(FOCUS.map(f => [f, x[f]]));
    heldOut.push({ split: k, on, setting: best.setting, ...focusOf(m), default: d && focusOf(d) });
    parts.push(`${on}→${off} ${nameOf(best.setting).padEnd(24)} ${FOCUS.map(d => `${short[d]} ${pr(m[d])}`).join('')}`);
  }
  console.log(`  split ${String(k).padStart(2)}: ${parts.join(' | ')}`);
}
if (heldOut.length) {
  const stat = (f, rows = heldOut) => {
    const xs = rows.map(f);
    return `${f3(xs.reduce((a, b) => a + b, 0) / xs.length)} (${f3(Math.min(...xs))}–${f3(Math.max(...xs))})`;
  };
  const meets = heldOut.filter(h => FOCUS.every(d => P(h[d]) >= 0.9 && R(h[d]) >= 0.7)).length;
  const figures = rows =>
    FOCUS.map(d => `${POSITIVE_LABEL[d]} P ${stat(h => P(h[d]), rows)} R ${stat(h => R(h[d]), rows)}`).join('; ');
  console.log(`held-out over ${heldOut.length} selections: mean (min–max) ${figures(heldOut)}`);
  console.log(
    `  all of ${focusNames} at P >= 0.9, R >= 0.7 on the held-out half: ${meets} of ${heldOut.length}; the default was selected ${heldOut.filter(h => isDefault(h.setting)).length} times`,
  );
  const withDefault = heldOut.filter(h => h.default).map(h => h.default);
  if (withDefault.length) {
    const meetsDefault = withDefault.filter(h => FOCUS.every(d => P(h[d]) >= 0.9 && R(h[d]) >= 0.7)).length;
    console.log(`the default on the same ${withDefault.length} halves (no selection): ${figures(withDefault)}`);
    console.log(`  all at P >= 0.9, R >= 0.7: ${meetsDefault} of ${withDefault.length}`);
  }
}

const quantiles = xs => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `${f3(s[0])} / ${f3(mid)} / ${f3(s[s.length - 1])}`;
};
const passing = results.filter(r => FOCUS.every(d => P(r.measured.all[d]) >= 0.9 && R(r.measured.all[d]) >= 0.7));
console.log(
  `\nSpread over the ${results.length} settings, all labelled posts (a setting that accepts nothing counts P 0): ${passing.length} reach P >= 0.9 at R >= 0.7 for all of ${focusNames}`,
);
for (const d of domains) {
  console.log(
    `  ${POSITIVE_LABEL[d].padEnd(16)} P min/median/max ${quantiles(results.map(r => P(r.measured.all[d])))}   R ${quantiles(results.map(r => R(r.measured.all[d])))}`,
  );
}
console.log(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (jsonOut)
  writeFileSync(
    jsonOut,
    JSON.stringify(
      {
        work,
        labels: labelSpec,
        focus: FOCUS,
        grid: GRID,
        totals: main.totals,
        results: results.map(({ accepted, ...r }) => r),
        held_out: heldOut,
      },
      null,
      1,
    ),
  );
