import type { RetrievalHit } from '../../core/types.js';
import type { HitRow } from './retrieve.js';

export interface Candidate {
  id: string;
  domain: string;
  hits: RetrievalHit[];
  best_score: number;
}

/**
 * Folds (query, document) rows into one candidate per document. A document found by several domains'
 * queries goes to the domain of its best-scoring hit (ties: more hits, then domain name).
 */
export async function aggregateHits(rows: AsyncIterable<HitRow> | Iterable<HitRow>): Promise<Map<string, Candidate>> {
  const byDoc = new Map<string, { hits: RetrievalHit[]; perDomain: Map<string, { best: number; count: number }> }>();
  for await (const row of rows) {
    let entry = byDoc.get(row.doc_id);
    if (!entry) {
      entry = { hits: [], perDomain: new Map() };
      byDoc.set(row.doc_id, entry);
    }
    if (entry.hits.some(h => h.query_id === row.query_id)) continue;
    entry.hits.push({ query_id: row.query_id, score: row.score, rank: row.rank });
    const d = entry.perDomain.get(row.domain) ?? { best: -Infinity, count: 0 };
    d.best = Math.max(d.best, row.score);
    d.count++;
    entry.perDomain.set(row.domain, d);
  }
  const out = new Map<string, Candidate>();
  for (const [id, { hits, perDomain }] of byDoc) {
    const [domain] = [...perDomain.entries()].sort(
      ([da, a], [db, b]) => b.best - a.best || b.count - a.count || da.localeCompare(db),
    )[0]!;
    hits.sort((a, b) => b.score - a.score || a.query_id.localeCompare(b.query_id));
    out.set(id, { id, domain, hits, best_score: hits[0]!.score });
  }
  return out;
}
