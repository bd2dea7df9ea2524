import { JsonlWriter, readAllJsonl, readJsonl } from '../../../core/jsonl.js';
import type { Counters, Doc } from '../../../core/types.js';
import type { QueryIndex } from './query-index.js';
import { docsAt, scoreShard } from './score-shard.js';
import { addStats, type CollectionStats, countStats, emptyStats, scaleSample } from './statistics.js';

/** What the stream steps write for one ingest shard, and read back: its statistics, its top-k hits, its documents. */

/** Counts one ingest shard's statistics for the query phrases into `out` (one record). */
export async function writeShardStats(
  queries: QueryIndex,
  input: string,
  out: string,
  counters: Counters,
  signal: AbortSignal,
): Promise<number> {
  const { duplicates, ...counted } = await countStats(queries, readJsonl<Doc>(input), signal);
  const writer = await JsonlWriter.open(out);
  try {
    await writer.write(counted);
  } finally {
    await writer.close();
  }
  counters.add('stream_stats.docs', counted.docs);
  counters.add('stream_stats.tokens', counted.tokens);
  if (duplicates) counters.add('stream_stats.duplicate_ids', duplicates);
  return counted.docs;
}

/** The collection's statistics: the shards' sum, or (`totalDocs` given) a sample's scaled to the collection. */
export async function collectionStats(files: string[], totalDocs?: number): Promise<CollectionStats> {
  const sum = emptyStats();
  for (const file of files) {
    const [stats] = await readAllJsonl<CollectionStats>(file);
    if (!stats) throw new Error(`${file}: empty statistics file`);
    addStats(sum, stats);
  }
  return totalDocs === undefined ? sum : scaleSample(sum, totalDocs);
}

/**
 * Scores one ingest shard against every query: each query's top k (and the hits at or above `keepMinScore`) to
 * `out.hits`, and the documents they name to `out.docs`, read again from the shard (memory holds positions,
 * never the texts). Returns the hits written.
 */
export async function writeShardScores(
  queries: QueryIndex,
  stats: CollectionStats,
  input: string,
  out: { hits: string; docs: string },
  opts: { topK: number; keepMinScore: number; signal: AbortSignal; counters: Counters },
): Promise<number> {
  const scored = await scoreShard(queries, stats, readJsonl<Doc>(input), opts);
  const hits = await JsonlWriter.open(out.hits);
  try {
    for (let i = 0; i < scored.hits.length; i += 1000) await hits.writeMany(scored.hits.slice(i, i + 1000));
  } finally {
    await hits.close();
  }
  const docs = await JsonlWriter.open(out.docs);
  try {
    for await (const doc of docsAt(readJsonl<Doc>(input), scored.keptOrds)) await docs.write(doc);
  } finally {
    await docs.close();
  }
  const c = opts.counters;
  c.add('stream_score.docs', scored.docs);
  c.add('stream_score.pairs_scored', scored.scored);
  c.add('stream_score.kept_hits', hits.records);
  c.add('stream_score.kept_docs', docs.records);
  if (scored.duplicates) c.add('stream_score.duplicate_ids', scored.duplicates);
  return hits.records;
}

/** The full records of `ids`, in that order, from the shards' kept documents (an id's first copy, as in the index). */
export async function* keptDocs(ids: string[], files: string[]): AsyncIterable<Doc> {
  const wanted = new Set(ids);
  const found = new Map<string, Doc>();
  for (const file of files)
    for await (const doc of readJsonl<Doc>(file)) if (wanted.has(doc.id) && !found.has(doc.id)) found.set(doc.id, doc);
  for (const id of ids) {
    const doc = found.get(id);
    if (!doc) throw new Error(`document ${id} was retrieved but no stream_score shard kept it`);
    yield doc;
  }
}
