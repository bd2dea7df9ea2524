/** A crawl's file listings (`crawl-data/<crawl>/<kind>.paths.gz`) and the URLs of their files. */
import { gunzipSync } from 'node:zlib';
import { AcquireError } from './errors.js';
import { getBytes, type RetryOptions } from './retry.js';

export const CRAWL_ID = /^CC-MAIN-\d{4}-\d{2}$/;
export const FILE_KINDS = [
  'warc',
  'wet',
  'wat',
  'segment',
  'non200responses',
  'robotstxt',
  'cc-index',
  'cc-index-table',
] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** `base` with exactly one trailing slash. */
export function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}

export function pathsUrl(baseUrl: string, crawl: string, kind: FileKind): string {
  if (!CRAWL_ID.test(crawl)) throw new Error(`--crawl ${JSON.stringify(crawl)}: expected an id like CC-MAIN-2024-22`);
  if (!FILE_KINDS.includes(kind))
    throw new Error(`--kind ${JSON.stringify(kind)}: expected one of ${FILE_KINDS.join(', ')}`);
  return `${withSlash(baseUrl)}crawl-data/${crawl}/${kind}.paths.gz`;
}

/** The URL of a listed path (paths are relative to the bucket root). */
export function fileUrl(baseUrl: string, path: string): string {
  return new URL(path.replace(/^\/+/, ''), withSlash(baseUrl)).href;
}

/** The paths a crawl lists for one kind of file, in listing order. */
export async function listCrawlFiles(
  baseUrl: string,
  crawl: string,
  kind: FileKind,
  opts: RetryOptions,
): Promise<string[]> {
  const url = pathsUrl(baseUrl, crawl, kind);
  const { bytes } = await getBytes(url, opts);
  let text: string;
  try {
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    throw new AcquireError(url, `not a readable gzip listing (${(e as Error).message})`, { cause: e });
  }
  return text
    .split('\n')
    .map(l => l.trim())
    .filter(l => l.length > 0);
}
