import { contentTerms } from '../shared/terms.js';

export const queryTerms = contentTerms;

/**
 * An FTS5 MATCH expression in which every term is a quoted string joined by OR: LLM-written text can
 * never inject FTS5 syntax (quotes, AND/OR/NEAR, *, :, parentheses), and OR gives classic BM25 ranking.
 * Returns null when nothing searchable is left (only stop words or punctuation).
 */
export function toFtsQuery(text: string): string | null {
  const terms = queryTerms(text);
  if (terms.length === 0) return null;
  return terms.map(t => `"${t.replaceAll('"', '""')}"`).join(' OR ');
}
