/**
 * Domain classifiers by semi-supervised Naive Bayes (`classifier.method: nb_em`): the domains compete with
 * each other and with a background class over the whole index. Weak positives (and judged on-domain documents)
 * are clamped to their domain, judged off-domain ones to the background; EM assigns the rest. Each domain's
 * classifier is its log-odds against the background, `Σ count·(log p(f|d) − log p(f|bg)) + log prior ratio`, a
 * linear model over the same hashed features, threshold 0: a document belongs to the domain when the domain is
 * more probable than the background and than every other domain (`decide(…, { preferOwn: false })`).
 */
import { LinearModel } from './linear.js';
import { nbEm, sparseOf, type SparseDoc } from './nb-em.js';
import { featurizerOf, type DomainClassifier, type TrainInput } from './train.js';

export async function trainNaiveBayes(input: TrainInput): Promise<Map<string, DomainClassifier>> {
  const { config, log, domains } = input;
  const featurizer = featurizerOf(config);
  const background = domains.length;
  const docs: SparseDoc[] = [];
  const ids: string[] = [];
  const seen = new Set<string>();
  for await (const doc of input.scan()) {
    input.signal?.throwIfAborted();
    if (seen.has(doc.id)) continue;
    seen.add(doc.id);
    ids.push(doc.id);
    docs.push(sparseOf(featurizer.extract(doc.text), false));
  }

  // Clamp: a document positive for exactly one domain belongs to it; judged off-domain (and positive nowhere) to
  // the background; a document positive for several domains is left to EM.
  const clamp = new Int32Array(ids.length).fill(-1);
  const counts = new Map(domains.map(d => [d, { positives: 0, negatives: 0 }]));
  ids.forEach((id, i) => {
    const pos = domains.filter(d => input.evidence.get(d)?.positives.has(id));
    if (pos.length === 1) {
      clamp[i] = domains.indexOf(pos[0]!);
      counts.get(pos[0]!)!.positives++;
    } else if (pos.length === 0) {
      const neg = domains.filter(d => input.evidence.get(d)?.negatives.has(id));
      if (neg.length > 0) {
        clamp[i] = background;
        for (const d of neg) counts.get(d)!.negatives++;
      }
    }
  });

  const dims = featurizer.dims;
  // One background class: the stored per-domain log-odds against it are then the exact Bayes decision (with
  // several background components the decision is not linear; tried, it accepted 2x too many documents).
  const components = 1;
  log.info(
    `relevance: naive Bayes EM over ${ids.length} documents${input.weightOf ? ' (candidates and a sample of the index, weighted)' : ''}, ${domains.length} domains + ${components} background`,
    { iterations: config.em_iterations },
  );
  const em = nbEm(docs, clamp, domains.length, {
    dims,
    background: components,
    iterations: config.em_iterations,
    alpha: config.em_alpha,
    smoothing: config.em_smoothing,
    mu: config.em_mu,
    unlabeledWeight: config.em_unlabeled_weight,
    initialComponent: () => 0,
    ...(input.weightOf ? { docWeights: Float64Array.from(ids, id => input.weightOf!(id)) } : {}),
  });

  const bg = background;
  const result = new Map<string, DomainClassifier>();
  domains.forEach((d, k) => {
    const weights = new Float32Array(dims);
    for (let f = 0; f < dims; f++) weights[f] = em.logProb[k * dims + f]! - em.logProb[bg * dims + f]!;
    let members = 0;
    let found = 0;
    for (let i = 0; i < ids.length; i++) {
      let best = 0;
      for (let c = 1; c < em.classes; c++)
        if (em.posterior[i * em.classes + c]! > em.posterior[i * em.classes + best]!) best = c;
      if (best !== k) continue;
      members++;
      if (clamp[i] !== k) found++;
    }
    const stats = {
      ...counts.get(d)!,
      random_negatives: 0,
      self_trained: found,
      em_members: members,
      em_prior: Number(Math.exp(em.logPrior[k]!).toFixed(4)),
    };
    result.set(d, {
      domain: d,
      model: new LinearModel(weights, em.logPrior[k]! - em.logPrior[bg]!, 'sum'),
      threshold: 0,
      stats,
    });
    log.info(`relevance: domain ${d}: naive Bayes EM`, { domain: d, ...stats });
  });
  return result;
}
