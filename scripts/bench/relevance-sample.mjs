#!/usr/bin/env node
// What `relevance.sample_docs` costs in quality (docs/scale.md, "Relevance at crawl scale"): naive Bayes EM trained on
// the candidates plus a hash sample of the index against EM over the whole index, on one part of the 20 Newsgroups
// training posts (split once by the hash of the id, as scripts/relevance/corpora.mjs splits). Three domains
// (sci.space, sci.crypt, sci.med): the part's first --seeds posts of each are the clamped weak positives (the
// "candidates"); every post of the part is the index. Prints, per sample rate, the share of the part's posts whose
// decision (a domain or none) equals the whole-index model's, and labelled precision / recall per domain, with the
// sample weighted (relevance.sample_docs) and unweighted.
//
//   node --import tsx scripts/bench/relevance-sample.mjs [--part dev|val] [--rates 0.5,0.25] [--seeds 50]
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { readJsonl } from '../../core/jsonl.js';
import { silentLogger } from '../../core/types.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { indexSample, inIndexSample } from '../../stages/relevance/index-sample.js';
import { decide, scoringTableOf } from '../../stages/relevance/model-file.js';
import { trainNaiveBayes } from '../../stages/relevance/train-nb.js';
import { featurizerOf } from '../../stages/relevance/train.js';
import { partOf } from '../relevance/corpora.mjs';
import { sharedData } from './stream/demo-work.mjs';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'dev' },
    rates: { type: 'string', default: '0.5,0.25' },
    seeds: { type: 'string', default: '50' },
  },
});
const posts = [];
for await (const p of readJsonl(join(sharedData, 'corpora', '20news-bydate-train.jsonl.gz')))
  if (partOf(p.id) === values.part) posts.push(p);
const groups = { space: 'sci.space', crypto: 'sci.crypt', med: 'sci.med' };
const evidence = new Map(
  Object.entries(groups).map(([d, label]) => [
    d,
    {
      positives: new Set(
        posts
          .filter(p => p.label === label)
          .slice(0, Number(values.seeds))
          .map(p => p.id),
      ),
      negatives: new Set(),
    },
  ]),
);
const candidates = new Set([...evidence.values()].flatMap(e => [...e.positives]));
const config = relevanceConfigSchema.parse({ enabled: true }).classifier;
const featurizer = featurizerOf(config);

async function decisions(pool, weightOf) {
  const trained = await trainNaiveBayes({
    domains: Object.keys(groups).sort(),
    evidence,
    candidateDomain: new Map(),
    scan: async function* () {
      yield* pool;
    },
    indexSize: pool.length,
    config,
    log: silentLogger,
    ...(weightOf ? { weightOf } : {}),
  });
  const scoring = scoringTableOf(
    [...trained.values()].map(c => ({ domain: c.domain, model: c.model, threshold: c.threshold })),
  );
  return posts.map(p => decide(scoring, featurizer.extract(p.text), undefined, false).domain ?? '-');
}

const quality = dec =>
  Object.entries(groups)
    .map(([d, label]) => {
      const chosen = posts.filter((_, i) => dec[i] === d);
      const right = chosen.filter(p => p.label === label).length;
      const all = posts.filter(p => p.label === label).length;
      return `${d} P ${(right / chosen.length).toFixed(3)} R ${(right / all).toFixed(3)}`;
    })
    .join(' | ');

const whole = await decisions(posts);
console.log(`${values.part}: ${posts.length} posts, whole index: ${quality(whole)}`);
for (const rate of values.rates.split(',').map(Number)) {
  const pool = posts.filter(p => candidates.has(p.id) || inIndexSample(p.id, rate));
  const sampledNonCandidates = pool.filter(p => !candidates.has(p.id)).length;
  const sample = indexSample({ rate, indexSize: posts.length, candidates, sampledNonCandidates, scanned: pool.length });
  for (const weighted of [true, false]) {
    const dec = await decisions(pool, weighted ? sample.weightOf : undefined);
    const agree = dec.filter((d, i) => d === whole[i]).length / posts.length;
    console.log(
      `rate ${rate}, ${pool.length} read, ${weighted ? 'weighted  ' : 'unweighted'}: agreement ${agree.toFixed(4)}, ${quality(dec)}`,
    );
  }
}
