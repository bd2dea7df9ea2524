/**
 * Downloads that survive faults: bytes go to `<dest>.part`, a retry resumes it with an HTTP Range
 * request, the size is checked against what the server declared, and only a complete file is
 * renamed to `dest`. A server that ignores Range (200 instead of 206) restarts the file.
 * `s3://bucket/key` URLs take the same path through the AWS SDK (stages/storage/read.ts).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AcquireError } from './errors.js';
import { RetryableError, timedGet, withRetries, type RetryOptions } from './retry.js';
import type { S3ClientSettings } from '../storage/client.js';
import { isS3Url } from '../storage/s3-url.js';

export interface DownloadResult {
  url: string;
  dest: string;
  bytes: number;
  /** Attempts made (1 = no retry). */
  attempts: number;
  /** Bytes that were already on disk from an earlier, interrupted attempt or run. */
  resumedFrom: number;
  /** The file was complete before this call. */
  skipped: boolean;
}

export interface DownloadOptions extends RetryOptions {
  /** A size known beforehand (a listing, a CDX length): checked as well. */
  expectedSize?: number;
  /** Called as bytes arrive: (bytes so far, total if known). */
  onProgress?: (bytes: number, total?: number) => void;
  /** For s3:// URLs: endpoint, region, path style (credentials come from the AWS environment). */
  storage?: S3ClientSettings;
}

/** A file's size, or undefined when it does not exist. */
export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Content-Range "bytes 100-199/1000" gives {start, total}; "bytes (star)/1000" gives {total}. */
export function parseContentRange(value: string | null): { start?: number; total?: number } | undefined {
  const m = value ? /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value.trim()) : null;
  if (!m) return undefined;
  const out: { start?: number; total?: number } = {};
  if (m[1] !== undefined) out.start = Number(m[1]);
  if (m[2] !== '*') out.total = Number(m[2]);
  return out;
}

export async function downloadFile(url: string, dest: string, opts: DownloadOptions): Promise<DownloadResult> {
  if (isS3Url(url)) {
    // Loaded on first use: runs without s3:// inputs do not pay for the AWS SDK.
    const [{ sharedS3Client }, { downloadObject }] = await Promise.all([
      import('../storage/client.js'),
      import('../storage/read.js'),
    ]);
    return downloadObject(sharedS3Client({ ...opts.storage, timeout_ms: opts.timeout_ms }), url, dest, opts);
  }
  return resumableDownload(url, dest, opts, part => attempt(url, part, opts));
}

/**
 * The download protocol every source shares: a complete `dest` is reused, bytes accumulate in
 * `<dest>.part` across retried attempts (each resumes where the last stopped), and only a verified
 * file is renamed to `dest`.
 */
export async function resumableDownload(
  url: string,
  dest: string,
  opts: DownloadOptions,
  attemptInto: (part: string) => Promise<number>,
): Promise<DownloadResult> {
  const existing = await sizeOf(dest);
  if (existing !== undefined && (opts.expectedSize === undefined || existing === opts.expectedSize)) {
    return { url, dest, bytes: existing, attempts: 0, resumedFrom: existing, skipped: true };
  }
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const resumedFrom = (await sizeOf(part)) ?? 0;
  let attempts = 0;
  const bytes = await withRetries(url, opts, async () => {
    attempts++;
    return attemptInto(part);
  });
  await rename(part, dest);
  return { url, dest, bytes, attempts, resumedFrom, skipped: false };
}

/** One attempt: resume `part` from its current size; returns the final size once verified. */
async function attempt(url: string, part: string, opts: DownloadOptions): Promise<number> {
  const have = (await sizeOf(part)) ?? 0;
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (have > 0) headers.range = `bytes=${have}-`;
  const { response, body, cancel } = await timedGet(url, headers, opts);
  let total: number | undefined;
  let start = 0;
  if (response.status === 416) {
    // Nothing past `have`: complete if the server's total says so.
    await cancel();
    total = parseContentRange(response.headers.get('content-range'))?.total;
    if (total !== undefined && total === have) return verify(url, have, total, opts.expectedSize);
    await rm(part, { force: true });
    throw new RetryableError(url, `range ${have}- not satisfiable (server size ${total ?? 'unknown'}); restarting`);
  }
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range?.start !== have) {
      await cancel();
      await rm(part, { force: true });
      throw new RetryableError(
        url,
        `server answered range ${response.headers.get('content-range')} for bytes=${have}-; restarting`,
      );
    }
    start = have;
    total = range.total;
  } else {
    const length = response.headers.get('content-length');
    if (length !== null) total = Number(length);
  }
  if (opts.expectedSize !== undefined && total !== undefined && total !== opts.expectedSize) {
    await cancel();
    throw new AcquireError(url, `server size ${total} differs from the expected ${opts.expectedSize}`);
  }
  const out = createWriteStream(part, { flags: start > 0 ? 'r+' : 'w', start });
  let written = start;
  try {
    for await (const chunk of body()) {
      if (!out.write(chunk)) await new Promise<void>(r => out.once('drain', () => r()));
      written += chunk.length;
      opts.onProgress?.(written, total);
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  if (total !== undefined && written < total) {
    throw new RetryableError(url, `connection ended at ${written} of ${total} bytes`);
  }
  return verify(url, written, total, opts.expectedSize);
}

function verify(url: string, size: number, total: number | undefined, expected: number | undefined): number {
  if (total !== undefined && size !== total)
    throw new AcquireError(url, `size ${size} differs from the server's ${total}`);
  if (expected !== undefined && size !== expected)
    throw new AcquireError(url, `size ${size} differs from the expected ${expected}`);
  return size;
}

/**
 * Runs downloads with at most `concurrency` at a time. Each failure is collected (with its URL)
 * and the others go on; the caller decides whether any failure is fatal.
 */
export async function downloadAll(
  jobs: { url: string; dest: string; expectedSize?: number }[],
  opts: DownloadOptions & {
    concurrency: number;
    onDone?: (r: DownloadResult | AcquireError, done: number, total: number) => void;
  },
): Promise<{ done: DownloadResult[]; failed: AcquireError[] }> {
  const done: DownloadResult[] = [];
  const failed: AcquireError[] = [];
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const jobOpts: DownloadOptions = { ...opts };
      if (job.expectedSize !== undefined) jobOpts.expectedSize = job.expectedSize;
      let result: DownloadResult | AcquireError;
      try {
        result = await downloadFile(job.url, job.dest, jobOpts);
        done.push(result);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        result = e instanceof AcquireError ? e : new AcquireError(job.url, (e as Error).message, { cause: e });
        failed.push(result);
      }
      opts.onDone?.(result, ++finished, jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, jobs.length) }, worker));
  return { done, failed };
}
