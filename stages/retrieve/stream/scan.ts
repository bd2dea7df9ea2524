import type { QueryIndex } from './query-index.js';
import { tokenize } from './tokenize.js';

/** What one document holds of the query phrases: their frequencies, and its length in tokens. */
export interface DocTerms {
  /** FTS5's column size: every token, stop words included. */
  length: number;
  /** Phrases present (index into QueryIndex.phrases), first occurrence order. */
  present: number[];
  /** Frequency by phrase index; only entries in `present` are meaningful. */
  freq: Float64Array;
}

/**
 * Reads a document once, counting each query phrase it contains. A one-token phrase is a map look-up; a longer
 * one is checked against the few tokens before its last (kept in a ring), as FTS5 matches a phrase.
 */
export class DocScanner {
  private readonly freq: Float64Array;
  private readonly present: number[] = [];
  private readonly ring: string[];
  private pos = 0;

  constructor(private readonly index: QueryIndex) {
    this.freq = new Float64Array(index.phrases.length);
    this.ring = new Array<string>(index.maxPhraseTokens).fill('');
  }

  scan(text: string): DocTerms {
    for (const p of this.present) this.freq[p] = 0;
    this.present.length = 0;
    this.pos = 0;
    const { byLastToken, phrases } = this.index;
    const ringSize = this.ring.length;
    const length = tokenize(text, token => {
      if (ringSize > 1) this.ring[this.pos % ringSize] = token;
      this.pos++;
      const ending = byLastToken.get(token);
      if (ending === undefined) return;
      for (const p of ending) {
        const toks = phrases[p]!.tokens;
        if (toks.length > 1) {
          if (toks.length > this.pos) continue;
          let match = true;
          for (let j = 0; j < toks.length - 1 && match; j++)
            match = this.ring[(this.pos - toks.length + j) % ringSize] === toks[j];
          if (!match) continue;
        }
        if (this.freq[p] === 0) this.present.push(p);
        this.freq[p]!++;
      }
    });
    return { length, present: this.present, freq: this.freq };
  }
}
