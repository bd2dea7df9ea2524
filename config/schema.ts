import { z } from 'zod';
import { bootstrapConfigSchema } from '../stages/bootstrap/config.js';
import { dedupConfigSchema } from '../stages/dedup/config.js';
import { decontamConfigSchema } from '../stages/decontam/config.js';
import { filterConfigSchema } from '../stages/filter/config.js';
import { indexConfigSchema } from '../stages/index/config.js';
import { ingestConfigSchema } from '../stages/ingest/config.js';
import { relevanceConfigSchema } from '../stages/relevance/config.js';
import { retrieveConfigSchema } from '../stages/retrieve/config.js';
import { writeConfigSchema } from '../stages/write/config.js';
import { acquireConfigSchema } from '../stages/acquire/config.js';
import { ccInputSpecSchema } from '../stages/acquire/crawls.js';
import { storageConfigSchema } from '../stages/storage/config.js';
import { unsafeNameProblem } from '../stages/shared/safe-name.js';

const positiveInt = z.number().int().positive();

export const seedsConfigSchema = z
  .object({
    files: z.array(z.string()).min(1),
    seeds_per_shard: positiveInt.default(8),
  })
  .strict();

export const candidatesConfigSchema = z
  .object({
    /** Retrieved documents are split into this many id ranges for the post-processing steps. */
    shards: positiveInt.default(8),
  })
  .strict();

export const configSchema = z
  .object({
    /** The dataset's folder under `out`: one safe path segment (not `.` or `..`). */
    dataset: z.string().refine(name => unsafeNameProblem(name) === undefined, {
      error: issue => unsafeNameProblem(String(issue.input)) ?? 'not a safe name',
    }),
    /** Output root; relative paths resolve against the config file's folder. */
    out: z.string().default('../out'),
    /** LLM response cache, shared by runs; default `<out>/.cache`. */
    cache_dir: z.string().optional(),
    seeds: seedsConfigSchema,
    bootstrap: bootstrapConfigSchema.prefault({}),
    /** Inputs and how they are read; `acquire` sets how URL inputs (http, s3) are downloaded. */
    ingest: ingestConfigSchema.extend({
      acquire: acquireConfigSchema.prefault({}),
      /** Common Crawl releases to read (`latest`, `{latest: N}` or ids), resolved at the start of each run. */
      cc: ccInputSpecSchema.optional(),
      /**
       * The folder provenance records local inputs relative to (`source.warc_file`, `source.file`, the
       * ledger); default: the deepest folder holding all local inputs. Relative to the config's folder.
       */
      input_root: z.string().min(1).optional(),
    }),
    index: indexConfigSchema.prefault({}),
    retrieve: retrieveConfigSchema.prefault({}),
    candidates: candidatesConfigSchema.prefault({}),
    relevance: relevanceConfigSchema.prefault({}),
    filters: filterConfigSchema.prefault({}),
    decontam: decontamConfigSchema.prefault({}),
    dedup: dedupConfigSchema.prefault({}),
    write: writeConfigSchema.prefault({}),
    /** Object storage: s3:// inputs and, with `publish_to`, a copy of every published version. */
    storage: storageConfigSchema.prefault({}),
  })
  .strict();

export type QccConfig = z.infer<typeof configSchema>;
