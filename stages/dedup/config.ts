import { z } from 'zod';

export const minhashConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Words per shingle (FineWeb: 5). */
    ngram: z.number().int().positive().default(5),
    /** bands x rows hash functions; the implied Jaccard threshold is (1/bands)^(1/rows): 14 x 8 -> 0.72. */
    bands: z.number().int().positive().default(14),
    rows: z.number().int().positive().default(8),
    /** Seeds the hash functions: signatures from different seeds are not comparable. */
    seed: z.number().int().nonnegative().default(1),
    /** A bucket pair is joined only if its signatures agree on at least this share (0: trust LSH alone). */
    verify_min_jaccard: z.number().min(0).max(1).default(0.6),
  })
  .strict();

export const dedupConfigSchema = z
  .object({
    /** Same normalised text (case, Unicode form, punctuation and whitespace ignored). */
    exact: z.boolean().default(true),
    /** Same normalised URL: the newest capture is kept. */
    url: z.boolean().default(true),
    minhash: minhashConfigSchema.prefault({}),
  })
  .strict();

export type MinhashConfig = z.infer<typeof minhashConfigSchema>;
export type DedupConfig = z.infer<typeof dedupConfigSchema>;

/** The Jaccard similarity at which a pair has a 50% chance to share a bucket, approximately. */
export const impliedThreshold = (c: Pick<MinhashConfig, 'bands' | 'rows'>) => (1 / c.bands) ** (1 / c.rows);
