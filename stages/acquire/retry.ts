/**
 * HTTP with retries: exponential back-off with full jitter on 5xx, 429, time-outs and dropped
 * connections; a Retry-After header (seconds or HTTP date) sets the wait instead.
 */
import type { Logger } from '../../core/types.js';
import { AcquireError } from './errors.js';

export interface RetryOptions {
  retries: number;
  backoff_ms: number;
  max_backoff_ms: number;
  timeout_ms: number;
  log?: Logger;
  signal?: AbortSignal;
  /** Injected in tests to see the waits; defaults to a real timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** A failed attempt that is worth repeating, with the server's wish of how long to wait. */
export class RetryableError extends AcquireError {
  readonly retryAfterMs?: number;
  constructor(url: string, message: string, opts: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(url, message, { ...opts, retryable: true });
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait before attempt `attempt` (1 = first retry): Retry-After if given, else full jitter. */
export function backoffDelay(
  attempt: number,
  opts: Pick<RetryOptions, 'backoff_ms' | 'max_backoff_ms' | 'random'>,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, opts.max_backoff_ms);
  const ceiling = Math.min(opts.max_backoff_ms, opts.backoff_ms * 2 ** (attempt - 1));
  return Math.round((opts.random ?? Math.random)() * ceiling);
}

/** Runs `attempt` until it succeeds, throws a non-retryable error, or the retries run out. */
export async function withRetries<T>(url: string, opts: RetryOptions, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    opts.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof RetryableError)) throw e;
      if (n >= opts.retries) {
        throw new AcquireError(url, `${e.message.slice(url.length + 2)} (gave up after ${n + 1} attempts)`, {
          status: e.status,
          cause: e,
        });
      }
      const wait = backoffDelay(n + 1, opts, e.retryAfterMs);
      opts.log?.warn(`${e.message}; retry ${n + 1}/${opts.retries} in ${wait} ms`, {
        url,
        status: e.status,
        wait_ms: wait,
      });
      await (opts.sleep ?? sleep)(wait, opts.signal);
    }
  }
}

/** A response whose body is read with an idle time-out: no bytes for timeout_ms aborts it. */
export interface TimedResponse {
  response: Response;
  body(): AsyncGenerator<Uint8Array>;
  /** Drops the body unread (stops the timer, releases the connection). */
  cancel(): Promise<void>;
}

/**
 * One GET. Statuses 5xx and 429 become RetryableErrors (with Retry-After), other non-2xx an
 * AcquireError; a time-out or dropped connection is retryable, while waiting for the head or the body.
 */
export async function timedGet(
  url: string,
  headers: Record<string, string>,
  opts: RetryOptions,
): Promise<TimedResponse> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, opts.timeout_ms);
  };
  const onOuterAbort = () => controller.abort(opts.signal!.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const done = () => {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  };
  const failure = (e: unknown): Error => {
    if (opts.signal?.aborted) return opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted');
    if (timedOut) return new RetryableError(url, `no data for ${opts.timeout_ms} ms`, { cause: e });
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return new RetryableError(url, `connection failed (${cause?.code ?? cause?.message ?? (e as Error).message})`, {
      cause: e,
    });
  };
  arm();
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
  } catch (e) {
    done();
    throw failure(e);
  }
  if (!response.ok) {
    done();
    await response.body?.cancel().catch(() => {});
    const status = response.status;
    if (status >= 500 || status === 429 || status === 408) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new RetryableError(url, `HTTP ${status}`, {
        status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    // 416 is for the caller (a resumed download that is already complete).
    if (status !== 416) throw new AcquireError(url, `HTTP ${status}`, { status });
  }
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      if (!response.body) return;
      arm();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        arm();
        yield chunk;
      }
    } catch (e) {
      throw failure(e);
    } finally {
      done();
      if (!response.bodyUsed) await response.body?.cancel().catch(() => {});
    }
  }
  const cancel = async () => {
    done();
    await response.body?.cancel().catch(() => {});
  };
  return { response, body, cancel };
}

/** GET a whole (small) body with retries: listings, index pages, single records. */
export async function getBytes(
  url: string,
  opts: RetryOptions,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: Buffer }> {
  return withRetries(url, opts, async () => {
    const { response, body } = await timedGet(url, headers, opts);
    const chunks: Uint8Array[] = [];
    for await (const c of body()) chunks.push(c);
    const bytes = Buffer.concat(chunks);
    const declared = response.headers.get('content-length');
    if (declared !== null && !response.headers.get('content-encoding') && Number(declared) !== bytes.length) {
      throw new RetryableError(url, `short body (${bytes.length} of ${declared} bytes)`);
    }
    return { status: response.status, bytes };
  });
}
