import { createReadStream, readFileSync } from 'node:fs';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc, WarcSource } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  CdxClient,
  cdxRecordsOf,
  fetchRecord,
  fromCdxjLine,
  surt,
  toCdxjLine,
  type CdxRecord,
  type RetryOptions,
} from '../stages/acquire/index.js';
import { ingestConfigSchema, readArchive, readMetadata } from '../stages/ingest/index.js';
import { filterMatcher, startTestServer, type TestServer } from './acquire-helpers.js';
import { cc, haveSharedData } from './helpers.js';

/** The real samples, served under Common Crawl-like paths (the crawl id comes from the path). */
const FILES: Record<string, string> = {
  'crawl-data/CC-MAIN-2020-34/segments/1596439738015.38/warc/CC-MAIN-20200808165417-20200808195417-00395.warc.gz':
    'commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz',
  'crawl-data/CC-MAIN-2020-34/segments/0/warc/whirlwind.warc.gz': 'commoncrawl/whirlwind.warc.gz',
  'crawl-data/CC-MAIN-2020-34/segments/0/warc/sample-0000.warc.gz': 'other/sample-0000.warc.gz',
  'crawl-data/CC-MAIN-2020-34/segments/0/warc/sample-0001.warc.gz': 'other/sample-0001.warc.gz',
};
const CRAWL = 'CC-MAIN-2020-34';

const opts: RetryOptions = { retries: 3, backoff_ms: 10, max_backoff_ms: 100, timeout_ms: 2000 };
const config = ingestConfigSchema.parse({ min_text_chars: 0 });

async function responseCount(file: string): Promise<number> {
  let n = 0;
  for await (const r of new WARCParser(createReadStream(file))) {
    if (r.warcType === 'response' || r.warcType === 'revisit') n++;
    await r.skipFully();
  }
  return n;
}

