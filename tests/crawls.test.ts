import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireConfigSchema, ccInputSpecSchema, resolveCcInputs, resolveInputs } from '../stages/acquire/index.js';
import { cc, haveSharedData, qcc, sharedData, tempDir } from './helpers.js';

const crawl = (id: string, extra: Record<string, string> = {}) => ({
  id,
  name: `${id} Index`,
  timegate: `https://index.commoncrawl.org/${id}/`,
  'cdx-api': `https://index.commoncrawl.org/${id}-index`,
  ...extra,
});

// Deliberately out of order, with the early releases' irregular ids.
const COLLINFO = [
  crawl('CC-MAIN-2023-50', { from: '2023-11-28T09:21:05', to: '2023-12-12T00:48:40' }),
  crawl('CC-MAIN-2012'),
  crawl('CC-MAIN-2024-22', { from: '2024-05-17T19:31:56', to: '2024-05-31T04:01:38' }),
  crawl('CC-MAIN-2009-2010'),
  crawl('CC-MAIN-2024-10'),
];
const NEWEST_FIRST = ['CC-MAIN-2024-22', 'CC-MAIN-2024-10', 'CC-MAIN-2023-50', 'CC-MAIN-2012', 'CC-MAIN-2009-2010'];

const listing = (paths: string[]) => gzipSync(paths.join('\n') + '\n');

/** `crawl-data/<id>/<kind>.paths.gz` listings; `files/...` are served from the shared data's cc folder. */
const LISTINGS: Record<string, Buffer> = {
  'crawl-data/CC-MAIN-2024-22/wet.paths.gz': listing(['files/commoncrawl/whirlwind.warc.wet.gz']),
  'crawl-data/CC-MAIN-2024-10/wet.paths.gz': listing(['files/commoncrawl/whirlwind.warc.wet.gz']),
  'crawl-data/CC-MAIN-2024-10/warc.paths.gz': listing([
    'files/other/sample-0000.warc.gz',
    'files/other/sample-0001.warc.gz',
    'files/other/clueweb-quirk.warc.gz',
  ]),
  'crawl-data/CC-MAIN-2023-50/warc.paths.gz': listing([
    'files/commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz',
  ]),
  'crawl-data/CC-MAIN-2023-50/wet.paths.gz': gzipSync(''),
};

