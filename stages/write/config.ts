import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const writeConfigSchema = z
  .object({
    records_per_part: positiveInt.default(10_000),
    keep_removed: z.boolean().default(true),
  })
  .strict();

export type WriteConfig = z.infer<typeof writeConfigSchema>;
