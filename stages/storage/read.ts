/** Reading objects: HEAD, streams, and resumable downloads to a local file (Range, size check, retries). */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AcquireError } from '../acquire/errors.js';
import { RetryableError } from '../acquire/retry.js';
import type { DownloadOptions, DownloadResult } from '../acquire/download.js';
import { parseContentRange, resumableDownload, sizeOf } from '../acquire/download.js';
import { isNotFound, statusOf, storageError } from './errors.js';
import { parseS3Url } from './s3-url.js';

export interface ObjectHead {
  size: number;
  etag?: string;
  lastModified?: Date;
  /** User metadata (x-amz-meta-*), keys in lower case. */
  metadata: Record<string, string>;
}

/** HEAD of an object; undefined when it does not exist. */
export async function headObject(client: S3Client, url: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
  const { bucket, key } = parseS3Url(url, { requireKey: true });
  try {
    const res = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key }),
      signal ? { abortSignal: signal } : {},
    );
    const head: ObjectHead = { size: res.ContentLength ?? 0, metadata: res.Metadata ?? {} };
    if (res.ETag) head.etag = res.ETag;
    if (res.LastModified) head.lastModified = res.LastModified;
    return head;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw storageError(url, 'HEAD', e, signal);
  }
}

/** Every object whose key starts with the URL's key (`s3://bucket/prefix/`), in key order. */
export async function* listObjects(
  client: S3Client,
  url: string,
  signal?: AbortSignal,
): AsyncGenerator<{ key: string; size: number }> {
  const { bucket, key: prefix } = parseS3Url(url);
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (e) {
      throw storageError(url, 'LIST', e, signal);
    }
    for (const o of page.Contents ?? []) if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0 };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** The object's bytes as a stream, optionally a byte range [start, end] (end inclusive). */
export async function openObjectStream(
  client: S3Client,
  url: string,
  opts: { start?: number; end?: number; signal?: AbortSignal } = {},
): Promise<Readable> {
  const { bucket, key } = parseS3Url(url, { requireKey: true });
  const range =
    opts.start !== undefined || opts.end !== undefined ? `bytes=${opts.start ?? 0}-${opts.end ?? ''}` : undefined;
  try {
    const res = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}) }),
      opts.signal ? { abortSignal: opts.signal } : {},
    );
    return res.Body as Readable;
  } catch (e) {
    throw storageError(url, 'GET', e, opts.signal);
  }
}

/** A small object's bytes (a listing, a pointer); undefined when it does not exist. */
export async function readObjectBytes(
  client: S3Client,
  url: string,
  signal?: AbortSignal,
): Promise<Buffer | undefined> {
  let body: Readable;
  try {
    body = await openObjectStream(client, url, signal ? { signal } : {});
  } catch (e) {
    if (isNotFound((e as Error).cause)) return undefined;
    throw e;
  }
  const chunks: Buffer[] = [];
  try {
    for await (const c of body) chunks.push(c as Buffer);
  } catch (e) {
    throw storageError(url, 'reading the body', e, signal);
  }
  return Buffer.concat(chunks);
}

/** A small object as UTF-8 text; undefined when it does not exist. */
export async function readObjectText(client: S3Client, url: string, signal?: AbortSignal): Promise<string | undefined> {
  return (await readObjectBytes(client, url, signal))?.toString('utf8');
}

/**
 * Downloads an object to `dest` the way acquire downloads a URL: bytes go to `<dest>.part`, a retry or a
 * later run resumes it with a Range request (guarded by the object's ETag, kept in `<dest>.part.etag`, so a
 * changed object restarts the file), the size is checked, and only a complete file is renamed to `dest`.
 */
export async function downloadObject(
  client: S3Client,
  url: string,
  dest: string,
  opts: DownloadOptions,
): Promise<DownloadResult> {
  parseS3Url(url, { requireKey: true });
  const result = await resumableDownload(url, dest, opts, part => attempt(client, url, part, opts));
  await rm(`${dest}.part.etag`, { force: true });
  return result;
}

async function attempt(client: S3Client, url: string, part: string, opts: DownloadOptions): Promise<number> {
  const { bucket, key } = parseS3Url(url, { requireKey: true });
  const etagFile = `${part}.etag`;
  let have = (await sizeOf(part)) ?? 0;
  const knownEtag = have > 0 ? (await readFile(etagFile, 'utf8').catch(() => '')).trim() : '';
  if (have > 0 && !knownEtag) {
    // A part file of unknown origin: it may belong to another version of the object.
    await rm(part, { force: true });
    have = 0;
  }
  const input = {
    Bucket: bucket,
    Key: key,
    ...(have > 0 ? { Range: `bytes=${have}-`, IfMatch: knownEtag } : {}),
  };
  let res;
  try {
    res = await client.send(new GetObjectCommand(input), opts.signal ? { abortSignal: opts.signal } : {});
  } catch (e) {
    const status = statusOf(e);
    if (status === 416 && have > 0) {
      // Nothing past `have`: complete if the object is exactly that long (and still the same object).
      const head = await headObject(client, url, opts.signal);
      if (head && head.size === have && head.etag === knownEtag) return verify(url, have, head.size, opts.expectedSize);
    }
    if ((status === 416 || status === 412) && have > 0) {
      await rm(part, { force: true });
      throw new RetryableError(
        url,
        status === 412
          ? 'the object changed since the partial download; restarting'
          : `range ${have}- not satisfiable; restarting`,
      );
    }
    throw storageError(url, 'GET', e, opts.signal);
  }
  let total: number | undefined;
  let start = 0;
  if (have > 0 && res.ContentRange) {
    const range = parseContentRange(res.ContentRange);
    if (range?.start !== have) {
      (res.Body as Readable | undefined)?.destroy();
      await rm(part, { force: true });
      throw new RetryableError(url, `server answered range ${res.ContentRange} for bytes=${have}-; restarting`);
    }
    start = have;
    total = range.total;
  } else {
    total = res.ContentLength;
  }
  if (res.ETag) await writeFile(etagFile, res.ETag);
  if (opts.expectedSize !== undefined && total !== undefined && total !== opts.expectedSize) {
    (res.Body as Readable | undefined)?.destroy();
    throw new AcquireError(url, `object size ${total} differs from the expected ${opts.expectedSize}`);
  }
  const out = createWriteStream(part, { flags: start > 0 ? 'r+' : 'w', start });
  let written = start;
  try {
    for await (const chunk of res.Body as Readable) {
      if (!out.write(chunk)) await new Promise<void>(r => out.once('drain', () => r()));
      written += (chunk as Buffer).length;
      opts.onProgress?.(written, total);
    }
  } catch (e) {
    throw storageError(url, `reading the body at byte ${written}`, e, opts.signal);
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  if (total !== undefined && written < total)
    throw new RetryableError(url, `connection ended at ${written} of ${total} bytes`);
  return verify(url, written, total, opts.expectedSize);
}

function verify(url: string, size: number, total: number | undefined, expected: number | undefined): number {
  if (total !== undefined && size !== total)
    throw new AcquireError(url, `size ${size} differs from the object's ${total}`);
  if (expected !== undefined && size !== expected)
    throw new AcquireError(url, `size ${size} differs from the expected ${expected}`);
  return size;
}
