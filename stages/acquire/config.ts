import { z } from 'zod';

import { DEFAULT_BASE_URL, DEFAULT_INDEX_URL } from './defaults.js';

export { DEFAULT_BASE_URL, DEFAULT_INDEX_URL };

/** Downloads and index queries against Common Crawl (or any server with the same layout). */
export const acquireConfigSchema = z
  .object({
    /** Where `crawl-data/...` paths are served from. */
    base_url: z.string().url().default(DEFAULT_BASE_URL),
    /** Where the CDX index API (`/<crawl>-index`) is served from. */
    index_url: z.string().url().default(DEFAULT_INDEX_URL),
    /** Downloads running at the same time. */
    concurrency: z.number().int().positive().default(4),
    /** Attempts after the first, on 5xx, 429, time-outs and dropped connections. */
    retries: z.number().int().nonnegative().default(6),
    /** First back-off; doubles each attempt (full jitter), capped by max_backoff_ms. */
    backoff_ms: z.number().int().positive().default(1000),
    max_backoff_ms: z.number().int().positive().default(60_000),
    /** No response, or no body bytes, for this long: the attempt is abandoned and retried. */
    timeout_ms: z.number().int().positive().default(60_000),
  })
  .strict();

export type AcquireConfig = z.output<typeof acquireConfigSchema>;
export type AcquireConfigInput = z.input<typeof acquireConfigSchema>;
