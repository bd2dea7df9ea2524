import { z } from 'zod';

export const dedupConfigSchema = z
  .object({
    exact: z.boolean().default(true),
  })
  .strict();

export type DedupConfig = z.infer<typeof dedupConfigSchema>;
