import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** Streaming retrieval (docs/scale.md): documents scored against the queries as they are read, no index. */
export const streamConfigSchema = z
  .object({
    /**
     * Where the BM25 collection statistics (document count, average length, each query term's document
     * frequency) come from: `exact`, a first pass over every ingest shard; `sampled`, a pass over a share of them.
     */
    statistics: z.enum(['exact', 'sampled']).default('exact'),
    /** Share of the ingest shards the sampled statistics read (at least one shard), chosen by shard id hash. */
    sample_fraction: z.number().gt(0).max(1).default(0.1),
    /** Each shard keeps every hit at or above this score as well as its top k (off by default). */
    keep_min_score: z.number().min(0).optional(),
    /**
     * Ingest shards scored first (chosen by shard id hash) to give each query a score floor: the k-th best score
     * among them. Every shard then keeps only hits at or above it; the merged top k is the same. At most a
     * quarter of the shards are used (none below 4 shards); 0 turns floors off.
     */
    floor_shards: z.number().int().min(0).default(8),
  })
  .strict();

export const retrieveConfigSchema = z
  .object({
    /**
     * `index`: build the BM25 index (index.backend), then search it. `stream`: score each ingest shard's
     * documents against the fixed query set as they are read, with SQLite FTS5's BM25, and merge the shards' top k.
     */
    mode: z.enum(['index', 'stream']).default('index'),
    stream: streamConfigSchema.prefault({}),
    top_k: positiveInt.default(20),
    /** Absolute score floor. Scores are the backend's own BM25 and differ in scale between FTS5 and Elasticsearch. */
    min_score: z.number().min(0).default(0),
    /** Floor relative to the query's best hit, in [0, 1]. */
    min_relative_score: z.number().min(0).max(1).default(0),
    queries_per_shard: positiveInt.default(64),
    /** Queries sent together (Elasticsearch: one `_msearch`). */
    batch_size: positiveInt.default(32),
    /** Batches in flight at once. */
    concurrency: positiveInt.default(2),
  })
  .strict();

export type RetrieveConfig = z.infer<typeof retrieveConfigSchema>;
