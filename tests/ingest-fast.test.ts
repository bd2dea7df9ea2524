// The fast paths of ingest give exactly what the careful ones give: native-zlib member reading
// (gzip-members.ts) against warcio, and the byte-range decoding of htmlSource against decoding the
// whole page, on real files and real pages, clean and damaged.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc, Logger } from '../core/types.js';
import { testContext } from './stage-context.js';
import { open } from 'node:fs/promises';
import { readArchiveWith } from '../stages/ingest/archive.js';
import { GzipMembers } from '../stages/ingest/gzip-members.js';
import { decodeHtml, extractMainText, ingestConfigSchema, type IngestConfigInput } from '../stages/ingest/index.js';
import { extractMainTextFrom } from '../stages/ingest/extract.js';
import { htmlSource } from '../stages/ingest/decode.js';
import { cc, haveSharedData, sharedData, tempDir } from './helpers.js';

interface Outcome {
  docs: Doc[];
  counters: Record<string, number>;
  warnings: string[];
  error?: string;
}

async function run(file: string, fastGzip: boolean, config: IngestConfigInput = {}): Promise<Outcome> {
  const warnings: string[] = [];
  const log: Logger = { info() {}, warn: m => void warnings.push(m), error() {} };
  const ctx = { ...testContext(ingestConfigSchema.parse(config)), log };
  const docs: Doc[] = [];
  try {
    for await (const d of readArchiveWith(file, ctx, { fastGzip })) docs.push(d);
  } catch (e) {
    return { docs, counters: ctx.counters.toJSON(), warnings, error: String(e) };
  }
  return { docs, counters: ctx.counters.toJSON(), warnings };
}

async function expectSamePaths(file: string, config: IngestConfigInput = {}): Promise<Outcome> {
  const fast = await run(file, true, config);
  const careful = await run(file, false, config);
  expect(fast.error, file).toEqual(careful.error);
  expect(fast.counters, file).toEqual(careful.counters);
  expect(fast.warnings, file).toEqual(careful.warnings);
  expect(fast.docs.length, file).toBe(careful.docs.length);
  for (let i = 0; i < fast.docs.length; i++) expect(fast.docs[i], `${file} doc ${i}`).toEqual(careful.docs[i]);
  return fast;
}

const SAMPLES = [
  'commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz',
  'commoncrawl/whirlwind.warc.gz',
  'commoncrawl/whirlwind.warc.wet.gz',
  'other/clueweb-quirk.warc.gz',
  'other/sample-0000.warc.gz',
  'other/sample-0001.warc.gz',
  'malformed/clipped.warc.gz',
];

describe.runIf(haveSharedData())('native-zlib member reading equals warcio', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('qcc-ingest-fast-');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every real sample: same documents, offsets, counters and warnings', async () => {
    let docs = 0;
    for (const name of SAMPLES) {
      for (const on_error of ['fail', 'skip'] as const)
        docs += (await expectSamePaths(cc(name), { on_error })).docs.length;
    }
    expect(docs).toBeGreaterThan(100);
  });

  it('reads a real Common Crawl file member by member to its end, at the offsets and lengths warcio reports', async () => {
    const file = cc(SAMPLES[0]!);
    const careful = await run(file, false);
    const fh = await open(file, 'r');
    const members: { offset: number; length: number }[] = [];
    try {
      const reader = new GzipMembers(fh, 0, (await fh.stat()).size, 1 << 24);
      for (let m = await reader.next(); m !== null; m = await reader.next()) {
        expect('stop' in m, JSON.stringify(m)).toBe(false);
        if (!('stop' in m)) {
          expect(m.data.subarray(0, 5).toString('latin1')).toBe('WARC/');
          members.push({ offset: m.offset, length: m.length });
        }
      }
    } finally {
      await fh.close();
    }
    expect(members.length).toBeGreaterThan(careful.docs.length);
    const at = new Map(members.map(m => [m.offset, m.length]));
    for (const d of careful.docs) {
      if (d.source.kind === 'corpus') throw new Error('not a WARC doc');
      expect(at.get(d.source.offset)).toBe(d.source.length);
    }
  });

  it('damaged files (corrupt member, garbage between members, an oversized page, a truncated tail): same outcome', async () => {
    const a = await readFile(cc('other/sample-0001.warc.gz'));
    const b = await readFile(cc('other/sample-0000.warc.gz'));
    const clipped = await readFile(cc('malformed/clipped.warc.gz'));
    const corrupt = Buffer.from(a);
    const mid = Math.floor(corrupt.length / 2);
    for (let i = 0; i < 64; i++) corrupt[mid + i] = (corrupt[mid + i]! ^ 0x5a) & 0xff;
    const big = Buffer.alloc(6 * 1024 * 1024, 'x');
    const http = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>'), big]);
    const warcHead = `WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:big>\r\nWARC-Target-URI: https://big.example/\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: ${http.length}\r\n\r\n`;
    const oversized = gzipSync(Buffer.concat([Buffer.from(warcHead), http, Buffer.from('\r\n\r\n')]));
    const cases: Record<string, Buffer> = {
      corrupt: Buffer.concat([b, corrupt, b]),
      garbage: Buffer.concat([a, Buffer.from('this is not gzip\n'), b]),
      oversized: Buffer.concat([a, oversized, b]),
      truncated: Buffer.concat([b, clipped]),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const file = join(dir, `${name}.warc.gz`);
      await writeFile(file, bytes);
      for (const on_error of ['fail', 'skip'] as const) await expectSamePaths(file, { on_error });
    }
    const skipped = await run(join(dir, 'oversized.warc.gz'), true, { on_error: 'skip' });
    expect(skipped.counters['ingest.skipped.too_large']).toBe(1);
  });
});

