import type { MinhashConfig } from './config.js';
import { mulberry32 } from '../shared/random.js';
import { fmix32 } from './hash.js';

/**
 * MinHash signatures of word n-gram shingles, written by hand for speed (no per-word strings, typed
 * arrays, 32-bit integer maths only): words are hashed while the text is scanned; a shingle is the
 * mix of its words' hashes; hash function i is the bijection
 * h_i(x) = y ^ (y >>> 15) with y = a_i * x + b_i mod 2^32 (x already avalanched by fmix32).
 * A word is a run of letters and digits; case, punctuation and whitespace do not count.
 */
export class MinHasher {
  readonly permutations: number;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private wordHashes = new Int32Array(4096);

  constructor(readonly cfg: Pick<MinhashConfig, 'ngram' | 'bands' | 'rows' | 'seed'>) {
    this.permutations = cfg.bands * cfg.rows;
    const random = mulberry32(cfg.seed);
    this.a = new Int32Array(this.permutations);
    this.b = new Int32Array(this.permutations);
    for (let i = 0; i < this.permutations; i++) {
      this.a[i] = random() | 1;
      this.b[i] = random();
    }
  }

  /** Word hashes of the text, lower-cased; returns how many words. */
  private words(text: string): number {
    const lower = text.toLowerCase();
    let count = 0;
    let h = 0x811c9dc5;
    let inWord = false;
    for (let i = 0; i < lower.length; i++) {
      const c = lower.charCodeAt(i);
      const word = c < 128 ? (c >= 97 && c <= 122) || (c >= 48 && c <= 57) : isWordCodeUnit(c);
      if (word) {
        h = Math.imul(h ^ c, 0x01000193);
        inWord = true;
      } else if (inWord) {
        this.push(count++, h);
        h = 0x811c9dc5;
        inWord = false;
      }
    }
    if (inWord) this.push(count++, h);
    return count;
  }

  private push(i: number, h: number): void {
    if (i >= this.wordHashes.length) {
      const grown = new Int32Array(this.wordHashes.length * 2);
      grown.set(this.wordHashes);
      this.wordHashes = grown;
    }
    this.wordHashes[i] = h;
  }

  /** Fills `out` (length = permutations) with the signature; a text with no words gets all 0xffffffff. */
  signature(text: string, out: Uint32Array = new Uint32Array(this.permutations)): Uint32Array {
    const words = this.words(text);
    const n = this.cfg.ngram;
    const shingles = Math.max(1, words - n + 1);
    const w = this.wordHashes;
    const { a, b, permutations } = this;
    out.fill(0xffffffff);
    if (words === 0) return out;
    for (let s = 0; s < shingles; s++) {
      let x = 0x9e3779b9;
      const end = Math.min(words, s + n);
      for (let k = s; k < end; k++) x = Math.imul(x ^ w[k]!, 0x01000193) + 0x7f4a7c15;
      x = fmix32(x);
      for (let i = 0; i < permutations; i++) {
        const v = (Math.imul(x, a[i]!) + b[i]!) | 0;
        const u = (v ^ (v >>> 15)) >>> 0;
        if (u < out[i]!) out[i] = u;
      }
    }
    return out;
  }
}

const WORD = /[\p{L}\p{N}\p{M}]/u;
/** Non-ASCII code units: letters, digits and marks are word characters; surrogates count as word. */
function isWordCodeUnit(c: number): boolean {
  if (c >= 0xd800 && c <= 0xdfff) return true;
  return WORD.test(String.fromCharCode(c));
}

/** The 64-bit bucket key of each band, as [hi, lo] pairs in `out` (length 2 * bands). */
export function bandKeys(sig: Uint32Array, bands: number, rows: number, out = new Uint32Array(2 * bands)): Uint32Array {
  for (let band = 0; band < bands; band++) {
    let h1 = 0x811c9dc5 ^ band;
    let h2 = 0x9747b28c ^ Math.imul(band, 0x5bd1e995);
    for (let r = band * rows, end = r + rows; r < end; r++) {
      h1 = Math.imul(h1 ^ sig[r]!, 0x01000193);
      h2 = Math.imul(h2 ^ sig[r]!, 0x5bd1e995) ^ (h2 >>> 15);
    }
    out[2 * band] = fmix32(h1);
    out[2 * band + 1] = fmix32(h2 ^ h1);
  }
  return out;
}

/** The share of equal positions of two signatures: an estimate of the Jaccard similarity. */
export function estimatedJaccard(x: Uint32Array, y: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
  return same / x.length;
}
