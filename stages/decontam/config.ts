import { z } from 'zod';

export const benchmarkConfigSchema = z
  .object({
    /** Names the benchmark in removals; defaults to the file name. */
    name: z.string().optional(),
    /** JSONL (optionally .gz), CSV or Parquet; relative paths resolve against the config file's folder. */
    file: z.string(),
    /** Text fields of an item, as dotted paths; arrays on the way are flattened (`question.choices.text`). */
    fields: z.array(z.string()).min(1).default(['text']),
    /** The field naming an item; absent: `id`, then `task_id`, then the 1-based row number. */
    id_field: z.string().optional(),
  })
  .strict();

export const decontamConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** n of the word n-grams compared (GPT-3 and most decontamination reports use 13). */
    n: z.number().int().min(3).default(13),
    /** Distinct n-grams of one item a document must share to be removed. */
    min_matches: z.number().int().positive().default(1),
    /** Fields shorter than n words are matched whole when they have at least this many words (0: never). */
    min_short_words: z.number().int().nonnegative().default(8),
    benchmarks: z.array(benchmarkConfigSchema).default([]),
  })
  .strict();

export type BenchmarkConfig = z.infer<typeof benchmarkConfigSchema>;
export type DecontamConfig = z.infer<typeof decontamConfigSchema>;
