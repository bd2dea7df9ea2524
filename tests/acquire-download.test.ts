import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AcquireError,
  backoffDelay,
  downloadAll,
  downloadFile,
  listCrawlFiles,
  parseRetryAfter,
  type DownloadOptions,
} from '../stages/acquire/index.js';
import { resolveInputs } from '../stages/acquire/inputs.js';
import { startTestServer, type TestServer } from './acquire-helpers.js';
import { cc, haveSharedData, tempDir } from './helpers.js';

const CC2020 = 'commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz';
const SEGMENT =
  'crawl-data/CC-MAIN-2020-34/segments/1596439738015.38/warc/CC-MAIN-20200808165417-20200808195417-00395.warc.gz';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.runIf(haveSharedData())('downloads from a local Common Crawl stand-in with injected faults', () => {
  let server: TestServer;
  let dir: string;
  let waits: number[];
  const opts = (over: Partial<DownloadOptions> = {}): DownloadOptions => ({
    retries: 4,
    backoff_ms: 100,
    max_backoff_ms: 5000,
    timeout_ms: 400,
    random: () => 1,
    sleep: async ms => void waits.push(ms),
    ...over,
  });
  const original = readFileSync(cc(CC2020));

  beforeAll(async () => {
    server = await startTestServer();
    server.files.set('crawl-data/CC-MAIN-2024-22/warc.paths.gz', cc('commoncrawl/CC-MAIN-2024-22.warc.paths.gz'));
    server.files.set(SEGMENT, cc(CC2020));
    for (const n of ['whirlwind.warc.gz', 'whirlwind.warc.wet.gz', 'whirlwind.warc.wat.gz'])
      server.files.set(`ww/${n}`, cc(`commoncrawl/${n}`));
    for (const n of ['sample-0000.warc.gz', 'sample-0001.warc.gz']) server.files.set(`other/${n}`, cc(`other/${n}`));
  });
  afterAll(async () => server?.close());
  afterEach(() => {
    waits = [];
    server.log.length = 0;
    server.faults.clear();
  });
  waits = [];

  it('lists a crawl: the 300 paths of the real warc.paths.gz, in order', async () => {
    const paths = await listCrawlFiles(server.url, 'CC-MAIN-2024-22', 'warc', opts());
    const expected = gunzipSync(readFileSync(cc('commoncrawl/CC-MAIN-2024-22.warc.paths.gz')))
      .toString('utf8')
      .trim()
      .split('\n');
    expect(paths).toEqual(expected);
    expect(paths).toHaveLength(300);
    await expect(listCrawlFiles(server.url, 'CC-MAIN-1999-01', 'warc', opts({ retries: 0 }))).rejects.toThrow(
      /CC-MAIN-1999-01\/warc\.paths\.gz: HTTP 404/,
    );
    await expect(listCrawlFiles(server.url, '2024-22', 'warc', opts())).rejects.toThrow(/--crawl "2024-22"/);
  });

  it('a clean download is byte-identical and leaves no .part file', async () => {
    dir = await tempDir();
    const dest = join(dir, 'a.warc.gz');
    const r = await downloadFile(`${server.url}${SEGMENT}`, dest, opts({ expectedSize: original.length }));
    expect(sha(await readFile(dest))).toBe(sha(original));
    expect(r).toMatchObject({ bytes: original.length, attempts: 1, skipped: false });
    expect(await readdir(dir)).toEqual(['a.warc.gz']);
    const again = await downloadFile(`${server.url}${SEGMENT}`, dest, opts({ expectedSize: original.length }));
    expect(again.skipped).toBe(true);
  });

  it('500 twice: retried with exponential back-off (100, 200 ms at full jitter 1.0), then complete', async () => {
    dir = await tempDir();
    server.faults.set(SEGMENT, [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
    ]);
    const r = await downloadFile(`${server.url}${SEGMENT}`, join(dir, 'b'), opts());
    expect(r.attempts).toBe(3);
    expect(waits).toEqual([100, 200]);
    expect(sha(await readFile(join(dir, 'b')))).toBe(sha(original));
  });

  it('jitter draws each wait from [0, base * 2^n), capped', () => {
    const o = opts({ random: () => 0.5, max_backoff_ms: 1000 });
    expect([1, 2, 3, 4, 5, 6].map(n => backoffDelay(n, o))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 3000).toUTCString())).toBeGreaterThan(1000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('429 with Retry-After: waits what the server asked, not the back-off', async () => {
    dir = await tempDir();
    server.faults.set(SEGMENT, [{ kind: 'status', status: 429, retryAfter: '2' }]);
    const r = await downloadFile(`${server.url}${SEGMENT}`, join(dir, 'c'), opts());
    expect(r.attempts).toBe(2);
    expect(waits).toEqual([2000]);
  });

  it('a real Retry-After wait with the real timer (1 s)', async () => {
    dir = await tempDir();
    server.faults.set(SEGMENT, [{ kind: 'status', status: 429, retryAfter: '1' }]);
    const t0 = Date.now();
    const { sleep: _s, ...realTimer } = opts();
    await downloadFile(`${server.url}${SEGMENT}`, join(dir, 'c2'), realTimer);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('a server that never answers: timed out, retried, complete', async () => {
    dir = await tempDir();
    server.faults.set(SEGMENT, [{ kind: 'hang' }]);
    const r = await downloadFile(`${server.url}${SEGMENT}`, join(dir, 'd'), opts());
    expect(r.attempts).toBe(2);
    expect(sha(await readFile(join(dir, 'd')))).toBe(sha(original));
  });

  it('a connection dropped half-way: the retry asks for the rest with Range and the file is whole', async () => {
    dir = await tempDir();
    const half = Math.floor(original.length / 2);
    server.faults.set(SEGMENT, [{ kind: 'cut', bytes: half }]);
    const r = await downloadFile(`${server.url}${SEGMENT}`, join(dir, 'e'), opts());
    expect(r.attempts).toBe(2);
    const ranges = server.log.filter(l => l.path === SEGMENT).map(l => l.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(ranges[1]!)![0])).toBeGreaterThan(0);
    expect(sha(await readFile(join(dir, 'e')))).toBe(sha(original));
  });

  it('a body that stalls mid-way: idle time-out, then resumed by Range', async () => {
    dir = await tempDir();
    server.faults.set(SEGMENT, [{ kind: 'stall', bytes: 40_000 }]);
    const r = await downloadFile(`${server.url}${SEGMENT}`, join(dir, 'f'), opts());
    expect(r.attempts).toBe(2);
    expect(server.log.filter(l => l.path === SEGMENT)[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(sha(await readFile(join(dir, 'f')))).toBe(sha(original));
  });

  it('a download killed half-way (out of retries) resumes in a later run from the .part file', async () => {
    dir = await tempDir();
    const dest = join(dir, 'g.warc.gz');
    const half = Math.floor(original.length / 2);
    server.faults.set(SEGMENT, [{ kind: 'cut', bytes: half }]);
    const err = await downloadFile(`${server.url}${SEGMENT}`, dest, opts({ retries: 0 })).catch(e => e);
    expect(err).toBeInstanceOf(AcquireError);
    expect(err.message).toContain(SEGMENT);
    const partSize = (await stat(`${dest}.part`)).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(original.length);
    await expect(stat(dest)).rejects.toThrow();

    const r = await downloadFile(`${server.url}${SEGMENT}`, dest, opts());
    expect(r.resumedFrom).toBe(partSize);
    expect(server.log.at(-1)!.range).toBe(`bytes=${partSize}-`);
    expect(sha(await readFile(dest))).toBe(sha(original));
  });

  it('a server that ignores Range restarts the file rather than appending the whole body', async () => {
    dir = await tempDir();
    const dest = join(dir, 'h');
    await writeFile(`${dest}.part`, original.subarray(0, 1000));
    server.faults.set(SEGMENT, [{ kind: 'ignore_range' }]);
    await downloadFile(`${server.url}${SEGMENT}`, dest, opts());
    expect(sha(await readFile(dest))).toBe(sha(original));
  });

  it('a .part already complete (killed before the rename) ends on 416 with the right size', async () => {
    dir = await tempDir();
    const dest = join(dir, 'i');
    await writeFile(`${dest}.part`, original);
    const r = await downloadFile(`${server.url}${SEGMENT}`, dest, opts());
    expect(server.log.at(-1)).toMatchObject({ range: `bytes=${original.length}-`, status: 416 });
    expect(r.bytes).toBe(original.length);
    expect(sha(await readFile(dest))).toBe(sha(original));
  });

  it('size verification: a size other than the expected one fails without retrying; 404 fails at once', async () => {
    dir = await tempDir();
    const bad = await downloadFile(
      `${server.url}${SEGMENT}`,
      join(dir, 'j'),
      opts({ expectedSize: original.length + 1 }),
    ).catch(e => e);
    expect(bad).toBeInstanceOf(AcquireError);
    expect(bad.message).toMatch(
      new RegExp(`${SEGMENT}: server size ${original.length} differs from the expected ${original.length + 1}`),
    );
    const missing = await downloadFile(`${server.url}nope.warc.gz`, join(dir, 'k'), opts()).catch(e => e);
    expect(missing.message).toMatch(/nope\.warc\.gz: HTTP 404/);
    expect(server.log.filter(l => l.path === 'nope.warc.gz')).toHaveLength(1);
  });

  it('gives up after the retries with the URL and the last fault in the message', async () => {
    dir = await tempDir();
    server.faults.set(
      SEGMENT,
      Array.from({ length: 5 }, () => ({ kind: 'status' as const, status: 502 })),
    );
    const err = await downloadFile(`${server.url}${SEGMENT}`, join(dir, 'l'), opts({ retries: 2 })).catch(e => e);
    expect(err.message).toMatch(/HTTP 502 \(gave up after 3 attempts\)/);
    expect(waits).toEqual([100, 200]);
  });

  it('downloadAll: at most `concurrency` at once, faults retried, every file whole', async () => {
    dir = await tempDir();
    const names = [
      'ww/whirlwind.warc.gz',
      'ww/whirlwind.warc.wet.gz',
      'ww/whirlwind.warc.wat.gz',
      'other/sample-0000.warc.gz',
      'other/sample-0001.warc.gz',
      SEGMENT,
    ];
    server.faults.set('other/sample-0000.warc.gz', [{ kind: 'status', status: 500 }]);
    server.faults.set('ww/whirlwind.warc.gz', [{ kind: 'cut', bytes: 5000 }]);
    server.maxInFlight = 0;
    const jobs = names.map(n => ({ url: `${server.url}${n}`, dest: join(dir, n) }));
    const { done, failed } = await downloadAll(jobs, {
      ...opts(),
      sleep: ms => new Promise(r => setTimeout(r, ms)),
      concurrency: 2,
    });
    expect(failed).toEqual([]);
    expect(done).toHaveLength(names.length);
    expect(server.maxInFlight).toBeLessThanOrEqual(2);
    for (const n of names) expect(statSync(join(dir, n)).size).toBe(statSync(server.files.get(n)!).size);
  });

  it('resolveInputs: URLs are downloaded into the cache, paths pass through, order kept', async () => {
    dir = await tempDir();
    const local = cc(CC2020);
    const out = await resolveInputs([`${server.url}ww/whirlwind.warc.wet.gz`, local], {
      cacheDir: dir,
      acquire: { retries: 1, backoff_ms: 10 },
    });
    expect(out[1]).toBe(local);
    expect(out[0]).toBe(join(dir, new URL(server.url).host.replace(':', '_'), 'ww', 'whirlwind.warc.wet.gz'));
    expect(sha(await readFile(out[0]!))).toBe(sha(readFileSync(cc('commoncrawl/whirlwind.warc.wet.gz'))));
  });
});
