import type { QueryIndex } from './query-index.js';
import { DocScanner } from './scan.js';

/**
 * The collection statistics FTS5's bm25() reads from its index: the row count N, the total token count (for the
 * average length), and per query phrase the number of rows that contain it. Counted only for query phrases.
 */
export interface CollectionStats {
  docs: number;
  tokens: number;
  /** Document frequency by phrase key (tokens joined by a space). */
  df: Record<string, number>;
}

export const emptyStats = (): CollectionStats => ({ docs: 0, tokens: 0, df: {} });

/** Counts the statistics of a stream of documents (a shard); ids seen before in it are skipped, as the index does. */
export async function countStats(
  index: QueryIndex,
  docs: AsyncIterable<{ id: string; text: string }>,
  signal?: AbortSignal,
): Promise<CollectionStats & { duplicates: number }> {
  const scanner = new DocScanner(index);
  const seen = new Set<string>();
  const df = new Float64Array(index.phrases.length);
  let docsCount = 0;
  let tokens = 0;
  let duplicates = 0;
  for await (const doc of docs) {
    if (seen.has(doc.id)) {
      duplicates++;
      continue;
    }
    seen.add(doc.id);
    if (docsCount % 1024 === 0) signal?.throwIfAborted();
    const terms = scanner.scan(doc.text);
    docsCount++;
    tokens += terms.length;
    for (const p of terms.present) df[p]!++;
  }
  const out: Record<string, number> = {};
  index.phrases.forEach((p, i) => {
    if (df[i]! > 0) out[p.key] = df[i]!;
  });
  return { docs: docsCount, tokens, df: out, duplicates };
}

export function addStats(into: CollectionStats, add: CollectionStats): CollectionStats {
  into.docs += add.docs;
  into.tokens += add.tokens;
  for (const [key, n] of Object.entries(add.df)) into.df[key] = (into.df[key] ?? 0) + n;
  return into;
}

/**
 * Statistics of the whole collection estimated from a sample of its shards: N is known exactly (the ingest
 * counts of every shard), the average length is the sample's, and each document frequency is the sample's
 * scaled by N / N_sample (rounded, as FTS5 counts are whole).
 */
export function scaleSample(sample: CollectionStats, totalDocs: number): CollectionStats {
  if (sample.docs === 0)
    throw new Error('the sampled shards hold no documents: sample more shards (retrieve.stream.sample_fraction)');
  const ratio = totalDocs / sample.docs;
  const df: Record<string, number> = {};
  for (const [key, n] of Object.entries(sample.df)) df[key] = Math.min(totalDocs, Math.round(n * ratio));
  return { docs: totalDocs, tokens: Math.round((sample.tokens / sample.docs) * totalDocs), df };
}
