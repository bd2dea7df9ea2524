/**
 * Crawl discovery: the releases an index server lists in its `collinfo.json`, newest first, and a config's
 * crawl spec (`latest`, `{latest: N}` or explicit ids) resolved into the URLs of the crawls' files.
 */
import { z } from 'zod';
import type { Logger } from '../../core/types.js';
import type { AcquireConfig } from './config.js';
import { AcquireError } from './errors.js';
import { CRAWL_ID, fileUrl, listCrawlFiles, withSlash } from './paths.js';
import { getBytes, type RetryOptions } from './retry.js';

export interface CrawlInfo {
  id: string;
  name: string;
  timegate: string;
  'cdx-api': string;
  from?: string;
  to?: string;
}

const crawlInfoSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  timegate: z.string(),
  'cdx-api': z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
});

export const collinfoUrl = (indexUrl: string) => `${withSlash(indexUrl)}collinfo.json`;

/**
 * Sort key from the id: CC-MAIN-YYYY-WW by year and week; the early releases (CC-MAIN-2012,
 * CC-MAIN-2009-2010) by their first year. Ids are assigned in release order, so this is release order.
 */
function idKey(id: string): [number, number] | null {
  const m = /^CC-MAIN-(\d{4})(?:-(\d{2}|\d{4}))?$/.exec(id);
  if (!m) return null;
  const second = m[2];
  return [Number(m[1]), second && second.length === 2 ? Number(second) : 0];
}

export function newestFirst(crawls: CrawlInfo[]): CrawlInfo[] {
  return crawls
    .map((c, i) => ({ c, i, key: idKey(c.id) }))
    .sort((a, b) => {
      if (a.key && b.key) return b.key[0] - a.key[0] || b.key[1] - a.key[1] || a.i - b.i;
      if (a.key || b.key) return a.key ? -1 : 1;
      return a.i - b.i;
    })
    .map(x => x.c);
}

/** The crawls the index server lists (`<index_url>/collinfo.json`), newest first. */
export async function listCrawls(indexUrl: string, opts: RetryOptions): Promise<CrawlInfo[]> {
  const url = collinfoUrl(indexUrl);
  const { bytes } = await getBytes(url, opts);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new AcquireError(url, `not JSON (${(e as Error).message}); expected the index server's list of crawls`, {
      cause: e,
    });
  }
  if (!Array.isArray(parsed))
    throw new AcquireError(url, 'expected a JSON array of crawls ({id, name, timegate, cdx-api})');
  const crawls = parsed.map((entry, i) => {
    const ok = crawlInfoSchema.safeParse(entry);
    if (!ok.success) {
      const issue = ok.error.issues[0]!;
      throw new AcquireError(url, `entry ${i}: ${issue.path.join('.') || 'entry'}: ${issue.message}`);
    }
    return ok.data as CrawlInfo;
  });
  if (crawls.length === 0) throw new AcquireError(url, 'lists no crawls');
  return newestFirst(crawls);
}

/** The config key `ingest.cc`: which crawls, which kind of file, how many files of each. */
export const ccInputSpecSchema = z
  .object({
    crawls: z.union([
      z.literal('latest'),
      z.object({ latest: z.number().int().positive() }).strict(),
      z.array(z.string().regex(CRAWL_ID, 'expected a crawl id like CC-MAIN-2024-22')).min(1),
    ]),
    kind: z.enum(['warc', 'wet']).default('wet'),
    /** The first N paths of each crawl's listing; absent: all of them. */
    files_per_crawl: z.number().int().positive().optional(),
    /** Override `acquire.base_url` (where `crawl-data/...` is served) and `acquire.index_url` (collinfo.json). */
    base_url: z.string().url().optional(),
    index_url: z.string().url().optional(),
  })
  .strict();

export type CcInputSpec = z.output<typeof ccInputSpecSchema>;
export type CcInputSpecInput = z.input<typeof ccInputSpecSchema>;

export function retryOptionsOf(acquire: AcquireConfig, log?: Logger): RetryOptions {
  return {
    retries: acquire.retries,
    backoff_ms: acquire.backoff_ms,
    max_backoff_ms: acquire.max_backoff_ms,
    timeout_ms: acquire.timeout_ms,
    ...(log ? { log } : {}),
  };
}

/** Which crawls a spec names, newest first for `latest`, in the given order for explicit ids. */
export async function resolveCrawlIds(
  spec: CcInputSpec,
  opts: { indexUrl: string; retry: RetryOptions },
): Promise<string[]> {
  const known = await listCrawls(opts.indexUrl, opts.retry);
  if (spec.crawls === 'latest') return [known[0]!.id];
  if (!Array.isArray(spec.crawls)) return known.slice(0, spec.crawls.latest).map(c => c.id);
  const ids = new Set(known.map(c => c.id));
  const unknown = spec.crawls.filter(id => !ids.has(id));
  if (unknown.length) {
    throw new AcquireError(
      collinfoUrl(opts.indexUrl),
      `ingest.cc.crawls: unknown crawl ${unknown.join(', ')} (the newest are ${known
        .slice(0, 3)
        .map(c => c.id)
        .join(', ')}; \`qcc crawls\` lists all)`,
    );
  }
  return [...new Set(spec.crawls)];
}

/** Resolves `ingest.cc` into the crawls it names and the URLs of their files (listing order, crawl by crawl). */
export async function resolveCcInputs(
  spec: CcInputSpecInput,
  ctx: { acquire: AcquireConfig; log?: Logger },
): Promise<{ crawls: string[]; urls: string[] }> {
  const parsed = ccInputSpecSchema.parse(spec);
  const retry = retryOptionsOf(ctx.acquire, ctx.log);
  const baseUrl = parsed.base_url ?? ctx.acquire.base_url;
  const crawls = await resolveCrawlIds(parsed, { indexUrl: parsed.index_url ?? ctx.acquire.index_url, retry });
  const urls: string[] = [];
  for (const crawl of crawls) {
    const paths = await listCrawlFiles(baseUrl, crawl, parsed.kind, retry);
    if (paths.length === 0)
      throw new AcquireError(
        `${withSlash(baseUrl)}crawl-data/${crawl}/${parsed.kind}.paths.gz`,
        'the listing is empty',
      );
    const chosen = parsed.files_per_crawl === undefined ? paths : paths.slice(0, parsed.files_per_crawl);
    urls.push(...chosen.map(p => fileUrl(baseUrl, p)));
    ctx.log?.info(`crawl ${crawl}: ${chosen.length} of ${paths.length} ${parsed.kind} files`, {
      crawl,
      kind: parsed.kind,
      files: chosen.length,
      listed: paths.length,
    });
  }
  return { crawls, urls };
}
