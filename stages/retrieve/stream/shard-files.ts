import { readFile, writeFile } from 'node:fs/promises';
import { type BlockRanges, BlockedJsonlWriter, readJsonlBlock } from '../../../core/jsonl-blocks.js';
import { JsonlWriter, readAllJsonl, readJsonl } from '../../../core/jsonl.js';
import type { Counters, Doc, Query } from '../../../core/types.js';
import type { QueryIndex } from './query-index.js';
import { combineFloors, type FloorRow, floorRows } from './floors.js';
import { docsAt, scoreShard, type ShardHitRow } from './score-shard.js';
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

/** How a shard's kept hits and documents are cut into blocks: one block per retrieve shard (a block of queries)
 * and one per candidates shard (an id range), so each of those steps reads only its own bytes of every shard. */
export interface ShardBlocks {
  hitBlocks: number;
  hitBlock: (row: ShardHitRow) => number;
  docBlocks: number;
  docBlock: (doc: Doc) => number;
}

/**
 * The blocks for `queries` cut into runs of `perBlock` (in their order, as the retrieve shards cut them) and
 * documents cut into `parts` id ranges by `position` (an id's place in [0, 1), as the candidates shards cut them).
 */
export function shardBlocks(
  queries: Pick<Query, 'id'>[],
  perBlock: number,
  parts: number,
  position: (id: string) => number,
): ShardBlocks {
  const blockOf = new Map(queries.map((q, i) => [q.id, Math.floor(i / perBlock)]));
  return {
    hitBlocks: Math.max(1, Math.ceil(queries.length / perBlock)),
    hitBlock: row => blockOf.get(row.query_id)!,
    docBlocks: parts,
    docBlock: doc => Math.floor(position(doc.id) * parts),
  };
}

/** The byte ranges of the blocks of one shard's hits and documents (the stream_score `blocks` sidecar). */
export interface ShardBlockRanges {
  hits: BlockRanges;
  docs: BlockRanges;
}

/**
 * Scores one ingest shard against every query: each query's top k (and the hits at or above `keepMinScore`) to
 * `out.hits`, and the documents they name to `out.docs`, read again from the shard (memory holds positions,
 * never the texts); both in blocks (`blocks`), whose byte ranges go to `out.blocks`. Returns the hits written.
 */
export async function writeShardScores(
  queries: QueryIndex,
  stats: CollectionStats,
  input: string,
  out: { hits: string; docs: string; blocks: string },
  opts: {
    topK: number;
    keepMinScore: number;
    floors?: Float64Array;
    signal: AbortSignal;
    counters: Counters;
    blocks: ShardBlocks;
  },
): Promise<number> {
  const scored = await scoreShard(queries, stats, readJsonl<Doc>(input), opts);
  const { hitBlocks, hitBlock, docBlocks, docBlock } = opts.blocks;
  // Hits come query by query in query order, so their blocks (runs of consecutive queries) arrive in order.
  const hits = new BlockedJsonlWriter(out.hits, hitBlocks, { ordered: true });
  const docs = new BlockedJsonlWriter(out.docs, docBlocks);
  try {
    let start = 0;
    while (start < scored.hits.length) {
      const block = hitBlock(scored.hits[start]!);
      let end = start + 1;
      while (end < scored.hits.length && end - start < 1000 && hitBlock(scored.hits[end]!) === block) end++;
      await hits.writeMany(block, scored.hits.slice(start, end));
      start = end;
    }
    const ranges: ShardBlockRanges = { hits: await hits.close(), docs: [] };
    for await (const doc of docsAt(readJsonl<Doc>(input), scored.keptOrds)) await docs.write(docBlock(doc), doc);
    ranges.docs = await docs.close();
    await writeFile(out.blocks, JSON.stringify(ranges));
  } finally {
    await hits.discardParts();
    await docs.discardParts();
  }
  const c = opts.counters;
  c.add('stream_score.docs', scored.docs);
  c.add('stream_score.pairs_scored', scored.scored);
  c.add('stream_score.kept_hits', hits.records);
  c.add('stream_score.kept_docs', docs.records);
  if (scored.duplicates) c.add('stream_score.duplicate_ids', scored.duplicates);
  return hits.records;
}

