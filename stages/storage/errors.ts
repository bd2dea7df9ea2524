/**
 * S3 failures as the project's download errors (they name the s3:// URL): 5xx, throttling, time-outs and
 * dropped connections are retryable; everything else (403, 404, a bad bucket name) is not.
 */
import { AcquireError } from '../acquire/errors.js';
import { RetryableError, type RetryOptions } from '../acquire/retry.js';

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
}

const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
]);
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function statusOf(err: unknown): number | undefined {
  return (err as SdkErrorShape)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const e = err as SdkErrorShape;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || statusOf(err) === 404;
}

export function isRetryable(err: unknown): boolean {
  const e = err as SdkErrorShape;
  const status = statusOf(err);
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) return true;
  if (e?.$retryable) return true;
  if (e?.name && RETRYABLE_NAMES.has(e.name)) return true;
  const code = e?.code ?? (e as { cause?: { code?: string } })?.cause?.code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** An AcquireError naming the URL, retryable or not; a caller's abort passes through unchanged. */
export function storageError(url: string, action: string, err: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : (err as Error);
  if (err instanceof AcquireError) return err;
  const e = err as SdkErrorShape;
  const status = statusOf(err);
  const what = [e?.name, status !== undefined ? `HTTP ${status}` : undefined, e?.message].filter(Boolean).join(': ');
  const message = `${action} failed (${what || String(err)})`;
  const opts = { ...(status !== undefined ? { status } : {}), cause: err };
  return isRetryable(err) ? new RetryableError(url, message, opts) : new AcquireError(url, message, opts);
}

/** Defaults for whole-object retries (on top of the SDK's per-request attempts). */
export const DEFAULT_RETRY: RetryOptions = {
  retries: 4,
  backoff_ms: 1000,
  max_backoff_ms: 30_000,
  timeout_ms: 120_000,
};
