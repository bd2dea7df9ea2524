/**
 * The Common Crawl CDX index API (pywb): `/<crawl>-index?url=...&output=json`, paged with
 * `showNumPages=true` and `page=N`, narrowed with `filter=` (e.g. `=status:200`, `mime:text/html`,
 * `!~url:\.pdf$`) and `matchType` (exact, prefix, host, domain; or `*.example.com` / `example.com/*`).
 */
import type { Logger } from '../../core/types.js';
import type { CdxRecord } from './cdxj.js';
import { AcquireError } from './errors.js';
import { getBytes, type RetryOptions } from './retry.js';
import { CRAWL_ID, withSlash } from './paths.js';

export interface CdxQuery {
  url: string;
  matchType?: 'exact' | 'prefix' | 'host' | 'domain';
  filter?: string[];
  /** Stop after this many records. */
  limit?: number;
}

export function indexEndpoint(indexUrl: string, crawl: string): string {
  if (!CRAWL_ID.test(crawl)) throw new Error(`--crawl ${JSON.stringify(crawl)}: expected an id like CC-MAIN-2024-22`);
  return `${withSlash(indexUrl)}${crawl}-index`;
}

function queryUrl(endpoint: string, q: CdxQuery, extra: Record<string, string>): string {
  const params = new URLSearchParams({ url: q.url, output: 'json' });
  if (q.matchType) params.set('matchType', q.matchType);
  for (const f of q.filter ?? []) params.append('filter', f);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return `${endpoint}?${params}`;
}

export class CdxClient {
  readonly endpoint: string;
  constructor(
    indexUrl: string,
    crawl: string,
    private readonly opts: RetryOptions & { log?: Logger },
  ) {
    this.endpoint = indexEndpoint(indexUrl, crawl);
  }

  /** How many pages the server splits the result into (0 when nothing matches). */
  async numPages(q: CdxQuery): Promise<number> {
    const url = queryUrl(this.endpoint, q, { showNumPages: 'true' });
    const body = await this.get(url);
    if (body === undefined) return 0;
    let pages: unknown;
    try {
      const text = body.trim();
      pages = /^\d+$/.test(text) ? Number(text) : (JSON.parse(text) as { pages?: unknown }).pages;
    } catch (e) {
      throw new AcquireError(url, `unreadable showNumPages answer ${JSON.stringify(body.slice(0, 80))}`, { cause: e });
    }
    if (typeof pages !== 'number' || !Number.isInteger(pages) || pages < 0) {
      throw new AcquireError(url, `unreadable showNumPages answer ${JSON.stringify(body.slice(0, 80))}`);
    }
    return pages;
  }

  /** One page of results. */
  async page(q: CdxQuery, page: number): Promise<CdxRecord[]> {
    const url = queryUrl(this.endpoint, q, { page: String(page) });
    const body = await this.get(url);
    if (body === undefined) return [];
    const out: CdxRecord[] = [];
    body.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let rec: CdxRecord;
      try {
        rec = JSON.parse(line) as CdxRecord;
      } catch (e) {
        throw new AcquireError(url, `line ${i + 1}: not JSON (${JSON.stringify(line.slice(0, 80))})`, { cause: e });
      }
      if (!rec.filename || rec.offset === undefined || rec.length === undefined) {
        throw new AcquireError(url, `line ${i + 1}: record without filename/offset/length`);
      }
      out.push(rec);
    });
    return out;
  }

  /** Every matching record, page after page. */
  async *query(q: CdxQuery): AsyncGenerator<CdxRecord> {
    const pages = await this.numPages(q);
    let n = 0;
    for (let p = 0; p < pages; p++) {
      this.opts.log?.info(`index page ${p + 1}/${pages}`, { page: p, pages, records: n });
      for (const rec of await this.page(q, p)) {
        if (q.limit !== undefined && n >= q.limit) return;
        n++;
        yield rec;
      }
    }
  }

  /** The body, or undefined for pywb's "no captures" 404. */
  private async get(url: string): Promise<string | undefined> {
    try {
      return (await getBytes(url, this.opts)).bytes.toString('utf8');
    } catch (e) {
      if (e instanceof AcquireError && e.status === 404) return undefined;
      throw e;
    }
  }
}
