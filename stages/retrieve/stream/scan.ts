import type { QueryIndex } from './query-index.js';
import { ASCII_TOKEN, codePointStep, tokenize } from './tokenize.js';

/** What one document holds of the query phrases: their frequencies, and its length in tokens. */
export interface DocTerms {
  /** FTS5's column size: every token, stop words included. */
  length: number;
  /** Phrases present (index into QueryIndex.phrases), first occurrence order. */
  present: number[];
  /** Frequency by phrase index; only entries in `present` are meaningful. */
  freq: Float64Array;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** FNV-1a over a string's UTF-16 units: the hash the ASCII scan computes as it reads a token. */
function hashOf(token: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * Reads a document once, counting each query phrase it contains. Tokens are looked up in an open-addressing table
 * of the query tokens by a hash computed while reading them, so an ASCII document's tokens are never cut out as
 * strings: the scan runs for every page of a crawl, and slicing plus a Map look-up per token was most of its cost
 * (scripts/bench/stream-cpu.mjs). A one-token phrase is one look-up; a longer one is checked against the few
 * tokens before its last (kept in a ring), as FTS5 matches a phrase.
 */
export class DocScanner {
  private readonly freq: Float64Array;
  private readonly present: number[] = [];
  /** Query tokens by id, and the table from a token's hash to its id (-1: empty slot). */
  private readonly vocab: string[] = [];
  private readonly slotId: Int32Array;
  private readonly slotHash: Int32Array;
  private readonly mask: number;
  /** Phrases ending in each token id, flattened: token t's are `ending[endStart[t]]` up to `ending[endStart[t + 1]]`. */
  private readonly endStart: Int32Array;
  private readonly ending: Int32Array;
  /** Each phrase's token ids. */
  private readonly phraseTokens: Int32Array[];
  /** The last tokens' ids (-1: not a query token), for phrases of several tokens. */
  private readonly ring: Int32Array;
  private pos = 0;
  private count = 0;

  constructor(index: QueryIndex) {
    this.freq = new Float64Array(index.phrases.length);
    const ids = new Map<string, number>();
    const idOf = (token: string) => {
      let id = ids.get(token);
      if (id === undefined) {
        id = this.vocab.length;
        ids.set(token, id);
        this.vocab.push(token);
      }
      return id;
    };
    this.phraseTokens = index.phrases.map(p => Int32Array.from(p.tokens, idOf));
    let capacity = 16;
    while (capacity < 2 * this.vocab.length) capacity *= 2;
    this.mask = capacity - 1;
    this.slotId = new Int32Array(capacity).fill(-1);
    this.slotHash = new Int32Array(capacity);
    this.vocab.forEach((token, id) => {
      const h = hashOf(token);
      let i = h & this.mask;
      while (this.slotId[i]! >= 0) i = (i + 1) & this.mask;
      this.slotId[i] = id;
      this.slotHash[i] = h;
    });
    this.endStart = new Int32Array(this.vocab.length + 1);
    for (const toks of this.phraseTokens) this.endStart[toks[toks.length - 1]! + 1]!++;
    for (let t = 0; t < this.vocab.length; t++) this.endStart[t + 1]! += this.endStart[t]!;
    this.ending = new Int32Array(this.endStart[this.vocab.length]!);
    const fill = this.endStart.slice(0, this.vocab.length);
    this.phraseTokens.forEach((toks, p) => (this.ending[fill[toks[toks.length - 1]!]!++] = p));
    this.ring = new Int32Array(index.maxPhraseTokens).fill(-1);
  }

  scan(text: string): DocTerms {
    for (const p of this.present) this.freq[p] = 0;
    this.present.length = 0;
    this.pos = 0;
    this.count = 0;
    // ASCII is read here, a token of ASCII letters and digits hashed as it is read (A–Z folded, as FTS5 folds
    // them); any other character is stepped over as FTS5's tokenizer steps, and a token holding one is handed to
    // that tokenizer whole, since folding it may change or drop characters.
    const n = text.length;
    let start = -1;
    let ascii = true;
    let h = FNV_OFFSET;
    for (let i = 0; i < n; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        if (ASCII_TOKEN[c] === 1) {
          if (start < 0) {
            start = i;
            ascii = true;
            h = FNV_OFFSET;
          }
          if (c >= 0x41 && c <= 0x5a) c += 0x20;
          h = Math.imul(h ^ c, FNV_PRIME);
        } else if (start >= 0) {
          this.tokenAt(text, start, i, ascii, h);
          start = -1;
        }
        continue;
      }
      const step = codePointStep(text, i);
      if (step < 0) {
        if (start >= 0) this.tokenAt(text, start, i, ascii, h);
        start = -1;
      } else {
        if (start < 0) start = i;
        ascii = false;
      }
      i += Math.abs(step) - 1;
    }
    if (start >= 0) this.tokenAt(text, start, n, ascii, h);
    return { length: this.count, present: this.present, freq: this.freq };
  }

  /** The token read from `text[from, to)`: hashed already if ASCII, else folded by the tokenizer (maybe to none). */
  private tokenAt(text: string, from: number, to: number, ascii: boolean, h: number): void {
    if (ascii) {
      this.count++;
      this.token(this.find(h, text, from, to, true));
      return;
    }
    tokenize(text.slice(from, to), token => {
      this.count++;
      this.token(this.find(hashOf(token), token, 0, token.length, false));
    });
  }

  /** The id of the token `text[from, to)` with hash `h` (A–Z folded when `fold`), or -1 if no query holds it. */
  private find(h: number, text: string, from: number, to: number, fold: boolean): number {
    const { slotId, slotHash, vocab, mask } = this;
    const length = to - from;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = slotId[i]!;
      if (id < 0) return -1;
      if (slotHash[i] !== h) continue;
      const token = vocab[id]!;
      if (token.length !== length) continue;
      let k = 0;
      for (; k < length; k++) {
        let c = text.charCodeAt(from + k);
        if (fold && c >= 0x41 && c <= 0x5a) c += 0x20;
        if (c !== token.charCodeAt(k)) break;
      }
      if (k === length) return id;
    }
  }

  /** The next token of the document, by id: counts every phrase it ends. */
  private token(id: number): void {
    const ring = this.ring;
    const ringSize = ring.length;
    if (ringSize > 1) ring[this.pos % ringSize] = id;
    this.pos++;
    if (id < 0) return;
    for (let j = this.endStart[id]!, end = this.endStart[id + 1]!; j < end; j++) {
      const p = this.ending[j]!;
      const toks = this.phraseTokens[p]!;
      if (toks.length > 1) {
        if (toks.length > this.pos) continue;
        let match = true;
        for (let t = 0; t < toks.length - 1 && match; t++)
          match = ring[(this.pos - toks.length + t) % ringSize] === toks[t];
        if (!match) continue;
      }
      if (this.freq[p] === 0) this.present.push(p);
      this.freq[p]!++;
    }
  }
}
