import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** SQLite's bm25() has k1 = 1.2 and b = 0.75 compiled in; FTS5 accepts only these. */
export const FTS5_BM25 = { k1: 1.2, b: 0.75 } as const;

export const elasticsearchConfigSchema = z
  .object({
    /**
     * Index name. Default: `<index_prefix>-<dataset>-<run hash>`, so every run has its own index and every
     * worker of a run finds the same one. Connection and credentials come from the environment only.
     */
    index: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-", not starting with a symbol')
      .optional(),
    index_prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/)
      .default('qcc'),
    shards: positiveInt.default(1),
    /** 0 on a single node (green); 1 or more on a cluster. */
    replicas: z.number().int().min(0).default(0),
    /** Bulk requests in flight at once: the reader waits when all are busy (back-pressure). */
    bulk_concurrency: positiveInt.default(2),
    /** Retries of a bulk request or of the rejected documents on 429/503 and lost connections. */
    max_retries: z.number().int().min(0).default(8),
    request_timeout_ms: positiveInt.default(60_000),
  })
  .strict();

export const indexConfigSchema = z
  .object({
    backend: z.enum(['fts5', 'elasticsearch']).default('fts5'),
    /**
     * unicode61 folds case and removes diacritics; porter adds English stemming on top (Elasticsearch:
     * the `porter_stem` filter, which a full distribution has and the test distribution lacks).
     */
    tokenizer: z.enum(['unicode61', 'porter']).default('unicode61'),
    batch_size: positiveInt.default(2000),
    /** BM25 parameters. Elasticsearch takes any; SQLite FTS5 only its built-in k1 = 1.2, b = 0.75. */
    bm25: z
      .object({ k1: z.number().min(0).default(FTS5_BM25.k1), b: z.number().min(0).max(1).default(FTS5_BM25.b) })
      .strict()
      .prefault({}),
    elasticsearch: elasticsearchConfigSchema.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.backend !== 'fts5') return;
    for (const key of ['k1', 'b'] as const) {
      if (cfg.bm25[key] !== FTS5_BM25[key]) {
        ctx.addIssue({
          code: 'custom',
          path: ['bm25', key],
          message: `SQLite FTS5's bm25() has ${key} = ${FTS5_BM25[key]} built in; other values need index.backend: elasticsearch`,
        });
      }
    }
  });

export type IndexConfig = z.infer<typeof indexConfigSchema>;
export type ElasticsearchConfig = z.infer<typeof elasticsearchConfigSchema>;
