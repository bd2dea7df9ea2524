/** Writing objects: one PUT for small files, a multipart upload (lib-storage) for large ones. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { withRetries, type RetryOptions } from '../acquire/retry.js';
import { DEFAULT_RETRY, storageError } from './errors.js';
import { parseS3Url } from './s3-url.js';

export const MIB = 1024 * 1024;
/** S3's smallest part (all but the last); lib-storage refuses less. */
export const MIN_PART_SIZE = 5 * MIB;

export interface UploadOptions {
  /** Files larger than this are sent in parts of this size (at least 5 MiB, S3's minimum). */
  partSizeBytes: number;
  /** Parts in flight at once for one multipart upload. */
  queueSize?: number;
  /** User metadata (x-amz-meta-*). */
  metadata?: Record<string, string>;
  contentType?: string;
  signal?: AbortSignal;
  onProgress?: (bytes: number, total: number) => void;
  retry?: Partial<RetryOptions>;
}

export interface UploadResult {
  url: string;
  bytes: number;
  etag?: string;
  /** Parts sent; 1 = a single PUT. */
  parts: number;
}

const TYPES: [RegExp, string][] = [
  [/\.json$/, 'application/json'],
  [/\.jsonl$/, 'application/x-ndjson'],
  [/\.gz$/, 'application/gzip'],
  [/\.md$/, 'text/markdown; charset=utf-8'],
  [/\.html?$/, 'text/html; charset=utf-8'],
  [/\.svg$/, 'image/svg+xml'],
  [/\.(txt|csv)$/, 'text/plain; charset=utf-8'],
  [/(^|\/)LATEST$/, 'text/plain; charset=utf-8'],
];

/** A Content-Type from the name; `.jsonl.gz` stays application/gzip (no Content-Encoding: clients get the bytes as stored). */
export function contentTypeFor(name: string): string {
  return TYPES.find(([re]) => re.test(name))?.[1] ?? 'application/octet-stream';
}

export async function uploadFile(
  client: S3Client,
  localPath: string,
  url: string,
  opts: UploadOptions,
): Promise<UploadResult> {
  const { bucket, key } = parseS3Url(url, { requireKey: true });
  if (!(opts.partSizeBytes >= MIN_PART_SIZE)) {
    throw new Error(`${url}: part size ${opts.partSizeBytes} bytes is below S3's minimum of ${MIN_PART_SIZE} (5 MiB)`);
  }
  const size = (await stat(localPath)).size;
  const params = {
    Bucket: bucket,
    Key: key,
    ContentType: opts.contentType ?? contentTypeFor(key),
    ...(opts.metadata ? { Metadata: opts.metadata } : {}),
  };
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...opts.retry, ...(opts.signal ? { signal: opts.signal } : {}) };
  return withRetries(url, retry, async () => {
    try {
      if (size <= opts.partSizeBytes) {
        const body = await readFile(localPath);
        const res = await client.send(
          new PutObjectCommand({ ...params, Body: body, ContentLength: size }),
          opts.signal ? { abortSignal: opts.signal } : {},
        );
        opts.onProgress?.(size, size);
        return { url, bytes: size, parts: 1, ...(res.ETag ? { etag: res.ETag } : {}) };
      }
      const upload = new Upload({
        client,
        params: { ...params, Body: createReadStream(localPath, { highWaterMark: 1024 * 1024 }) },
        partSize: opts.partSizeBytes,
        queueSize: opts.queueSize ?? 2,
        leavePartsOnError: false,
        ...(opts.signal ? { abortController: abortControllerFor(opts.signal) } : {}),
      });
      upload.on('httpUploadProgress', p => opts.onProgress?.(p.loaded ?? 0, size));
      const res = await upload.done();
      return { url, bytes: size, parts: Math.ceil(size / opts.partSizeBytes), ...(res.ETag ? { etag: res.ETag } : {}) };
    } catch (e) {
      throw storageError(url, size <= opts.partSizeBytes ? 'PUT' : 'multipart upload', e, opts.signal);
    }
  });
}

/** A small text object (LATEST, a marker) in one PUT. */
export async function putText(
  client: S3Client,
  url: string,
  text: string,
  opts: {
    contentType?: string;
    metadata?: Record<string, string>;
    signal?: AbortSignal;
    retry?: Partial<RetryOptions>;
  } = {},
): Promise<void> {
  const { bucket, key } = parseS3Url(url, { requireKey: true });
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...opts.retry, ...(opts.signal ? { signal: opts.signal } : {}) };
  await withRetries(url, retry, async () => {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: Buffer.from(text, 'utf8'),
          ContentType: opts.contentType ?? contentTypeFor(key),
          ...(opts.metadata ? { Metadata: opts.metadata } : {}),
        }),
        opts.signal ? { abortSignal: opts.signal } : {},
      );
    } catch (e) {
      throw storageError(url, 'PUT', e, opts.signal);
    }
  });
}

function abortControllerFor(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller;
}
