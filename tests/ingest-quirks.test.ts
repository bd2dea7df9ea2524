/**
 * Real archives with quirks peers stumble on (issue 20, item 4): status lines without the protocol or
 * with it twice (rewritten in the test from real records), a 2008 Heritrix crawl, and real
 * CC-MAIN-2016-50 WET fragments, several deliberately damaged. Every file is read on both paths
 * (native-zlib members and warcio), in 'fail' and 'skip' mode.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc, Logger } from '../core/types.js';
import { testContext } from './stage-context.js';
import { ingestConfigSchema, IngestError, readRecordAt, type IngestConfigInput } from '../stages/ingest/index.js';
import { readArchiveWith } from '../stages/ingest/archive.js';
import { realResponses } from './warc-helpers.js';
import { cc, haveSharedData, tempDir } from './helpers.js';

const CC2020 = cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz');
const HERITRIX = cc('heritrix/aut-example.warc.gz');
/**
 * The hosts of the Heritrix crawl's 72 documents (50 before the page-type round of extraction: 20
 * archive.org listing pages, forum post tables and browse lists, gave only their table menus' text; 70 before
 * short table rows of paragraphs were joined: two archive.org post-view pages hold their post in such a row).
 */
const HOSTS = ['deadlists.com', 'www.archive.org'];
const wet = (name: string) => cc(`commoncrawl-wet/${name}.wet.gz`);

async function read(file: string, config: IngestConfigInput = {}, fastGzip = true) {
  const warnings: string[] = [];
  const log: Logger = { info() {}, warn: m => void warnings.push(m), error() {} };
  const ctx = { ...testContext(ingestConfigSchema.parse(config)), log };
  const docs: Doc[] = [];
  let error: unknown;
  try {
    for await (const d of readArchiveWith(file, ctx, { fastGzip })) docs.push(d);
  } catch (e) {
    error = e;
  }
  return { docs, error, counters: ctx.counters.toJSON() as Record<string, number>, warnings };
}

/** Both read paths give the same documents, counters and warnings; returns one of them. */
async function readBoth(file: string, config: IngestConfigInput = {}) {
  const fast = await read(file, config, true);
  const careful = await read(file, config, false);
  expect(fast.docs).toEqual(careful.docs);
  expect(fast.counters).toEqual(careful.counters);
  expect(fast.warnings).toEqual(careful.warnings);
  expect(String(fast.error)).toBe(String(careful.error));
  return fast;
}

/** One gzip member per record, the block's HTTP status line rewritten by `rewrite`. */
function rewritten(records: { head: string; block: Buffer }[], rewrite: (statusLine: string) => string): Buffer {
  return Buffer.concat(
    records.map(({ head, block }) => {
      const eol = block.indexOf('\n');
      const status = block.subarray(0, eol).toString('latin1').replace(/\r$/, '');
      const newBlock = Buffer.concat([
        Buffer.from(rewrite(status), 'latin1'),
        block.subarray(eol - (block[eol - 1] === 13 ? 1 : 0)),
      ]);
      const newHead = head.replace(/^Content-Length: \d+$/im, `Content-Length: ${newBlock.length}`);
      return gzipSync(Buffer.concat([Buffer.from(newHead + '\r\n\r\n', 'utf8'), newBlock, Buffer.from('\r\n\r\n')]));
    }),
  );
}