describe.runIf(haveSharedData())('the CDX index API and byte-range fetches against a local stand-in', () => {
  let server: TestServer;
  let all: CdxRecord[];
  const docsByFile = new Map<string, Doc[]>();

  beforeAll(async () => {
    server = await startTestServer();
    all = [];
    for (const [remote, local] of Object.entries(FILES)) {
      server.files.set(remote, cc(local));
      for await (const r of cdxRecordsOf(cc(local), remote)) all.push(r);
      const docs: Doc[] = [];
      for await (const d of readArchive(cc(local), testContext(config))) docs.push(d);
      docsByFile.set(remote, docs);
    }
    // The index is a sorted CDXJ file: go through the text form as a server would.
    const lines = all.map(toCdxjLine).sort();
    server.index.set(CRAWL, lines.map(fromCdxjLine));
  });
  afterAll(async () => server?.close());

  it('the CDXJ lines cover every response record of the real files, with surt keys and 14-digit timestamps', async () => {
    let expected = 0;
    for (const local of Object.values(FILES)) expected += await responseCount(cc(local));
    expect(all).toHaveLength(expected);
    for (const r of all) {
      expect(r.urlkey).toBe(surt(r.url));
      expect(r.timestamp).toMatch(/^\d{14}$/);
      expect(Number(r.length)).toBeGreaterThan(0);
    }
    expect(surt('https://www.Example.com:443/A/b?z=1&a=2')).toBe('com,example)/a/b?a=2&z=1');
    expect(surt('http://an.wikipedia.org/wiki/Escopete')).toBe('org,wikipedia,an)/wiki/escopete');
  });

  it('an exact URL: one page, the record, and its byte range fetched gives the doc readArchive gives', async () => {
    const client = new CdxClient(server.url, CRAWL, opts);
    const hits = [];
    for await (const r of client.query({ url: 'https://an.wikipedia.org/wiki/Escopete' })) hits.push(r);
    expect(hits).toHaveLength(1);
    const hit = hits[0]!;
    expect(hit).toMatchObject({ url: 'https://an.wikipedia.org/wiki/Escopete', status: '200', mime: 'text/html' });
    const fetched = await fetchRecord(server.url, hit, config, opts);
    const fromFile = docsByFile.get(hit.filename)!.find(d => d.url === hit.url)!;
    expect(fetched.doc!.text).toBe(fromFile.text);
    expect(fetched.doc!.id).toBe(fromFile.id);
    const src = fetched.doc!.source as WarcSource;
    expect(src).toMatchObject({
      warc_file: hit.filename,
      offset: Number(hit.offset),
      length: Number(hit.length),
      crawl: CRAWL,
    });
    expect(server.log.at(-1)!.range).toBe(`bytes=${hit.offset}-${Number(hit.offset) + Number(hit.length) - 1}`);
  });

  it('every record of the index fetched by range: same record id, and the docs of readArchive, offsets included', async () => {
    const client = new CdxClient(server.url, CRAWL, opts);
    let fetchedDocs = 0;
    for (const hit of all) {
      const f = await fetchRecord(server.url, hit, config, opts);
      if (!f.doc) continue;
      fetchedDocs++;
      const d = docsByFile.get(hit.filename)!.find(x => x.id === f.doc!.id);
      expect(d, `${hit.filename}@${hit.offset}`).toBeDefined();
      expect(f.doc.text).toBe(d!.text);
      expect((d!.source as WarcSource).offset).toBe(Number(hit.offset));
    }
    const total = [...docsByFile.values()].reduce((n, d) => n + d.length, 0);
    expect(fetchedDocs).toBe(total);
    expect(client.endpoint).toBe(`${server.url}${CRAWL}-index`);
  });

  it('a domain pattern paged 3 lines at a time: showNumPages, then every page, nothing lost or repeated', async () => {
    const client = new CdxClient(server.url, CRAWL, opts);
    // The registered domain (last two labels) with the most captures, so that it spans several pages.
    const count = new Map<string, number>();
    for (const r of all) {
      const key = r.urlkey.split(')')[0]!.split(',').slice(0, 2).join(',');
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    const [top] = [...count.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const domain = top.split(',').reverse().join('.');
    const want = all.filter(r => r.urlkey.startsWith(`${top},`) || r.urlkey.startsWith(`${top})`));
    expect(want.length).toBeGreaterThan(3);
    const pages = await client.numPages({ url: `*.${domain}` });
    expect(pages).toBe(Math.ceil(want.length / 3));
    const got = [];
    for await (const r of client.query({ url: `*.${domain}` })) got.push(`${r.filename}@${r.offset}`);
    expect(got.sort()).toEqual(want.map(r => `${r.filename}@${r.offset}`).sort());
    expect(new Set(got).size).toBe(got.length);
  });

  it('a whole-crawl prefix with filters: =status:200 and !mime:text/html, as pywb applies them', async () => {
    const client = new CdxClient(server.url, CRAWL, opts);
    const hosts = [...new Set(all.map(r => r.urlkey.split(')')[0]!))];
    const host = hosts.find(h => all.filter(r => r.urlkey.startsWith(h + ')')).length > 3)!;
    const hostName = host.split(',').reverse().join('.');
    const base = all.filter(r => r.urlkey.startsWith(host + ')'));
    const query = async (filter: string[]) => {
      const out: CdxRecord[] = [];
      for await (const r of client.query({ url: `${hostName}/`, matchType: 'host', filter })) out.push(r);
      return out;
    };
    expect(await query([])).toHaveLength(base.length);
    const ok = await query(['=status:200']);
    expect(ok.length).toBe(base.filter(r => r.status === '200').length);
    expect(ok.every(r => r.status === '200')).toBe(true);
    const notHtml = await query(['!mime:text/html']);
    expect(notHtml.every(r => r.mime !== 'text/html')).toBe(true);
    expect(notHtml.length + base.filter(r => filterMatcher('mime:text/html')(r)).length).toBe(base.length);
    const limited = [];
    for await (const r of client.query({ url: `${hostName}/`, matchType: 'host', limit: 2 })) limited.push(r);
    expect(limited).toHaveLength(2);
  });

  it('no captures: pywb answers 404, the client returns nothing', async () => {
    const client = new CdxClient(server.url, CRAWL, opts);
    expect(await client.numPages({ url: 'nothing.example/' })).toBe(0);
    const got = [];
    for await (const r of client.query({ url: 'nothing.example/' })) got.push(r);
    expect(got).toEqual([]);
  });

  it('the index answering 503 and 429 (Retry-After) is retried; a range fetch after a 500 too', async () => {
    const waits: number[] = [];
    const client = new CdxClient(server.url, CRAWL, { ...opts, sleep: async ms => void waits.push(ms) });
    server.faults.set(`${CRAWL}-index`, [
      { kind: 'status', status: 503 },
      { kind: 'status', status: 429, retryAfter: '0' },
    ]);
    const hits = [];
    for await (const r of client.query({ url: 'https://an.wikipedia.org/wiki/Escopete' })) hits.push(r);
    expect(hits).toHaveLength(1);
    expect(waits).toHaveLength(2);
    expect(waits[1]).toBe(0);
    server.faults.set(hits[0]!.filename, [{ kind: 'status', status: 500 }]);
    const f = await fetchRecord(server.url, hits[0]!, config, { ...opts, sleep: async () => {} });
    expect(f.doc).toBeDefined();
  });

  it('a range that holds no record start is an error naming the file and offset', async () => {
    const hit = all[0]!;
    const bad = { ...hit, offset: String(Number(hit.offset) + 7) };
    await expect(fetchRecord(server.url, bad, config, opts)).rejects.toThrow(
      new RegExp(`${hit.filename}: offset ${bad.offset}`),
    );
  });
});

describe.runIf(haveSharedData())('metadata records: WAT envelopes and WARC warc-fields', () => {
  it('the real WAT: JSON envelopes whose target URI is a capture in the matching WARC', async () => {
    const wat = [];
    for await (const m of readMetadata(cc('commoncrawl/whirlwind.warc.wat.gz'))) wat.push(m);
    expect(wat.length).toBeGreaterThan(0);
    const env = wat[0]!.json as { Envelope: { 'WARC-Header-Metadata': Record<string, string> } };
    expect(env.Envelope['WARC-Header-Metadata']['WARC-Target-URI']).toBe(wat[0]!.url);
    expect(wat[0]!.url).toBe('https://an.wikipedia.org/wiki/Escopete');
    const warcText = readFileSync(cc('commoncrawl/whirlwind.warc.gz'));
    expect(warcText.length).toBeGreaterThan(0);
  });

  it('the CC-MAIN-2020-34 sample: 16 warc-fields metadata records, each referring to a response', async () => {
    const file = cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz');
    const meta = [];
    for await (const m of readMetadata(file)) meta.push(m);
    expect(meta).toHaveLength(16);
    const responseIds = new Set<string>();
    for await (const r of new WARCParser(createReadStream(file))) {
      if (r.warcType === 'response') responseIds.add(r.warcHeaders.headers.get('WARC-Record-ID')!.trim());
      await r.skipFully();
    }
    for (const m of meta) {
      expect(responseIds.has(m.refersTo!)).toBe(true);
      expect(m.fields!.fetchTimeMs).toMatch(/^\d+$/);
    }
  });
});
