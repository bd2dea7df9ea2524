/**
 * Known lower-case ASCII words looked up by a hash of a string's characters, folded to lower case as they
 * are read: the HTML scanner and the class-name judge hash a name while finding its end and look it up
 * without slicing it into a string (a fresh string per tag or class word was a large share of their cost).
 */

/** The hash of no characters. */
export const HASH_START = 0x811c9dc5 | 0;

/** The hash after one more character (FNV-1a), ASCII upper case folded to lower. */
export function hashStep(hash: number, c: number): number {
  return Math.imul(hash ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193);
}

/** True if s[from, from + word.length) is `word` (lower-case ASCII), ignoring ASCII case. */
export function isWordAt(s: string, from: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    let c = s.charCodeAt(from + k);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** Keys are masked to 30 bits: small integers are stored unboxed, so a lookup allocates and hashes nothing. */
const SMI = 0x3fffffff;

export class WordTable<T> {
  private readonly byHash = new Map<number, { word: string; value: T }>();

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [word, value] of entries) {
      let hash = HASH_START;
      for (let i = 0; i < word.length; i++) hash = hashStep(hash, word.charCodeAt(i));
      const other = this.byHash.get(hash & SMI);
      if (other !== undefined && other.word !== word) throw new Error(`word table: ${word} and ${other.word} collide`);
      this.byHash.set(hash & SMI, { word, value });
    }
  }

  /** The value of the word at s[from, to), whose characters hash to `hash`, if it is one of the table's. */
  get(hash: number, s: string, from: number, to: number): T | undefined {
    const e = this.byHash.get(hash & SMI);
    return e !== undefined && e.word.length === to - from && isWordAt(s, from, e.word) ? e.value : undefined;
  }
}
