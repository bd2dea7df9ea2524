/** Whitespace-separated words, as the Gopher rules count them. */
export function words(text: string): string[] {
  return text.split(/\s+/u).filter((w) => w.length > 0);
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const LETTER = /\p{L}/u;

export const hasLetterOrDigit = (w: string) => LETTER_OR_DIGIT.test(w);
export const hasLetter = (w: string) => LETTER.test(w);

/** Lower case without surrounding punctuation: "The," -> "the". */
export function bareWord(w: string): string {
  return w.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
}

export function countOccurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}
