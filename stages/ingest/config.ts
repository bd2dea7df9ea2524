import { z } from 'zod';

/** One pre-extracted corpus (JSONL or JSONL.gz, one JSON object per line). */
export const corpusSpecSchema = z
  .object({
    path: z.string().min(1),
    id_field: z.string().min(1).default('id'),
    text_field: z.string().min(1).default('text'),
    url_field: z.string().min(1).optional(),
  })
  .strict();

/** The ingest stage's slice of the run config. Unknown keys are errors. */
export const ingestConfigSchema = z
  .object({
    /** WARC or WET files, gzip-compressed (per record) or not. */
    warc: z.array(z.string().min(1)).default([]),
    corpora: z.array(corpusSpecSchema).default([]),
    /** Records whose block is larger than this are skipped (`ingest.skipped.too_large`). */
    max_page_bytes: z
      .number()
      .int()
      .positive()
      .default(5 * 1024 * 1024),
    /** Documents whose extracted text is shorter than this are skipped (`ingest.skipped.short_text`). */
    min_text_chars: z.number().int().nonnegative().default(200),
    /**
     * Worker threads that extract pages while the main thread reads the archive (0: all on the main
     * thread). Documents still come out in file order.
     */
    workers: z.number().int().nonnegative().default(0),
    /** 'fail': malformed input throws an IngestError. 'skip': count it, warn, and go on where possible. */
    on_error: z.enum(['fail', 'skip']).default('fail'),
  })
  .strict();

export type IngestConfig = z.output<typeof ingestConfigSchema>;
export type IngestConfigInput = z.input<typeof ingestConfigSchema>;
export type CorpusSpec = IngestConfig['corpora'][number];
