import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const indexConfigSchema = z
  .object({
    backend: z.enum(['fts5']).default('fts5'),
    /** unicode61 folds case and removes diacritics; porter adds English stemming on top. */
    tokenizer: z.enum(['unicode61', 'porter']).default('unicode61'),
    batch_size: positiveInt.default(2000),
  })
  .strict();

export type IndexConfig = z.infer<typeof indexConfigSchema>;
