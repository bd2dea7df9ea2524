/**
 * Counts over one text run of a page, in one pass: extraction measures every text node it collects,
 * most of which it later drops, so this loop runs over several times the text it keeps.
 */

/** Letters and digits (approximately \p{L}\p{N}: non-ASCII counts unless it is punctuation or space). */
function isWordChar(c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  if (c < 0xc0) return c === 0xaa || c === 0xb5 || c === 0xba;
  return !(
    (c >= 0x2000 && c <= 0x206f) ||
    (c >= 0x3000 && c <= 0x303f) ||
    (c >= 0xff00 && c <= 0xff0f) ||
    c === 0xd7 ||
    c === 0xf7
  );
}

export interface RunCounts {
  /** Characters other than ASCII whitespace, controls and no-break space. */
  chars: number;
  /** Runs of word characters (counted only when asked). */
  words: number;
  /** Holds whitespace that /\s+/ → ' ' would change: anything but single spaces. */
  messy: boolean;
  /** Starts or ends with whitespace (\s). */
  startsSpace: boolean;
  endsSpace: boolean;
}

/** \s beyond ASCII: no-break space and the Unicode space separators, line and paragraph separators, BOM. */
function isWideSpace(c: number): boolean {
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** Fills `out` with the run's counts; `countWords` false leaves words at 0. */
export function countRun(s: string, countWords: boolean, out: RunCounts): void {
  let chars = 0;
  let words = 0;
  let inWord = false;
  let messy = false;
  let prevSpace = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      if (prevSpace) messy = true;
      prevSpace = true;
    } else if (c < 32 ? c >= 9 && c <= 13 : c >= 0xa0 && isWideSpace(c)) {
      messy = true;
      prevSpace = true;
    } else {
      prevSpace = false;
    }
    if (c > 32 && c !== 160) chars++;
    if (countWords) {
      const w = isWordChar(c);
      if (w && !inWord) words++;
      inWord = w;
    }
  }
  const first = s.charCodeAt(0);
  out.chars = chars;
  out.words = words;
  out.messy = messy;
  out.startsSpace = first === 32 || (first < 32 ? first >= 9 && first <= 13 : first >= 0xa0 && isWideSpace(first));
  out.endsSpace = prevSpace;
}
