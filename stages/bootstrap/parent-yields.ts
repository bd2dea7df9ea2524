import { existsSync, readFileSync } from 'node:fs';

/**
 * Judged precision per query id from an earlier run: a published version's `manifest.json` (its
 * `relevance.yields`) or the relevance step's `model.json`. Query ids hash domain and text, so the same
 * question generated again has the same id.
 */
export function readQueryYields(file: string): Map<string, number> {
  if (!existsSync(file)) throw new Error(`bootstrap.thought_parents_by_yield: file not found: ${file}`);
  let parsed: { yields?: unknown; relevance?: { yields?: unknown } };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`bootstrap.thought_parents_by_yield: ${file}: not JSON (${(err as Error).message})`);
  }
  const yields = parsed.relevance?.yields ?? parsed.yields;
  if (!Array.isArray(yields)) {
    throw new Error(
      `bootstrap.thought_parents_by_yield: ${file}: no query yields (expected \`relevance.yields\` of a manifest or \`yields\` of a relevance model.json)`,
    );
  }
  const out = new Map<string, number>();
  for (const y of yields as { query_id?: unknown; yield?: unknown }[]) {
    if (typeof y.query_id === 'string' && typeof y.yield === 'number') out.set(y.query_id, y.yield);
  }
  return out;
}

/** Highest judged yield first; queries without a yield keep their order after those with one. */
export function byYield<T extends { id: string }>(queries: T[], yields: Map<string, number>): T[] {
  return queries
    .map((q, i) => ({ q, i, y: yields.get(q.id) }))
    .sort((a, b) => (b.y ?? -1) - (a.y ?? -1) || a.i - b.i)
    .map(e => e.q);
}
