import { z } from 'zod';

export const benchmarkConfigSchema = z
  .object({
    /** Names the benchmark in removals; defaults to the file name (a folder's or glob's folder name). */
    name: z.string().optional(),
    /**
     * A test set file (JSONL, optionally .gz, CSV or Parquet), a folder (every such file directly in it) or a
     * glob (`mmlu/test/*.csv`); relative paths resolve against the config file's folder.
     */
    file: z.string().min(1),
    /** Text fields of an item, as dotted paths; arrays on the way are flattened (`question.choices.text`). */
    fields: z.array(z.string()).min(1).default(['text']),
    /** The field naming an item; absent: `id`, then `task_id`, then the 1-based row number. */
    id_field: z.string().optional(),
    /** Column names of CSV files without a header row (MMLU: [question, A, B, C, D, answer]). */
    columns: z.array(z.string()).min(1).optional(),
  })
  .strict();

export const decontamConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** n of the word n-grams compared (GPT-3 and most decontamination reports use 13); word order inside one is ignored. */
    n: z.number().int().min(3).default(13),
    /** Distinct n-grams of one item a document must share to be removed by the n-gram rule. */
    min_matches: z.number().int().positive().default(1),
    /**
     * The fewest words of one field matched on their own: a whole field shorter than n words, or (with
     * `excerpts`) any run of this many words of a longer field. Items whose every field is shorter are
     * matched on all their fields together. 0: neither.
     */
    min_short_words: z.number().int().nonnegative().default(8),
    /** Match runs of min_short_words words copied out of longer fields (an excerpt of a question). */
    excerpts: z.boolean().default(true),
    benchmarks: z.array(benchmarkConfigSchema).default([]),
  })
  .strict();

export type BenchmarkConfig = z.infer<typeof benchmarkConfigSchema>;
export type DecontamConfig = z.infer<typeof decontamConfigSchema>;