/** Scores one floor shard with its local top k and writes each query's best scores (`FloorRow`s) to `out`. */
export async function writeShardFloor(
  queries: QueryIndex,
  stats: CollectionStats,
  input: string,
  out: string,
  opts: { topK: number; floorShards: number; signal: AbortSignal; counters: Counters },
): Promise<number> {
  const scored = await scoreShard(queries, stats, readJsonl<Doc>(input), { ...opts, keepMinScore: Infinity });
  const writer = await JsonlWriter.open(out);
  try {
    const rows = floorRows(scored.hits, Math.ceil((2 * opts.topK) / opts.floorShards));
    for (let i = 0; i < rows.length; i += 500) await writer.writeMany(rows.slice(i, i + 500));
  } finally {
    await writer.close();
  }
  opts.counters.add('stream_floor.docs', scored.docs);
  return writer.records;
}

/** Each query's score floor from the floor shards' files (`combineFloors`); none without floor shards. */
export async function readFloors(queries: QueryIndex, files: string[], k: number): Promise<Float64Array | undefined> {
  if (files.length === 0) return undefined;
  const shards = async function* () {
    for (const file of files) yield readJsonl<FloorRow>(file);
  };
  return combineFloors(
    queries.queries.map(q => q.id),
    shards(),
    k,
  );
}

/** One stream_score shard's files, as the merge and the candidates step read them. */
export interface ScoredShardFiles {
  hits: string;
  docs: string;
  blocks: string;
}

export async function shardBlockRanges(files: ScoredShardFiles): Promise<ShardBlockRanges> {
  return JSON.parse(await readFile(files.blocks, 'utf8')) as ShardBlockRanges;
}

/** One block of queries' kept hits from every shard, in shard order. */
export async function* blockHits(shards: ScoredShardFiles[], block: number): AsyncIterable<AsyncIterable<ShardHitRow>> {
  for (const files of shards)
    yield readJsonlBlock<ShardHitRow>(files.hits, (await shardBlockRanges(files)).hits[block]);
}

/** Text held at once by `keptDocs` (UTF-16 code units): ~128 MB of records, whatever the retrieved corpus. */
const KEPT_DOCS_MAX_CHARS = 64 * 2 ** 20;

/**
 * The full records of `ids`, in that order, from block `block` (their id range) of the shards' kept documents
 * (an id's first copy, as in the index). Memory is bounded: a pass over the block holds the records of a window
 * of `ids`, and when their text passes `maxChars` the window shrinks to its first half; the next pass starts
 * where the window ended (one pass when the range fits).
 */
export async function* keptDocs(
  ids: string[],
  shards: ScoredShardFiles[],
  block: number,
  maxChars = KEPT_DOCS_MAX_CHARS,
): AsyncIterable<Doc> {
  const position = new Map(ids.map((id, i) => [id, i]));
  const ranges = await Promise.all(shards.map(async files => (await shardBlockRanges(files)).docs[block]));
  for (let start = 0; start < ids.length; ) {
    let end = ids.length;
    const found = new Map<number, Doc>();
    let chars = 0;
    for (const [s, files] of shards.entries()) {
      for await (const doc of readJsonlBlock<Doc>(files.docs, ranges[s])) {
        const i = position.get(doc.id);
        if (i === undefined || i < start || i >= end || found.has(i)) continue;
        found.set(i, doc);
        chars += doc.text.length;
        if (chars <= maxChars || found.size === 1) continue;
        const held = [...found.keys()].sort((a, b) => a - b);
        end = held[Math.ceil(held.length / 2)]!;
        chars = 0;
        for (const k of held) {
          if (k >= end) found.delete(k);
          else chars += found.get(k)!.text.length;
        }
      }
    }
    for (let i = start; i < end; i++) {
      const doc = found.get(i);
      if (!doc) throw new Error(`document ${ids[i]} was retrieved but no stream_score shard kept it`);
      yield doc;
    }
    start = end;
  }
}
