/**
 * Hashed text features for the domain classifier: word unigrams (and bigrams, trigrams) plus character
 * n-grams taken inside words with boundary marks. Everything is hashed straight from char codes into a
 * reused Int32Array: no strings, arrays or objects are allocated per token, which is what makes scoring
 * tens of thousands of documents per second possible.
 */

export interface FeatureOptions {
  hashBits: number;
  wordNgrams: number;
  /** 0 = no character n-grams. */
  charNgrams: number;
  maxChars: number;
  /**
   * Term frequency of a repeated feature (Rennie et al. 2003): `raw` counts every occurrence (indices repeat);
   * `binary` counts a feature once per document; `log` once, weighted log2(1 + count) (1 for a single occurrence).
   */
  tf?: TermFrequency;
  /**
   * Document-length normalisation (Rennie et al. 2003): the tf weights are scaled to an L2 norm of √lengthNorm,
   * so a document of `lengthNorm` distinct single words keeps weight 1 per word, shorter ones count more and
   * longer ones less. 0 = off.
   */
  lengthNorm?: number;
}

export type TermFrequency = 'raw' | 'binary' | 'log';

/** A document's features: `count` indices (repeated under `tf: raw`), and with `tf: log` a weight per index. */
export interface Features {
  indices: Int32Array;
  count: number;
  values?: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const BOUNDARY = 0x5f; // '_' marks the start and end of a word in its character n-grams
const MAX_WORD = 40;

/** Lower-cased ASCII letters and digits, and any non-ASCII code unit, are word characters; 0 otherwise. */
function wordChar(c: number): number {
  if (c >= 97 && c <= 122) return c;
  if (c >= 65 && c <= 90) return c + 32;
  if (c >= 48 && c <= 57) return c;
  if (c >= 0xc0) return c;
  return 0;
}

function mix(a: number, b: number): number {
  return Math.imul((a ^ b) + 0x9e3779b9, 0x85ebca6b) ^ (a >>> 13);
}

export class Featurizer {
  readonly dims: number;
  private readonly mask: number;
  private indices: Int32Array;
  private readonly word = new Int32Array(MAX_WORD + 2);
  private readonly prev = new Int32Array(3);
  /** `tf` other than raw: per feature, the document it was last seen in (1-based) and its slot there. */
  private stamp?: Int32Array;
  private slot?: Int32Array;
  private docNo = 0;
  private values = new Float32Array(0);

  constructor(readonly options: FeatureOptions) {
    this.dims = 2 ** options.hashBits;
    this.mask = this.dims - 1;
    this.indices = new Int32Array(8192);
    if ((options.tf ?? 'raw') !== 'raw' || (options.lengthNorm ?? 0) > 0) {
      this.stamp = new Int32Array(this.dims);
      this.slot = new Int32Array(this.dims);
    }
  }

  /**
   * The features of `text` under the `tf` option, valid until the next call (the buffers are reused).
   */
  extract(text: string): Features {
    const all = this.extractAll(text);
    return this.stamp ? this.distinct(all.count) : all;
  }

  /** Folds the repeats of the first `count` indices in place: each feature once, with its tf weight under `log`. */
  private distinct(count: number): Features {
    const stamp = this.stamp!;
    const slot = this.slot!;
    const indices = this.indices;
    if (++this.docNo === 0x7fffffff) {
      stamp.fill(0);
      this.docNo = 1;
    }
    const doc = this.docNo;
    const norm = this.options.lengthNorm ?? 0;
    const tf = this.options.tf ?? 'raw';
    const weighted = tf !== 'binary' || norm > 0;
    if (weighted && this.values.length < count) this.values = new Float32Array(Math.max(count, 2 * this.values.length));
    const values = this.values;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const f = indices[i]!;
      if (stamp[f] === doc) {
        if (weighted) values[slot[f]!] = values[slot[f]!]! + 1;
        continue;
      }
      stamp[f] = doc;
      slot[f] = n;
      if (weighted) values[n] = 1;
      indices[n++] = f;
    }
    if (!weighted) return { indices, count: n };
    if (tf === 'log') for (let k = 0; k < n; k++) values[k] = Math.log2(1 + values[k]!);
    else if (tf === 'binary') values.fill(1, 0, n);
    if (norm > 0 && n > 0) {
      let sq = 0;
      for (let k = 0; k < n; k++) sq += values[k]! * values[k]!;
      const scale = Math.sqrt(norm / sq);
      for (let k = 0; k < n; k++) values[k] = values[k]! * scale;
    }
    return { indices, count: n, values };
  }

  private extractAll(text: string): { indices: Int32Array; count: number } {
    const { wordNgrams, charNgrams } = this.options;
    const end = Math.min(text.length, this.options.maxChars);
    let count = 0;
    let wordLen = 0;
    let wordHash = FNV_OFFSET;
    let words = 0;
    const word = this.word;
    const prev = this.prev;
    const mask = this.mask;
    const ensure = (extra: number) => {
      if (count + extra > this.indices.length) {
        const next = new Int32Array(Math.max(this.indices.length * 2, count + extra));
        next.set(this.indices.subarray(0, count));
        this.indices = next;
      }
    };
    for (let i = 0; i <= end; i++) {
      const c = i < end ? wordChar(text.charCodeAt(i)) : 0;
      if (c !== 0) {
        if (wordLen < MAX_WORD) word[1 + wordLen++] = c;
        wordHash = Math.imul(wordHash ^ c, FNV_PRIME);
        continue;
      }
      if (wordLen === 0) continue;
      ensure(wordNgrams + wordLen + 2);
      const indices = this.indices;
      // word n-grams: unigram, then the bigram and trigram ending here
      indices[count++] = (wordHash >>> 0) & mask;
      if (wordNgrams >= 2 && words >= 1) indices[count++] = mix(prev[0]!, wordHash) & mask;
      if (wordNgrams >= 3 && words >= 2) indices[count++] = mix(mix(prev[1]!, prev[0]!), wordHash ^ 0x3c6ef372) & mask;
      prev[1] = prev[0]!;
      prev[0] = wordHash;
      words++;
      if (charNgrams > 0) {
        word[0] = BOUNDARY;
        word[wordLen + 1] = BOUNDARY;
        const len = wordLen + 2;
        for (let s = 0; s + charNgrams <= len; s++) {
          let h = 0x27d4eb2f;
          for (let k = 0; k < charNgrams; k++) h = Math.imul(h ^ word[s + k]!, FNV_PRIME);
          indices[count++] = (h >>> 0) & mask;
        }
      }
      wordLen = 0;
      wordHash = FNV_OFFSET;
    }
    return { indices: this.indices, count };
  }
}
