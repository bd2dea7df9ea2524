/** Logistic regression over hashed sparse features, trained with seeded SGD: same data, same weights. */
import { mulberry32 } from '../shared/random.js';

/** Examples packed in two typed arrays: the indices of example i are indices[offsets[i] .. offsets[i+1]). */
export class PackedExamples {
  private indices = new Int32Array(1 << 16);
  private offsets: number[] = [0];
  readonly labels: number[] = [];
  readonly weights: number[] = [];

  get size(): number {
    return this.labels.length;
  }

  add(features: { indices: Int32Array; count: number }, label: 0 | 1, weight = 1): void {
    const start = this.offsets.at(-1)!;
    if (start + features.count > this.indices.length) {
      const next = new Int32Array(Math.max(this.indices.length * 2, start + features.count));
      next.set(this.indices.subarray(0, start));
      this.indices = next;
    }
    this.indices.set(features.indices.subarray(0, features.count), start);
    this.offsets.push(start + features.count);
    this.labels.push(label);
    this.weights.push(weight);
  }

  features(i: number): { indices: Int32Array; count: number } {
    const start = this.offsets[i]!;
    return { indices: this.indices.subarray(start, this.offsets[i + 1]!), count: this.offsets[i + 1]! - start };
  }
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

/**
 * How a document's summed weights become its margin: `sqrt` divides by the square root of its feature count
 * (the logistic model, so long and short documents score alike); `sum` keeps the plain sum (Naive Bayes
 * log-odds, where every occurrence is evidence).
 */
export type MarginScale = 'sqrt' | 'sum';

export class LinearModel {
  constructor(
    readonly weights: Float32Array,
    public bias = 0,
    readonly scale: MarginScale = 'sqrt',
  ) {}

  /** The raw margin; documents are compared on it (monotone in the probability). */
  margin(indices: Int32Array, count: number, values?: Float32Array): number {
    if (count === 0) return this.bias;
    const w = this.weights;
    let sum = 0;
    if (values) for (let i = 0; i < count; i++) sum += w[indices[i]!]! * values[i]!;
    else for (let i = 0; i < count; i++) sum += w[indices[i]!]!;
    return (this.scale === 'sqrt' ? sum / Math.sqrt(count) : sum) + this.bias;
  }

  probability(indices: Int32Array, count: number): number {
    return 1 / (1 + Math.exp(-this.margin(indices, count)));
  }
}

/** Fisher–Yates with a seeded generator. */
function shuffled(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const next = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Trains on the given examples (positives and negatives balanced by weight so neither class dominates the
 * loss). L2 decay is applied to the touched weights only, which keeps each step proportional to the
 * example's length.
 */
export function trainLogistic(examples: PackedExamples, dims: number, opts: TrainOptions): LinearModel {
  const model = new LinearModel(new Float32Array(dims));
  const w = model.weights;
  const n = examples.size;
  let pos = 0;
  for (const y of examples.labels) pos += y;
  const neg = n - pos;
  if (n === 0 || pos === 0 || neg === 0) return model;
  const classWeight = [n / (2 * neg), n / (2 * pos)];
  let step = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = shuffled(n, opts.seed + epoch);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const { indices, count } = examples.features(i);
      const y = examples.labels[i]!;
      const lr = opts.learningRate / Math.sqrt(1 + step++ / n);
      const p = 1 / (1 + Math.exp(-model.margin(indices, count)));
      const g = (p - y) * classWeight[y]! * examples.weights[i]!;
      const scale = count > 0 ? 1 / Math.sqrt(count) : 0;
      const delta = lr * g * scale;
      const decay = 1 - lr * opts.l2;
      for (let j = 0; j < count; j++) {
        const f = indices[j]!;
        w[f] = w[f]! * decay - delta;
      }
      model.bias -= lr * g * 0.1;
    }
  }
  return model;
}

/**
 * Several domains' models in one interleaved table (feature-major: the weights of feature f for every
 * domain sit side by side), so scoring a document against all domains costs one memory access per
 * feature instead of one per feature and domain.
 */
export class ScoringTable {
  readonly weights: Float32Array;
  readonly biases: Float64Array;
  readonly scale: MarginScale;
  private readonly sums: Float64Array;

  constructor(
    readonly domains: string[],
    models: LinearModel[],
    readonly dims: number,
  ) {
    const n = domains.length;
    this.weights = new Float32Array(dims * n);
    this.biases = Float64Array.from(models.map(m => m.bias));
    this.scale = models[0]?.scale ?? 'sqrt';
    if (models.some(m => m.scale !== this.scale)) throw new Error('ScoringTable: models with different margin scales');
    this.sums = new Float64Array(n);
    models.forEach((m, d) => {
      for (let f = 0; f < dims; f++) this.weights[f * n + d] = m.weights[f]!;
    });
  }

  /**
   * Every domain's margin for one document, in `domains` order (`values`: a weight per index, from the features'
   * `tf: log` or `length_norm`); the buffer is reused by the next call.
   */
  margins(indices: Int32Array, count: number, values?: Float32Array): Float64Array {
    const n = this.domains.length;
    const sums = this.sums;
    const w = this.weights;
    sums.fill(0);
    if (values) {
      for (let i = 0; i < count; i++) {
        const base = indices[i]! * n;
        const v = values[i]!;
        for (let d = 0; d < n; d++) sums[d] = sums[d]! + w[base + d]! * v;
      }
    } else if (n === 1) {
      let s = 0;
      for (let i = 0; i < count; i++) s += w[indices[i]!]!;
      sums[0] = s;
    } else {
      for (let i = 0; i < count; i++) {
        const base = indices[i]! * n;
        for (let d = 0; d < n; d++) sums[d] = sums[d]! + w[base + d]!;
      }
    }
    // Exactly LinearModel.margin's arithmetic (divide, not multiply by the reciprocal): thresholds are margins.
    const root = count > 0 && this.scale === 'sqrt' ? Math.sqrt(count) : 1;
    for (let d = 0; d < n; d++) sums[d] = (count > 0 ? sums[d]! / root : 0) + this.biases[d]!;
    return sums;
  }
}
