import { z } from 'zod';
import { isS3Url, parseS3Url } from './s3-url.js';

/**
 * Object storage (S3 or any S3-compatible server). Credentials never go here: they come from the
 * standard AWS environment variables and profiles (the SDK's default chain).
 */
export const storageConfigSchema = z
  .object({
    /** Where published versions are copied: `s3://bucket/prefix/<dataset>` (versions go under it). */
    publish_to: z
      .string()
      .refine(v => isS3Url(v), { message: 'must be an s3://bucket/prefix URL' })
      .refine(
        v => {
          try {
            parseS3Url(v);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'is not a valid s3:// URL (bucket: 3-63 lower-case letters, digits, dots, dashes)' },
      )
      .optional(),
    /** A custom endpoint (MinIO, S3Proxy, another cloud); else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS. */
    endpoint: z.string().url().optional(),
    region: z.string().min(1).default('us-east-1'),
    /** Path-style requests (http://host/bucket/key); applies to custom endpoints only. */
    force_path_style: z.boolean().default(true),
    /** Files larger than this go up as a multipart upload in parts of this size (S3's minimum is 5 MiB). */
    part_size_mb: z.number().int().min(5).max(5120).default(16),
    /**
     * Attempts after the first for a whole upload (5xx, throttling, time-outs, dropped connections), with
     * back-off; unset: 4. No default here, so configs without it keep their hash (and lineage).
     */
    retries: z.number().int().min(0).max(20).optional(),
  })
  .strict();

export type StorageConfig = z.output<typeof storageConfigSchema>;
export type StorageConfigInput = z.input<typeof storageConfigSchema>;
