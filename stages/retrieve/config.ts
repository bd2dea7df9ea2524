import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const retrieveConfigSchema = z
  .object({
    top_k: positiveInt.default(20),
    /** Absolute BM25 floor. */
    min_score: z.number().min(0).default(0),
    /** Floor relative to the query's best hit, in [0, 1]. */
    min_relative_score: z.number().min(0).max(1).default(0),
    queries_per_shard: positiveInt.default(64),
  })
  .strict();

export type RetrieveConfig = z.infer<typeof retrieveConfigSchema>;
