import { createHash } from 'node:crypto';

/** Case, Unicode form, punctuation and whitespace do not make two texts different. */
export function normaliseForExactMatch(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function exactHash(text: string): string {
  return createHash('sha1').update(normaliseForExactMatch(text)).digest('hex');
}

export interface ExactCandidate {
  id: string;
  exactHash: string;
  /** Queries that retrieved it: the copy more queries found is the one kept. */
  queries: number;
  length: number;
}

/** Documented keep rule: most queries, then longest text, then smallest id. */
export function preferred(a: ExactCandidate, b: ExactCandidate): ExactCandidate {
  if (a.queries !== b.queries) return a.queries > b.queries ? a : b;
  if (a.length !== b.length) return a.length > b.length ? a : b;
  return a.id < b.id ? a : b;
}

/** Groups candidates by normalised-text hash; returns, for every removed id, the id it duplicates. */
export function exactDuplicates(candidates: Iterable<ExactCandidate>): Map<string, string> {
  const keeper = new Map<string, ExactCandidate>();
  const all: ExactCandidate[] = [];
  for (const c of candidates) {
    all.push(c);
    const current = keeper.get(c.exactHash);
    keeper.set(c.exactHash, current ? preferred(current, c) : c);
  }
  const removed = new Map<string, string>();
  for (const c of all) {
    const kept = keeper.get(c.exactHash)!;
    if (kept.id !== c.id) removed.set(c.id, kept.id);
  }
  return removed;
}
