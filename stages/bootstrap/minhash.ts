/** Near-duplicate detection for short texts: word-shingle MinHash with LSH banding, verified by exact Jaccard. */
import { bandKeys, MinHasher } from '../dedup/minhash.js';

/** Lower-cased word shingles of `k` words (a text shorter than k words is one shingle). */
export function shingles(text: string, k: number): Set<string> {
  const words =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<string>();
  if (words.length <= k) {
    if (words.length) out.add(words.join(' '));
    return out;
  }
  for (let i = 0; i + k <= words.length; i++) out.add(words.slice(i, i + k).join(' '));
  return out;
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) if (large.has(x)) inter += 1;
  return inter / (a.size + b.size - inter);
}

export interface NearDuplicateOptions {
  /** Number of hash functions = bands × rows. */
  bands?: number;
  rows?: number;
  seed?: number;
}

/**
 * Finds, for each new text, an earlier text with Jaccard ≥ threshold. LSH over the dedup stage's MinHash
 * signatures narrows the candidates (bands of rows); every candidate is checked exactly, so there are no false
 * positives. With 32 bands of 2 rows a pair at Jaccard 0.5 is a candidate with probability > 0.99.
 */
export class NearDuplicateIndex {
  private readonly hasher: MinHasher;
  private readonly bands: number;
  private readonly rows: number;
  private readonly buckets = new Map<string, number[]>();
  private readonly sets: Set<string>[] = [];
  private readonly ids: string[] = [];

  constructor(
    readonly threshold: number,
    readonly k: number,
    opts: NearDuplicateOptions = {},
  ) {
    this.bands = opts.bands ?? 32;
    this.rows = opts.rows ?? 2;
    this.hasher = new MinHasher({ ngram: k, bands: this.bands, rows: this.rows, seed: opts.seed ?? 1 });
  }

  /** The earlier id this text near-duplicates (and the similarity), or undefined; a new text is then added. */
  check(id: string, text: string): { of: string; similarity: number } | undefined {
    const set = shingles(text, this.k);
    const keysOfBands = bandKeys(this.hasher.signature(text.normalize('NFKC')), this.bands, this.rows);
    const keys: string[] = [];
    let best: { of: string; similarity: number } | undefined;
    const tried = new Set<number>();
    for (let band = 0; band < this.bands; band++) {
      const key = `${band}:${keysOfBands[2 * band]}:${keysOfBands[2 * band + 1]}`;
      keys.push(key);
      for (const idx of this.buckets.get(key) ?? []) {
        if (tried.has(idx)) continue;
        tried.add(idx);
        const sim = jaccard(set, this.sets[idx]!);
        if (sim >= this.threshold && (!best || sim > best.similarity)) best = { of: this.ids[idx]!, similarity: sim };
      }
    }
    if (best) return best;
    const idx = this.sets.length;
    this.sets.push(set);
    this.ids.push(id);
    for (const key of keys) {
      const bucket = this.buckets.get(key);
      if (bucket) bucket.push(idx);
      else this.buckets.set(key, [idx]);
    }
    return undefined;
  }
}
