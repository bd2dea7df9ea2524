/**
 * Semi-supervised multinomial Naive Bayes (Nigam et al., EM over labelled and unlabelled text): the domains are
 * competing classes next to `background` components for everything else. Weak positives are clamped to their
 * domain; every other index document is unlabelled and gets soft class memberships, re-estimated each round.
 */

export interface SparseDoc {
  /** Distinct feature indices. */
  indices: Int32Array;
  /** Their weights (counts, or the featuriser's tf weights). */
  values: Float32Array;
}

/**
 * Distinct features of a featuriser output: its own weights when it has them (`tf: log`), else the count of each
 * index (1 + ln(count) with `sublinear`).
 */
export function sparseOf(
  features: { indices: Int32Array; count: number; values?: Float32Array },
  sublinear = true,
): SparseDoc {
  if (features.values)
    return {
      indices: features.indices.slice(0, features.count),
      values: features.values.slice(0, features.count),
    };
  const counts = new Map<number, number>();
  for (let i = 0; i < features.count; i++) {
    const f = features.indices[i]!;
    counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  const indices = new Int32Array(counts.size);
  const values = new Float32Array(counts.size);
  let k = 0;
  for (const [f, c] of counts) {
    indices[k] = f;
    values[k++] = sublinear ? 1 + Math.log(c) : c;
  }
  return { indices, values };
}

export interface NbEmOptions {
  dims: number;
  /** Background components (the off-domain rest of the index is a mixture of topics). */
  background: number;
  iterations: number;
  /** Laplace smoothing per feature (`smoothing: 'additive'`). */
  alpha: number;
  /**
   * `additive`: p(f|c) = (n(f,c) + alpha) / (n(c) + alpha·dims), every class pulled toward the uniform distribution.
   * `corpus`: p(f|c) = (n(f,c) + mu·p(f|index)) / (n(c) + mu), a Dirichlet prior centred on the whole index's
   * distribution: a word a class has not seen counts as it does in the index, not as a rare hash bucket.
   */
  smoothing?: 'additive' | 'corpus';
  /** Dirichlet prior mass, in tokens (`smoothing: 'corpus'`). */
  mu?: number;
  /** Weight of unlabelled documents in the M-step. */
  unlabeledWeight: number;
  /**
   * How many index documents each document stands for (`relevance.sample_docs`: a sampled document stands for its
   * share of the unsampled rest); every one counts once without it.
   */
  docWeights?: Float64Array;
  /** Initial background component of an unlabelled document, in [0, background). */
  initialComponent: (doc: number) => number;
}

export interface NbEmResult {
  /** log p(feature | class), class-major: classes × dims. */
  logProb: Float32Array;
  logPrior: Float64Array;
  classes: number;
  /** Final memberships, doc-major: docs × classes. */
  posterior: Float32Array;
}

/**
 * `clamp[i]` is the domain (0..D-1) document i is a weak positive of, or -1 for an unlabelled document.
 * Classes 0..D-1 are the domains, D..D+background-1 the background components.
 */
export function nbEm(docs: SparseDoc[], clamp: Int32Array, domains: number, opts: NbEmOptions): NbEmResult {
  const classes = domains + opts.background;
  const n = docs.length;
  const { dims } = opts;
  const post = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    if (clamp[i]! >= 0) post[i * classes + clamp[i]!] = 1;
    else post[i * classes + domains + opts.initialComponent(i)] = 1;
  }
  const counts = new Float64Array(classes * dims);
  const totals = new Float64Array(classes);
  const mass = new Float64Array(classes);
  const logProb = new Float32Array(classes * dims);
  const logPrior = new Float64Array(classes);
  const scores = new Float64Array(classes);

  // The index's own feature distribution: the centre of the Dirichlet prior (lightly smoothed itself).
  let indexDist: Float64Array | undefined;
  if (opts.smoothing === 'corpus') {
    indexDist = new Float64Array(dims);
    let total = 0;
    docs.forEach(({ indices, values }, i) => {
      const w = opts.docWeights?.[i] ?? 1;
      for (let k = 0; k < indices.length; k++) {
        indexDist![indices[k]!] = indexDist![indices[k]!]! + w * values[k]!;
        total += w * values[k]!;
      }
    });
    const floor = 0.01;
    for (let f = 0; f < dims; f++) indexDist[f] = (indexDist[f]! + floor) / (total + floor * dims);
  }
  const mu = opts.mu ?? 0;

  const mStep = () => {
    counts.fill(0);
    totals.fill(0);
    mass.fill(0);
    for (let i = 0; i < n; i++) {
      const w = clamp[i]! >= 0 ? 1 : opts.unlabeledWeight;
      // A document of weight k counts as k copies of it, each of which the cut below would skip alike.
      const copies = clamp[i]! >= 0 ? 1 : (opts.docWeights?.[i] ?? 1);
      const { indices, values } = docs[i]!;
      for (let c = 0; c < classes; c++) {
        let r = post[i * classes + c]! * w;
        if (r < 1e-4) continue;
        r *= copies;
        mass[c] = mass[c]! + r;
        const base = c * dims;
        for (let k = 0; k < indices.length; k++) {
          counts[base + indices[k]!] = counts[base + indices[k]!]! + r * values[k]!;
          totals[c] = totals[c]! + r * values[k]!;
        }
      }
    }
    const allMass = mass.reduce((a, b) => a + b, 0);
    for (let c = 0; c < classes; c++) {
      logPrior[c] = Math.log((mass[c]! + 1) / (allMass + classes));
      const base = c * dims;
      if (indexDist) {
        const denom = Math.log(totals[c]! + mu);
        for (let f = 0; f < dims; f++) logProb[base + f] = Math.log(counts[base + f]! + mu * indexDist[f]!) - denom;
      } else {
        const denom = Math.log(totals[c]! + opts.alpha * dims);
        for (let f = 0; f < dims; f++) logProb[base + f] = Math.log(counts[base + f]! + opts.alpha) - denom;
      }
    }
  };

  const eStep = () => {
    for (let i = 0; i < n; i++) {
      if (clamp[i]! >= 0) continue;
      const { indices, values } = docs[i]!;
      let best = -Infinity;
      for (let c = 0; c < classes; c++) {
        let s = logPrior[c]!;
        const base = c * dims;
        for (let k = 0; k < indices.length; k++) s += values[k]! * logProb[base + indices[k]!]!;
        scores[c] = s;
        if (s > best) best = s;
      }
      let z = 0;
      for (let c = 0; c < classes; c++) z += scores[c] = Math.exp(scores[c]! - best);
      for (let c = 0; c < classes; c++) post[i * classes + c] = scores[c]! / z;
    }
  };

  mStep();
  for (let it = 0; it < opts.iterations; it++) {
    eStep();
    mStep();
  }
  eStep();
  return { logProb, logPrior, classes, posterior: post };
}
