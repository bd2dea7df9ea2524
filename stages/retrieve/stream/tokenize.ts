import { FOLDS, SEPARATOR_RANGES } from './unicode61-table.js';

/**
 * SQLite FTS5's `unicode61 remove_diacritics 2` tokenizer, code point for code point, from a table read out of
 * the bundled SQLite (scripts/gen-unicode61.mjs). A code point is a separator or a token character folded to one
 * code point (or dropped); a token whose characters are all dropped is no token, as in FTS5.
 */
const SEPARATOR = -1;
const table = new Int32Array(0x110000);
for (let c = 0; c < table.length; c++) table[c] = c;
for (let i = 0; i < SEPARATOR_RANGES.length; i += 2)
  table.fill(SEPARATOR, SEPARATOR_RANGES[i]!, SEPARATOR_RANGES[i + 1]! + 1);
for (let i = 0; i < FOLDS.length; i += 2) table[FOLDS[i]!] = FOLDS[i + 1]!;
table[0] = SEPARATOR;
// A lone surrogate reaches SQLite as U+FFFD.
const REPLACEMENT = table[0xfffd]!;

/** ASCII token characters (letters and digits: the table's verdict, read from it). */
export const ASCII_TOKEN = new Uint8Array(128).map((_, c) => (table[c] === SEPARATOR ? 0 : 1));
// biome-ignore lint/suspicious/noControlCharactersInRegex: the range is every ASCII code point, control characters included on purpose
const NON_ASCII = /[^\x00-\x7f]/;

/** Whether the text is pure ASCII, so that `ASCII_TOKEN` and folding A–Z alone tokenize it as FTS5 does. */
export const isAscii = (text: string): boolean => !NON_ASCII.test(text);

/**
 * The UTF-16 units of the code point at `i` (2 for a surrogate pair), negated when it is a separator: how a scan
 * that reads ASCII itself steps over any other character as `tokenize` does.
 */
export function codePointStep(text: string, i: number): number {
  const cp = text.charCodeAt(i);
  if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
    const lo = text.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo < 0xe000)
      return table[0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)] === SEPARATOR ? -2 : 2;
  }
  const folded = cp >= 0xd800 && cp < 0xe000 ? REPLACEMENT : table[cp]!;
  return folded === SEPARATOR ? -1 : 1;
}

/** The fast path for pure ASCII text (most of the web's words): lower-case once, slice tokens. */
function tokenizeAscii(text: string, onToken: (term: string) => void): number {
  const lower = text.toLowerCase();
  const n = lower.length;
  let count = 0;
  let start = -1;
  for (let i = 0; i < n; i++) {
    if (ASCII_TOKEN[lower.charCodeAt(i)] === 1) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      onToken(lower.slice(start, i));
      count++;
      start = -1;
    }
  }
  if (start >= 0) {
    onToken(lower.slice(start, n));
    count++;
  }
  return count;
}

/**
 * Calls `onToken` with each token of `text` in order (folded as FTS5 stores it) and returns the token count,
 * FTS5's column size. Tokens of ASCII letters and digits (nearly all) are sliced from the text, not rebuilt.
 */
export function tokenize(text: string, onToken: (term: string) => void): number {
  if (!NON_ASCII.test(text)) return tokenizeAscii(text, onToken);
  let count = 0;
  let start = -1; // start of the current token in `text`, -1 between tokens
  let ascii = true; // the current token is unchanged ASCII apart from upper case
  let upper = false;
  let built: number[] = [];
  const n = text.length;
  const end = (stop: number) => {
    if (ascii) {
      const raw = text.slice(start, stop);
      onToken(upper ? raw.toLowerCase() : raw);
      count++;
    } else if (built.length > 0) {
      onToken(String.fromCodePoint(...built));
      count++;
    }
    start = -1;
    built = [];
  };
  for (let i = 0; i < n; i++) {
    let cp = text.charCodeAt(i);
    let width = 1;
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        width = 2;
      }
    }
    const folded = cp >= 0xd800 && cp < 0xe000 ? REPLACEMENT : table[cp]!;
    if (folded === SEPARATOR) {
      if (start >= 0) end(i);
    } else {
      if (start < 0) {
        start = i;
        ascii = true;
        upper = false;
      }
      if (ascii) {
        if (cp < 0x80 && folded === cp) {
          // unchanged ASCII
        } else if (cp >= 0x41 && cp <= 0x5a) {
          upper = true;
        } else {
          // leave the fast path: rebuild what came before from the text (ASCII, so one unit per code point)
          ascii = false;
          for (let j = start; j < i; j++) built.push(table[text.charCodeAt(j)]!);
        }
      }
      if (!ascii && folded !== 0) built.push(folded);
    }
    i += width - 1;
  }
  if (start >= 0) end(n);
  return count;
}

/** The tokens of a text, in order. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  tokenize(text, t => out.push(t));
  return out;
}
