import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const retrieveConfigSchema = z
  .object({
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
