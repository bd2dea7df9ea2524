import { eng } from 'stopword';

const STOP = new Set(eng);

/** The words of a text, lower-cased, without English stop words or one-letter tokens, first occurrence order. */
export function contentTerms(text: string): string[] {
  const seen = new Set<string>();
  for (const match of text
    .normalize('NFKC')
    .toLowerCase()
    .matchAll(/[\p{L}\p{N}]+/gu)) {
    const term = match[0];
    if (term.length < 2 || STOP.has(term)) continue;
    seen.add(term);
  }
  return [...seen];
}

/** A crude stem: the first five letters, enough for "antibiotic" ~ "antibiotics" ~ "antibiotical". */
const stem = (term: string) => term.slice(0, 5);

/** Whether two texts share a content word (compared by stem). */
export function sharesContentTerm(a: string, b: string): boolean {
  const stems = new Set(contentTerms(a).map(stem));
  return contentTerms(b).some(t => stems.has(stem(t)));
}
