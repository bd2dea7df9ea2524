import { hasCodeSymbol } from './code-words.js';
import { numberWordsToDigits } from './number-words.js';

/**
 * Text to comparison tokens so lightly edited copies still match: Unicode compatibility form, case,
 * thousands separators ("1,000" = "1000"), trailing zero decimals ("2.50" = "2.5", "3.0" = "3"),
 * spelled-out numbers ("twenty-five" = "25"), punctuation and whitespace do not count.
 */
export function normaliseTokens(text: string): string[] {
  return wordsOf(normalisedText(text));
}

/** The runs of letters and digits of a normalised text. */
function wordsOf(t: string): string[] {
  const words = t.replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  return words ? words.split(' ') : [];
}

/** The text as compared, before punctuation goes: its tokens are the runs of letters and digits. */
function normalisedText(text: string): string {
  return numberWordsToDigits(text.normalize('NFKC').toLowerCase())
    .replace(/(\d),(?=\d{3}(?!\d))/g, '$1')
    .replace(/(\d)\.(\d*?)0+(?!\d)/g, (_m, a: string, b: string) => (b ? `${a}.${b}` : a));
}

/** What between two words makes the second open something: a sentence or clause end, a line, a quote or bracket. */
const OPENS = /[.!?…;:]\s|\n|["“”„«»()[\]{}•|]/u;

/**
 * For each token of normaliseTokens(text), 1 where it opens a sentence, a line, a quotation or a bracket (or the
 * text), else 0: "… sea levels at the end of …" has none inside, "Question: A student …" one at "a".
 */
export function tokenStarts(text: string): Uint8Array {
  return startsOf(normalisedText(text));
}

/**
 * For each token of normaliseTokens(text), the symbols between it and the token before, whitespace left out
 * ("" for the first): "xs[1] * x" gives "", "[", "]*". Code is told from a list of numbers by them.
 */
export function tokenSeparators(text: string): string[] {
  return separatorsOf(normalisedText(text));
}

/**
 * normaliseTokens and tokenStarts of one text, normalised once (a benchmark field at index build); its
 * tokenSeparators where a code symbol is among them (most fields are prose: none), and with `code`, which tokens
 * are program code (1) rather than the prose of a docstring or comment (0).
 */
export function tokenLayout(
  text: string,
  code = false,
): { tokens: string[]; starts: Uint8Array; separators?: string[]; code?: Uint8Array } {
  const t = normalisedText(text);
  return {
    tokens: wordsOf(t),
    starts: startsOf(t),
    ...(hasCodeSymbol(t) ? { separators: separatorsOf(t) } : {}),
    ...(code ? { code: codeOf(t) } : {}),
  };
}

/** Docstrings ("""" … """", "''' … '''") and comments ("# …", "// …") of code: prose. */
const PROSE_IN_CODE = /"{3}[\s\S]*?(?:"{3}|$)|'{3}[\s\S]*?(?:'{3}|$)|(?:#|\/\/)[^\n]*/gu;

function codeOf(t: string): Uint8Array {
  const prose = [...t.matchAll(PROSE_IN_CODE)].map(m => [m.index, m.index + m[0].length] as const);
  const code: number[] = [];
  let r = 0;
  for (const m of t.matchAll(/[\p{L}\p{N}]+/gu)) {
    while (r < prose.length && prose[r]![1] <= m.index) r++;
    code.push(r < prose.length && prose[r]![0] <= m.index ? 0 : 1);
  }
  return Uint8Array.from(code);
}

function startsOf(t: string): Uint8Array {
  const starts: number[] = [];
  let end = 0;
  for (const m of t.matchAll(/[\p{L}\p{N}]+/gu)) {
    starts.push(starts.length === 0 || OPENS.test(`${t.slice(end, m.index)} `) ? 1 : 0);
    end = m.index + m[0].length;
  }
  return Uint8Array.from(starts);
}

function separatorsOf(t: string): string[] {
  const separators: string[] = [];
  let end = 0;
  for (const m of t.matchAll(/[\p{L}\p{N}]+/gu)) {
    separators.push(separators.length === 0 ? '' : t.slice(end, m.index).replace(/\s+/gu, ''));
    end = m.index + m[0].length;
  }
  return separators;
}

/** FNV-1a over UTF-16 code units with a seed: fast, and good enough to spread tokens. */
export function tokenHash(token: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

const B1 = 0x01000193;
const B2 = 0x5bd1e995;

function power(base: number, exp: number): number {
  let r = 1;
  for (let i = 0; i < exp; i++) r = Math.imul(r, base);
  return r;
}

/** Two independent 32-bit hashes per token, computed once per text and shared by every window length. */
export interface TokenHashes {
  h1: Int32Array;
  h2: Int32Array;
}

export function tokenHashes(tokens: string[]): TokenHashes {
  const h1 = new Int32Array(tokens.length);
  const h2 = new Int32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    h1[i] = tokenHash(tokens[i]!, 0x9e3779b9);
    h2[i] = tokenHash(tokens[i]!, 0x85ebca6b);
  }
  return { h1, h2 };
}

const pack = (a: number, b: number) => (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);

/**
 * Keys of every window of `len` tokens, as 53-bit integers (two 32-bit rolling polynomial hashes):
 * exact as a JS number, so a Map lookup needs no string.
 */
export function windowKeys(tokens: string[], len: number): Float64Array {
  return orderedKeys(tokenHashes(tokens), len);
}

export function orderedKeys({ h1, h2 }: TokenHashes, len: number): Float64Array {
  const count = h1.length - len + 1;
  if (count <= 0) return new Float64Array(0);
  const top1 = power(B1, len - 1);
  const top2 = power(B2, len - 1);
  const keys = new Float64Array(count);
  let r1 = 0;
  let r2 = 0;
  for (let i = 0; i < h1.length; i++) {
    if (i >= len) {
      r1 = (r1 - Math.imul(h1[i - len]!, top1)) | 0;
      r2 = (r2 - Math.imul(h2[i - len]!, top2)) | 0;
    }
    r1 = (Math.imul(r1, B1) + h1[i]!) | 0;
    r2 = (Math.imul(r2, B2) + h2[i]!) | 0;
    if (i >= len - 1) keys[i - len + 1] = pack(r1, r2);
  }
  return keys;
}

/**
 * Keys of every window of `len` tokens that ignore the order of the tokens inside the window (the sums of
 * the token hashes, a multiset hash): a copy with two words swapped keeps the key of every window holding
 * both or neither of them.
 */
export function bagKeys({ h1, h2 }: TokenHashes, len: number): Float64Array {
  const count = h1.length - len + 1;
  if (count <= 0) return new Float64Array(0);
  const keys = new Float64Array(count);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < h1.length; i++) {
    if (i >= len) {
      s1 = (s1 - h1[i - len]!) | 0;
      s2 = (s2 - h2[i - len]!) | 0;
    }
    s1 = (s1 + h1[i]!) | 0;
    s2 = (s2 + h2[i]!) | 0;
    // Mixed once more so that a bag key never equals an ordered key of the same tokens by construction.
    if (i >= len - 1) keys[i - len + 1] = pack(Math.imul(s1 ^ len, 0x2c1b3c6d), s2 ^ 0x5bd1e995);
  }
  return keys;
}
