import type { ShardHitRow } from './score-shard.js';

/**
 * Score floors (docs/scale.md). The k-th best score of a query over any subset of the documents is at most its
 * k-th best over all of them, so every document of the global top k scores at or above it. A few shards scored
 * first (`stream_floor`) give each query such a floor, and every shard then keeps only the hits at or above it:
 * the merged top k is unchanged, but from its first document a shard skips what can never be kept, and writes
 * far fewer hits and documents than its local top k would hold. Any subset of the documents gives a valid floor,
 * so each floor shard writes only its best `perShard` hits per query: with n floor shards, 2k/n of them each
 * give nearly the floor of their whole top k, and the floor files stay 2k pairs per query in all.
 */

/** One query's top k in one floor shard: its scores with the document ids (a document in two shards counts once). */
export interface FloorRow {
  query_id: string;
  hits: Array<[score: number, doc_id: string]>;
}

/** A floor shard's rows from its kept hits (query by query, best first, as `scoreShard` returns them). */
export function floorRows(hits: ShardHitRow[], perShard = Infinity): FloorRow[] {
  const rows: FloorRow[] = [];
  for (const h of hits) {
    const last = rows.at(-1);
    if (last?.query_id !== h.query_id) rows.push({ query_id: h.query_id, hits: [[h.score, h.doc_id]] });
    else if (last.hits.length < perShard) last.hits.push([h.score, h.doc_id]);
  }
  return rows;
}

/** Each query's floor (by query index): the k-th best score of the floor shards' distinct documents, else -Infinity. */
export async function combineFloors(
  queryIds: string[],
  shards: AsyncIterable<AsyncIterable<FloorRow>>,
  k: number,
): Promise<Float64Array> {
  const indexOf = new Map(queryIds.map((id, i) => [id, i]));
  const best = new Map<number, Map<string, number>>();
  for await (const rows of shards) {
    for await (const row of rows) {
      const q = indexOf.get(row.query_id);
      if (q === undefined) throw new Error(`floor row for unknown query ${row.query_id}`);
      const scores = best.get(q) ?? new Map<string, number>();
      for (const [score, id] of row.hits) if (!scores.has(id)) scores.set(id, score);
      best.set(q, scores);
    }
  }
  const floors = new Float64Array(queryIds.length).fill(-Infinity);
  for (const [q, scores] of best) {
    if (scores.size < k) continue;
    floors[q] = [...scores.values()].sort((a, b) => b - a)[k - 1]!;
  }
  return floors;
}
