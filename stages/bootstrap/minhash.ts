/** Near-duplicate detection for short texts: word-shingle MinHash with LSH banding, verified by exact Jaccard. */
import { createHash } from 'node:crypto';

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

const PRIME = 4294967311n; // > 2^32
const MASK = 0xffffffffn;

export interface MinHasherOptions {
  /** Number of hash functions = bands × rows. */
  bands?: number;
  rows?: number;
  seed?: number;
}

/**
 * Finds, for each new text, an earlier text with Jaccard ≥ threshold. LSH narrows the candidates
 * (bands of rows); every candidate is checked exactly, so there are no false positives. With 32 bands
 * of 2 rows a pair at Jaccard 0.5 is a candidate with probability > 0.99.
 */
export class NearDuplicateIndex {
  private readonly a: bigint[];
  private readonly b: bigint[];
  private readonly bands: number;
  private readonly rows: number;
  private readonly buckets = new Map<string, number[]>();
  private readonly sets: Set<string>[] = [];
  private readonly ids: string[] = [];

  constructor(
    readonly threshold: number,
    readonly k: number,
    opts: MinHasherOptions = {},
  ) {
    this.bands = opts.bands ?? 32;
    this.rows = opts.rows ?? 2;
    const n = this.bands * this.rows;
    const seed = opts.seed ?? 1;
    this.a = [];
    this.b = [];
    for (let i = 0; i < n; i++) {
      const h = createHash('sha256').update(`${seed}:${i}`).digest();
      this.a.push((BigInt(h.readUInt32BE(0)) | 1n) % PRIME);
      this.b.push(BigInt(h.readUInt32BE(4)) % PRIME);
    }
  }

  private signature(set: Set<string>): number[] {
    const sig = new Array<number>(this.a.length).fill(Number.MAX_SAFE_INTEGER);
    for (const s of set) {
      const x = BigInt(createHash('sha1').update(s).digest().readUInt32BE(0));
      for (let i = 0; i < this.a.length; i++) {
        const v = Number(((this.a[i]! * x + this.b[i]!) % PRIME) & MASK);
        if (v < sig[i]!) sig[i] = v;
      }
    }
    return sig;
  }

  /** The earlier id this text near-duplicates (and the similarity), or undefined; a new text is then added. */
  check(id: string, text: string): { of: string; similarity: number } | undefined {
    const set = shingles(text, this.k);
    const sig = this.signature(set);
    const keys: string[] = [];
    let best: { of: string; similarity: number } | undefined;
    const tried = new Set<number>();
    for (let band = 0; band < this.bands; band++) {
      const key = `${band}:${sig.slice(band * this.rows, (band + 1) * this.rows).join(',')}`;
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