describe.runIf(haveSharedData())('decoding only the kept text equals decoding the whole page', () => {
  it("trafilatura's evaluation pages (every non-UTF-8 one among them) and the Readability pages", async () => {
    const root = await tempDir('qcc-ingest-fast-pages-');
    try {
      execFileSync('tar', [
        '-xJf',
        join(sharedData, 'extraction', 'trafilatura-eval', 'html-tests-eval-and-cache.tar.xz'),
        '-C',
        root,
      ]);
      const pages: Buffer[] = [];
      for (const sub of ['eval', 'cache'])
        for (const f of readdirSync(join(root, 'tests', sub))) pages.push(readFileSync(join(root, 'tests', sub, f)));
      const rd = join(sharedData, 'extraction', 'mozilla-readability-test-pages');
      for (const d of readdirSync(rd))
        if (existsSync(join(rd, d, 'source.html'))) pages.push(readFileSync(join(rd, d, 'source.html')));
      expect(pages.length).toBeGreaterThan(1000);
      let legacy = 0;
      for (const bytes of pages) {
        const whole = extractMainText(decodeHtml(bytes));
        expect(extractMainTextFrom(htmlSource(bytes))).toBe(whole);
        if (!bytes.equals(Buffer.from(bytes.toString('utf8'), 'utf8'))) legacy++;
      }
      expect(legacy).toBeGreaterThanOrEqual(20);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a windows-1251 page declared in the header or in <meta>', () => {
    const ru = readFileSync(
      join(sharedData, 'langid', 'lingua-testdata', 'language-testdata', 'sentences', 'ru.txt'),
      'utf8',
    )
      .split('\n')
      .slice(0, 5)
      .join(' ');
    const enc = new TextDecoder('windows-1251');
    // windows-1251 bytes for the Russian text, built from the decoder's own table.
    const table = new Map<string, number>();
    for (let i = 0; i < 256; i++) table.set(enc.decode(new Uint8Array([i])), i);
    const body = Uint8Array.from([...ru].map(ch => table.get(ch) ?? 0x3f));
    const page = (head: string) =>
      Buffer.concat([
        Buffer.from(`<html><head>${head}</head><body><article><p>`),
        body,
        Buffer.from('</p></article></body></html>'),
      ]);
    for (const [bytes, ct] of [
      [page(''), 'text/html; charset=windows-1251'],
      [page('<meta charset="windows-1251">'), undefined],
    ] as const) {
      const text = extractMainTextFrom(htmlSource(bytes, ct));
      expect(text).toBe(extractMainText(decodeHtml(bytes, ct)));
      expect(text).toContain(ru.split(' ').slice(0, 4).join(' '));
    }
  });
});
