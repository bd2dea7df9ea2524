/** `s3://bucket/key` URLs: parsed once, with errors that name the URL. */

export interface S3Location {
  bucket: string;
  /** The object key or prefix, without a leading slash; '' for the bucket itself. */
  key: string;
}

export class S3UrlError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`${url}: not a valid s3:// URL (${reason})`);
    this.name = 'S3UrlError';
  }
}

export function isS3Url(input: string): boolean {
  return /^s3:\/\//i.test(input);
}

// Names S3 accepts for buckets (3-63 chars; the older, laxer names of us-east-1 such as upper case are not).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket/a/b.gz` → { bucket: 'bucket', key: 'a/b.gz' }. `requireKey` rejects a bare bucket. */
export function parseS3Url(url: string, opts: { requireKey?: boolean } = {}): S3Location {
  if (!isS3Url(url)) throw new S3UrlError(url, 'it must start with s3://');
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!bucket) throw new S3UrlError(url, 'no bucket name');
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new S3UrlError(url, `bucket "${bucket}" must be 3-63 lower-case letters, digits, dots and dashes`);
  }
  if (/[?#]/.test(key)) throw new S3UrlError(url, 'a key with ? or # is not supported here');
  if (key.split('/').some(p => p === '.' || p === '..')) throw new S3UrlError(url, 'the key has a . or .. segment');
  if (opts.requireKey && (!key || key.endsWith('/'))) throw new S3UrlError(url, 'no object key after the bucket');
  if (Buffer.byteLength(key) > 1024) throw new S3UrlError(url, 'the key is longer than 1024 bytes');
  return { bucket, key };
}

export function formatS3Url(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`;
}

/** Joins key parts with single slashes: joinKey('a/', '/b', 'c') = 'a/b/c'; empty parts are dropped. */
export function joinKey(...parts: string[]): string {
  return parts
    .map(p => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
}
