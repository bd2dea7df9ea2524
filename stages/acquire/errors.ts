/** A download or index query that failed for good (after its retries), naming the URL. */
export class AcquireError extends Error {
  readonly url: string;
  readonly status?: number;
  readonly retryable: boolean;

  constructor(url: string, message: string, opts: { status?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(`${url}: ${message}`, { cause: opts.cause });
    this.name = 'AcquireError';
    this.url = url;
    if (opts.status !== undefined) this.status = opts.status;
    this.retryable = opts.retryable ?? false;
  }
}