describe.runIf(haveSharedData())('ingest: lenient HTTP status lines, real records rewritten', () => {
  let dir: string;
  let records: { head: string; block: Buffer }[];
  beforeAll(async () => {
    dir = await tempDir();
    records = await realResponses(CC2020);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('"200 OK" and "HTTP/1.1 HTTP/1.1 200 OK" give the documents of the original lines, each counted as a quirk', async () => {
    expect(records).toHaveLength(16);
    const asIs = join(dir, 'as-is.warc.gz');
    await writeFile(
      asIs,
      rewritten(records, s => s),
    );
    const original = await readBoth(asIs);
    expect(original.docs.length).toBeGreaterThan(5);
    expect(original.counters['ingest.quirk.status_line']).toBeUndefined();

    for (const [name, rewrite] of [
      ['no-protocol', (s: string) => s.replace(/^HTTP\/\d\.\d\s+/, '')],
      ['twice', (s: string) => s.replace(/^(HTTP\/\d\.\d)\s+/, '$1 $1 ')],
    ] as const) {
      const file = join(dir, `${name}.warc.gz`);
      await writeFile(file, rewritten(records, rewrite));
      const quirky = await readBoth(file);
      expect(quirky.error).toBeUndefined();
      expect(quirky.docs.map(d => [d.id, d.url, d.text, d.lang])).toEqual(
        original.docs.map(d => [d.id, d.url, d.text, d.lang]),
      );
      expect(quirky.counters['ingest.quirk.status_line']).toBe(16);
      expect(quirky.counters['ingest.skipped.http_status:invalid']).toBeUndefined();
      // Non-2xx codes are still read from the lenient line.
      const { 'ingest.quirk.status_line': _q, ...rest } = quirky.counters;
      expect(rest).toEqual(original.counters);
    }
  });

  it('a status line that is not one (no three-digit code) is still http_status:invalid', async () => {
    const file = join(dir, 'garbage-status.warc.gz');
    await writeFile(
      file,
      rewritten(records.slice(0, 3), () => 'OK THEN'),
    );
    const { docs, counters } = await readBoth(file);
    expect(docs).toHaveLength(0);
    expect(counters['ingest.skipped.http_status:invalid']).toBe(3);
    expect(counters['ingest.quirk.status_line']).toBeUndefined();
  });
});

describe.runIf(haveSharedData())('ingest: a real 2008 Heritrix crawl', () => {
  it('every one of its 299 responses is a document or a counted skip; documents re-read by offset', async () => {
    const { docs, error, counters, warnings } = await readBoth(HERITRIX);
    expect(error).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(counters['ingest.records.response']).toBe(299);
    expect(counters['ingest.records.request']).toBe(261);
    expect(counters['ingest.records.metadata']).toBe(261);
    expect(docs).toHaveLength(72);
    // A menu laid out in a table row of links is not taken as a listing's content.
    for (const d of docs) expect(d.text, d.url!).not.toContain('Web | Moving Images | Texts | Audio | Software');
    const skipped = Object.entries(counters)
      .filter(([k]) => k.startsWith('ingest.skipped.'))
      .reduce((sum, [, v]) => sum + v, 0);
    expect(skipped + docs.length).toBe(299);
    expect(counters['ingest.skipped.http_status:404']).toBe(40);
    expect(counters['ingest.skipped.non_html:text/dns']).toBe(38);
    expect([...new Set(docs.map(d => new URL(d.url!).host))].sort()).toEqual(HOSTS);
    for (const d of docs.slice(0, 10)) {
      const src = d.source as { offset: number; length: number; record_id: string };
      expect((await readRecordAt(HERITRIX, src.offset, src.length)).recordId).toBe(src.record_id);
    }
  });
});

/** What each real WET file gives under 'skip': documents, and the one fault named with its offset, if any. */
const WET: { name: string; docs: number; fault?: { kind: string; message: RegExp } }[] = [
  { name: 'filter_test_1', docs: 25 },
  { name: 'fragment3', docs: 5 },
  { name: 'corrupt_starts_with_conversion', docs: 5 },
  { name: 'corrupt_two_warcinfo', docs: 5 },
  { name: 'corrupt_warcconversion_1', docs: 5 },
  { name: 'corrupt_warcconversion_2', docs: 1 },
  { name: 'corrupt_warcinfo_1', docs: 5 },
  {
    name: 'appended_zip_fragment_unexpected_eof',
    docs: 15,
    fault: { kind: 'truncated_gzip', message: /: truncated gzip member at offset 49258$/ },
  },
  {
    name: 'fragment1_incomplete_last',
    docs: 1,
    fault: {
      kind: 'truncated_record',
      message: /: truncated record \(Content-Length 12694, 9186 bytes\) at offset 0$/,
    },
  },
  {
    name: 'fragment1_asthma_incomplete_last',
    docs: 0,
    fault: {
      kind: 'bad_header',
      message:
        /: record does not end at its Content-Length \(2287\): other bytes follow in its gzip member at offset 0$/,
    },
  },
  {
    name: 'fragment2_no_header',
    docs: 0,
    fault: { kind: 'bad_header', message: /: bad WARC header \(status line ".*"\) at offset 0$/ },
  },
  {
    name: 'file_headers_only',
    docs: 0,
    fault: { kind: 'truncated_record', message: /: truncated record \(Content-Length 259, 0 bytes\) at offset 0$/ },
  },
  {
    name: 'file_and_wet_headers_only',
    docs: 0,
    fault: { kind: 'bad_header', message: /: bad WARC header \(Content-Length "259, 2287"\) at offset 0$/ },
  },
];

describe.runIf(haveSharedData())('ingest: real CC-MAIN-2016-50 WET files and damaged fragments', () => {
  for (const { name, docs: count, fault } of WET) {
    it(`${name}: ${count} documents${fault ? `, then ${fault.kind} named with file and offset` : ''}`, async () => {
      const file = wet(name);
      const skip = await readBoth(file, { on_error: 'skip', min_text_chars: 0 });
      expect(skip.error).toBeUndefined();
      expect(skip.docs).toHaveLength(count);
      for (const d of skip.docs) {
        expect(d.source.kind).toBe('wet');
        expect(d.text.length).toBeGreaterThan(0);
      }
      const failMode = await readBoth(file, { min_text_chars: 0 });
      expect(failMode.docs.map(d => d.id)).toEqual(skip.docs.map(d => d.id));
      if (!fault) {
        expect(failMode.error).toBeUndefined();
        expect(Object.keys(skip.counters).filter(k => k.startsWith('ingest.errors.'))).toEqual([]);
        return;
      }
      expect(skip.counters[`ingest.errors.${fault.kind}`]).toBe(1);
      expect(skip.warnings.some(w => w.startsWith(`${file}: `) && fault.message.test(w))).toBe(true);
      const err = failMode.error as IngestError;
      expect(err).toBeInstanceOf(IngestError);
      expect(err.kind).toBe(fault.kind);
      expect(err.message.startsWith(`${file}: `)).toBe(true);
      expect(err.message).toMatch(fault.message);
    });
  }
});