describe.runIf(haveSharedData())('crawl discovery against a local index server', () => {
  let server: Server;
  let base = '';
  let collinfo = JSON.stringify(COLLINFO);

  beforeAll(async () => {
    // A real 300-line listing (shared data: the head of a crawl's paths file) stands in for CC-MAIN-2024-22's WARC listing.
    LISTINGS['crawl-data/CC-MAIN-2024-22/warc.paths.gz'] = readFileSync(
      cc('commoncrawl/CC-MAIN-2024-22.warc.paths.gz'),
    );
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname).replace(/^\/+/, '');
      if (path === 'collinfo.json') return res.end(collinfo);
      if (LISTINGS[path]) return res.end(LISTINGS[path]);
      const file = normalize(join(sharedData, 'cc', path.replace(/^files\//, '')));
      if (path.startsWith('files/') && file.startsWith(join(sharedData, 'cc')) && existsSync(file)) {
        res.setHeader('content-length', readFileSync(file).length);
        return createReadStream(file).pipe(res);
      }
      res.statusCode = 404;
      res.end('not found');
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

  const acquire = () => acquireConfigSchema.parse({ base_url: base, index_url: base, retries: 0 });

  it('`qcc crawls` lists the releases newest first, as text or JSON lines', async () => {
    const all = await qcc(['crawls', '--index-url', base]);
    expect(all.code, all.stderr).toBe(0);
    expect(
      all.stdout
        .trim()
        .split('\n')
        .map(l => l.split(/\s+/)[0]),
    ).toEqual(NEWEST_FIRST);
    expect(all.stdout).toMatch(
      /CC-MAIN-2024-22\s+CC-MAIN-2024-22 Index\s+2024-05-17T19:31:56 \.\. 2024-05-31T04:01:38/,
    );

    const two = await qcc(['crawls', '--index-url', base, '--limit', '2', '--json']);
    expect(two.code, two.stderr).toBe(0);
    const rows = two.stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    expect(rows).toEqual([COLLINFO[2], COLLINFO[4]]);
  });

  it('resolves `latest` to the newest crawl and its files, which download intact', async () => {
    const resolved = await resolveCcInputs({ crawls: 'latest' }, { acquire: acquire() });
    expect(resolved).toEqual({ crawls: ['CC-MAIN-2024-22'], urls: [`${base}files/commoncrawl/whirlwind.warc.wet.gz`] });
    const [local] = await resolveInputs(resolved.urls, {
      cacheDir: await tempDir('qcc-crawls-'),
      acquire: { retries: 0 },
    });
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(sha(local!)).toBe(sha(cc('commoncrawl/whirlwind.warc.wet.gz')));
  });

  it('resolves `latest: N` newest first, cutting each real listing to files_per_crawl', async () => {
    const resolved = await resolveCcInputs(
      { crawls: { latest: 2 }, kind: 'warc', files_per_crawl: 2 },
      { acquire: acquire() },
    );
    expect(resolved.crawls).toEqual(['CC-MAIN-2024-22', 'CC-MAIN-2024-10']);
    const realListing = readFileSync(cc('commoncrawl/CC-MAIN-2024-22.warc.paths.gz'));
    const { gunzipSync } = await import('node:zlib');
    const firstTwo = gunzipSync(realListing).toString().trim().split('\n').slice(0, 2);
    expect(firstTwo).toHaveLength(2);
    expect(resolved.urls).toEqual([
      ...firstTwo.map(p => base + p),
      `${base}files/other/sample-0000.warc.gz`,
      `${base}files/other/sample-0001.warc.gz`,
    ]);
  });

  it('keeps explicit crawl ids in the given order, with every file when files_per_crawl is absent', async () => {
    const resolved = await resolveCcInputs(
      { crawls: ['CC-MAIN-2023-50', 'CC-MAIN-2024-10'], kind: 'warc' },
      { acquire: acquire() },
    );
    expect(resolved.crawls).toEqual(['CC-MAIN-2023-50', 'CC-MAIN-2024-10']);
    expect(resolved.urls.map(u => u.slice(base.length))).toEqual([
      'files/commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz',
      'files/other/sample-0000.warc.gz',
      'files/other/sample-0001.warc.gz',
      'files/other/clueweb-quirk.warc.gz',
    ]);
    // The spec's own base_url / index_url override the acquire settings.
    const other = acquireConfigSchema.parse({
      base_url: 'http://127.0.0.1:9/',
      index_url: 'http://127.0.0.1:9/',
      retries: 0,
    });
    const viaSpec = await resolveCcInputs(
      { crawls: ['CC-MAIN-2023-50'], kind: 'warc', base_url: base, index_url: base },
      { acquire: other },
    );
    expect(viaSpec.urls).toEqual([resolved.urls[0]]);
  });

  it('fails with errors that name the URL: unknown crawl, empty listing, bad collinfo', async () => {
    await expect(resolveCcInputs({ crawls: ['CC-MAIN-2019-04'] }, { acquire: acquire() })).rejects.toThrow(
      `${base}collinfo.json: ingest.cc.crawls: unknown crawl CC-MAIN-2019-04 (the newest are CC-MAIN-2024-22, CC-MAIN-2024-10, CC-MAIN-2023-50`,
    );
    await expect(resolveCcInputs({ crawls: ['CC-MAIN-2023-50'] }, { acquire: acquire() })).rejects.toThrow(
      `${base}crawl-data/CC-MAIN-2023-50/wet.paths.gz: the listing is empty`,
    );
    await expect(
      resolveCcInputs({ crawls: ['CC-MAIN-2022-05'], kind: 'warc', index_url: base }, { acquire: acquire() }),
    ).rejects.toThrow(/unknown crawl CC-MAIN-2022-05/);

    expect(() => ccInputSpecSchema.parse({ crawls: 'newest' })).toThrow();
    expect(() => ccInputSpecSchema.parse({ crawls: ['2024-22'] })).toThrow(/expected a crawl id like CC-MAIN-2024-22/);
    expect(() => ccInputSpecSchema.parse({ crawls: 'latest', files_per_crawl: 0 })).toThrow();
    expect(ccInputSpecSchema.parse({ crawls: { latest: 3 } })).toEqual({ crawls: { latest: 3 }, kind: 'wet' });

    collinfo = '<html>maintenance</html>';
    try {
      await expect(resolveCcInputs({ crawls: 'latest' }, { acquire: acquire() })).rejects.toThrow(
        `${base}collinfo.json: not JSON`,
      );
      const cli = await qcc(['crawls', '--index-url', base, '--retries', '0']);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`qcc: ${base}collinfo.json: not JSON`);
      collinfo = '[]';
      await expect(resolveCcInputs({ crawls: 'latest' }, { acquire: acquire() })).rejects.toThrow(
        `${base}collinfo.json: lists no crawls`,
      );
      collinfo = JSON.stringify([{ id: 'CC-MAIN-2024-22' }]);
      await expect(resolveCcInputs({ crawls: 'latest' }, { acquire: acquire() })).rejects.toThrow(
        `${base}collinfo.json: entry 0: name:`,
      );
    } finally {
      collinfo = JSON.stringify(COLLINFO);
    }
  });
});
