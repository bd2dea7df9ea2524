import { createReadStream, readdirSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc, Logger, StageContext, WarcSource } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  crawlFromFileName,
  IngestError,
  ingestConfigSchema,
  readArchive,
  readRecordAt,
  type IngestConfig,
  type IngestConfigInput,
} from '../stages/ingest/index.js';
import { cc, haveSharedData, tempDir } from './helpers.js';

const CC2020 = 'commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz';
const CLIPPED = 'malformed/clipped.warc.gz';

function context(config: IngestConfigInput = {}): StageContext<IngestConfig> & { warnings: string[] } {
  const warnings: string[] = [];
  const log: Logger = { info() {}, warn: m => void warnings.push(m), error() {} };
  return { ...testContext(ingestConfigSchema.parse(config)), log, warnings };
}

async function collect(file: string, ctx: StageContext<IngestConfig>): Promise<{ docs: Doc[]; error?: unknown }> {
  const docs: Doc[] = [];
  try {
    for await (const d of readArchive(file, ctx)) docs.push(d);
    return { docs };
  } catch (error) {
    return { docs, error };
  }
}

const warcSource = (d: Doc): WarcSource => {
  if (d.source.kind === 'corpus') throw new Error('not a WARC doc');
  return d.source;
};

/** Counts WARC-Types with a plain warcio pass, independent of readArchive. */
async function countTypes(file: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const record of new WARCParser(createReadStream(file))) {
    counts[record.warcType] = (counts[record.warcType] ?? 0) + 1;
    await record.skipFully();
  }
  return counts;
}

function skips(ctx: StageContext<IngestConfig>): number {
  return Object.entries(ctx.counters.toJSON())
    .filter(([k]) => k.startsWith('ingest.skipped.'))
    .reduce((n, [, v]) => n + v, 0);
}

describe.runIf(haveSharedData())('readArchive on the real WARC/WET samples', () => {
  const samples = () =>
    ['commoncrawl', 'other'].flatMap(dir =>
      readdirSync(cc(dir))
        .filter(n => /\.warc(\.(wet|wat))?\.gz$/.test(n))
        .map(n => cc(`${dir}/${n}`)),
    );
  const results = new Map<string, { docs: Doc[]; ctx: StageContext<IngestConfig>; types: Record<string, number> }>();
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('qcc-ingest-');
    for (const file of samples()) {
      const ctx = context();
      const { docs, error } = await collect(file, ctx);
      if (error) throw error;
      results.set(file, { docs, ctx, types: await countTypes(file) });
    }
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('docs = response/conversion records - counted skips, for every file', () => {
    expect(results.size).toBeGreaterThanOrEqual(7);
    const table: string[] = [];
    let total = 0;
    for (const [file, { docs, ctx, types }] of results) {
      const c = ctx.counters;
      for (const [type, n] of Object.entries(types)) expect(c.get(`ingest.records.${type}`), `${file} ${type}`).toBe(n);
      const candidates = (types.response ?? 0) + (types.conversion ?? 0);
      expect(docs.length, file).toBe(candidates - skips(ctx));
      expect(c.get('ingest.docs')).toBe(docs.length);
      if (candidates > 0) expect(docs.length, `${file}: no docs at all`).toBeGreaterThan(0);
      total += docs.length;
      table.push(`${file.split('/').pop()}: ${docs.length} docs of ${candidates} response/conversion records`);
    }
    console.log(table.join('\n'));
    expect(total).toBeGreaterThanOrEqual(50);
  });

  it('a doc id is stable: the sha1 of its WARC-Record-ID, one id per record', () => {
    const first = results.get(cc('other/sample-0000.warc.gz'))!.docs[0]!;
    expect(warcSource(first).record_id).toBe('<urn:uuid:283E41D7-F686-4C3E-B7DA-E8D248A100C1>');
    expect(first.id).toBe('613867e9978b6197231ff7a8d9e667db37b376c4');
    const ids = [...results.values()].flatMap(({ docs }) => docs.map(d => d.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every doc carries its provenance and the byte range re-reads the same record', async () => {
    let reread = 0;
    for (const [file, { docs }] of results) {
      let lastOffset = -1;
      for (const d of docs) {
        const s = warcSource(d);
        expect(d.url).toMatch(/^https?:\/\/[^<>\s]+$/);
        expect(s.timestamp).toBeTruthy();
        expect(s.record_id).toMatch(/^<urn:uuid:[0-9a-f-]+>$/i);
        expect(d.id).toMatch(/^[0-9a-f]{40}$/);
        expect(s.warc_file).toBe(file);
        expect(s.kind).toBe(file.endsWith('.wet.gz') ? 'wet' : 'warc');
        expect(s.offset).toBeGreaterThan(lastOffset);
        expect(s.length).toBeGreaterThan(0);
        expect(s.offset + s.length).toBeLessThanOrEqual(statSync(file).size);
        expect(s.content_digest).toMatch(/^sha1:/);
        expect(d.lang?.code).toMatch(/^[a-z]{2,3}$/);
        lastOffset = s.offset;
        const again = await readRecordAt(file, s.offset, s.length);
        expect(again.recordId).toBe(s.record_id);
        expect(again.url).toBe(d.url);
        expect(again.warcType).toBe(s.kind === 'wet' ? 'conversion' : 'response');
        reread++;
      }
    }
    expect(reread).toBeGreaterThanOrEqual(50);
  });

  it('the crawl comes from the warcinfo record (isPartOf)', () => {
    const crawlOf = (name: string) => new Set(results.get(cc(name))!.docs.map(d => warcSource(d).crawl));
    expect(crawlOf(CC2020)).toEqual(new Set(['CC-MAIN-2020-34']));
    // whirlwind's file name has no crawl in it: this one can only come from warcinfo.
    expect(crawlOf('commoncrawl/whirlwind.warc.gz')).toEqual(new Set(['CC-MAIN-2024-22']));
    expect(crawlOf('commoncrawl/whirlwind.warc.wet.gz')).toEqual(new Set(['CC-MAIN-2024-22']));
    expect(crawlOf('other/clueweb-quirk.warc.gz')).toEqual(new Set(['clueweb09-ja']));
  });

  it('strips the <...> that wraps WARC-Target-URI in the wget samples', async () => {
    const raw = gunzipSync(await readFile(cc('other/sample-0000.warc.gz'))).toString('latin1');
    expect(raw).toMatch(/WARC-Target-URI: <https?:\/\//);
    const docs = results.get(cc('other/sample-0000.warc.gz'))!.docs;
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(d.url).not.toMatch(/[<>]/);
  });

  it('reads ClueWeb HTTP heads that end lines with a bare LF (the text starts where the page does)', () => {
    const docs = results.get(cc('other/clueweb-quirk.warc.gz'))!.docs;
    expect(docs.length).toBeGreaterThan(15);
    for (const d of docs) {
      expect(d.lang?.code).toBe('ja');
      expect(d.text).not.toMatch(/Content-Type:|Set-Cookie:|<\/?[a-z]+[\s>]/i);
    }
  });

  it('an HTML page is main text, not markup; a WET conversion is its text as is', async () => {
    const [page] = results.get(cc('commoncrawl/whirlwind.warc.gz'))!.docs;
    expect(page!.text.length).toBeGreaterThan(500);
    expect(page!.text).not.toMatch(/<\/?(div|script|p|a)[\s>]/);
    expect(warcSource(page!).content_type).toMatch(/^text\/html/);
    const [wet] = results.get(cc('commoncrawl/whirlwind.warc.wet.gz'))!.docs;
    const raw = gunzipSync(await readFile(cc('commoncrawl/whirlwind.warc.wet.gz'))).toString('utf8');
    expect(raw).toContain(wet!.text.slice(0, 200));
    expect(wet!.url).toBe(page!.url);
  });

  it('a file without warcinfo takes the crawl from its name', async () => {
    // The WET sample minus its first gzip member (the warcinfo record), under a crawl-like name.
    const bytes = await readFile(cc('commoncrawl/whirlwind.warc.wet.gz'));
    const warcinfoEnd = warcSource(results.get(cc('commoncrawl/whirlwind.warc.wet.gz'))!.docs[0]!).offset;
    const file = join(dir, 'CC-MAIN-2023-50-no-warcinfo.warc.wet.gz');
    await writeFile(file, bytes.subarray(warcinfoEnd));
    const { docs, error } = await collect(file, context());
    expect(error).toBeUndefined();
    expect(docs).toHaveLength(1);
    expect(warcSource(docs[0]!).crawl).toBe('CC-MAIN-2023-50');
    expect(warcSource(docs[0]!).offset).toBe(0);
    expect(crawlFromFileName('crawl-data/CC-MAIN-2024-22/segments/x.warc.gz')).toBe('CC-MAIN-2024-22');
    expect(crawlFromFileName(cc(CC2020))).toBeUndefined();
  });

  it('an uncompressed WARC gives the same docs, with offsets into the plain file', async () => {
    const file = join(dir, 'sample-0000.warc');
    await writeFile(file, gunzipSync(await readFile(cc('other/sample-0000.warc.gz'))));
    const { docs, error } = await collect(file, context());
    expect(error).toBeUndefined();
    const gz = results.get(cc('other/sample-0000.warc.gz'))!.docs;
    expect(docs.map(d => [d.id, d.text])).toEqual(gz.map(d => [d.id, d.text]));
    for (const d of docs) {
      const s = warcSource(d);
      expect((await readRecordAt(file, s.offset, s.length)).recordId).toBe(s.record_id);
    }
  });

  it('pages over max_page_bytes are counted as too_large, and the books still balance', async () => {
    const file = cc('other/sample-0000.warc.gz');
    const ctx = context({ max_page_bytes: 40_000 });
    const { docs, error } = await collect(file, ctx);
    expect(error).toBeUndefined();
    expect(ctx.counters.get('ingest.skipped.too_large')).toBeGreaterThan(0);
    expect(docs.length).toBe(ctx.counters.get('ingest.records.response') - skips(ctx));
    expect(docs.length).toBeLessThan(results.get(file)!.docs.length);
  });
});

describe.runIf(haveSharedData())('readArchive on malformed input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('qcc-ingest-bad-');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the truncated real file: on_error 'fail' throws an IngestError naming the file and the offset", async () => {
    const file = cc(CLIPPED);
    const { docs, error } = await collect(file, context());
    expect(docs).toHaveLength(0);
    expect(error).toBeInstanceOf(IngestError);
    const err = error as IngestError;
    expect(err.message).toBe(`${file}: truncated gzip member at offset 0`);
    expect(err.kind).toBe('truncated_gzip');
    expect(err.offset).toBe(0);
  });

  it("the truncated real file: on_error 'skip' counts the error, warns and ends", async () => {
    const ctx = context({ on_error: 'skip' });
    const { docs, error } = await collect(cc(CLIPPED), ctx);
    expect(error).toBeUndefined();
    expect(docs).toHaveLength(0);
    expect(ctx.counters.get('ingest.errors.truncated_gzip')).toBe(1);
    expect(ctx.warnings.join('\n')).toContain(`${cc(CLIPPED)}: truncated gzip member at offset 0`);
  });

  it('a truncated member after good records: what came before is yielded, then the error', async () => {
    const good = await readFile(cc('commoncrawl/whirlwind.warc.gz'));
    const file = join(dir, 'good-then-clipped.warc.gz');
    await writeFile(file, Buffer.concat([good, await readFile(cc(CLIPPED))]));
    const failed = await collect(file, context());
    expect(failed.docs).toHaveLength(1);
    expect((failed.error as IngestError).message).toBe(`${file}: truncated gzip member at offset ${good.length}`);
    const ctx = context({ on_error: 'skip' });
    const skipped = await collect(file, ctx);
    expect(skipped.error).toBeUndefined();
    expect(skipped.docs.map(d => d.id)).toEqual(failed.docs.map(d => d.id));
    expect(ctx.counters.get('ingest.errors.truncated_gzip')).toBe(1);
  });

  it("a truncated member before good records: 'skip' resumes at the next gzip member", async () => {
    const clipped = await readFile(cc(CLIPPED));
    const file = join(dir, 'clipped-then-good.warc.gz');
    await writeFile(file, Buffer.concat([clipped, await readFile(cc('other/sample-0001.warc.gz'))]));
    const failed = await collect(file, context());
    expect(failed.docs).toHaveLength(0);
    expect(failed.error).toBeInstanceOf(IngestError);
    expect((failed.error as IngestError).message).toMatch(new RegExp(`^${file}: .*gzip member at offset 0$`));

    const ctx = context({ on_error: 'skip' });
    const { docs, error } = await collect(file, ctx);
    expect(error).toBeUndefined();
    expect(ctx.counters.get('ingest.errors.corrupt_gzip') + ctx.counters.get('ingest.errors.truncated_gzip')).toBe(1);
    const alone = await collect(cc('other/sample-0001.warc.gz'), context());
    expect(docs.map(d => d.id)).toEqual(alone.docs.map(d => d.id));
    expect(docs.length).toBeGreaterThan(5);
    for (const [i, d] of docs.entries()) {
      expect(warcSource(d).offset).toBe(warcSource(alone.docs[i]!).offset + clipped.length);
      expect((await readRecordAt(file, warcSource(d).offset, warcSource(d).length)).recordId).toBe(
        warcSource(d).record_id,
      );
    }
  });

  it('corrupt bytes inside a gzip member: an error at that member; skip goes on after it', async () => {
    const bytes = Buffer.from(await readFile(cc('other/sample-0001.warc.gz')));
    const alone = await collect(cc('other/sample-0001.warc.gz'), context());
    // Overwrite 64 bytes in the middle of the member of the 5th doc's record.
    const victim = warcSource(alone.docs[4]!);
    const at = victim.offset + Math.floor(victim.length / 2);
    for (let i = 0; i < 64; i++) bytes[at + i] = (bytes[at + i]! ^ 0x5a) & 0xff;
    const file = join(dir, 'corrupt.warc.gz');
    await writeFile(file, bytes);
    const failed = await collect(file, context());
    const err = failed.error as IngestError;
    expect(err).toBeInstanceOf(IngestError);
    expect(err.message).toMatch(new RegExp(`^${file}: .* at offset ${victim.offset}$`));
    expect(failed.docs.map(d => d.id)).toEqual(alone.docs.slice(0, 4).map(d => d.id));

    const ctx = context({ on_error: 'skip' });
    const { docs, error } = await collect(file, ctx);
    expect(error).toBeUndefined();
    expect(ctx.counters.get(`ingest.errors.${err.kind}`)).toBe(1);
    const expected = alone.docs.filter(d => d.id !== alone.docs[4]!.id).map(d => d.id);
    expect(docs.map(d => d.id)).toEqual(expected);
  });

  it('a bad record header in a plain WARC: named with its offset; skip resumes at the next record', async () => {
    const plain = gunzipSync(await readFile(cc('other/sample-0000.warc.gz')));
    let at = -1;
    for (let i = 0; i < 5; i++) at = plain.indexOf('WARC/1.0\r\n', at + 1);
    plain.write('WARX', at, 'latin1');
    const file = join(dir, 'bad-header.warc');
    await writeFile(file, plain);
    const failed = await collect(file, context());
    expect((failed.error as IngestError).message).toMatch(
      new RegExp(`^${file}: bad WARC header \\(status line "WARX/1.0"\\) at offset ${at}$`),
    );
    const ctx = context({ on_error: 'skip' });
    const { docs, error } = await collect(file, ctx);
    expect(error).toBeUndefined();
    expect(ctx.counters.get('ingest.errors.bad_header')).toBe(1);
    expect(docs.length).toBeGreaterThan(failed.docs.length);
  });

  it('a record cut short in a plain WARC is a truncated_record error', async () => {
    const plain = gunzipSync(await readFile(cc('other/sample-0000.warc.gz')));
    const file = join(dir, 'cut.warc');
    await writeFile(file, plain.subarray(0, Math.floor(plain.length / 2)));
    const { docs, error } = await collect(file, context());
    expect(docs.length).toBeGreaterThan(0);
    expect((error as IngestError).kind).toBe('truncated_record');
    expect((error as IngestError).message).toMatch(new RegExp(`^${file}: truncated record .* at offset \\d+$`));
  });

  it('garbage is a bad_header error at offset 0, gzip or not', async () => {
    // A gzip file that is not a WARC (a crawl's path listing), and a plain text file.
    const paths = cc('commoncrawl/CC-MAIN-2024-22.warc.paths.gz');
    const listing = await collect(paths, context());
    expect((listing.error as IngestError).message).toMatch(new RegExp(`^${paths}: bad WARC header .* at offset 0$`));
    const file = join(dir, 'text.warc');
    await writeFile(file, await readFile(join(cc('..'), 'README.md')));
    const { error } = await collect(file, context());
    expect((error as IngestError).kind).toBe('bad_header');
    expect((error as IngestError).offset).toBe(0);
  });

  it('a missing path is an IngestError naming the path', async () => {
    const file = join(dir, 'nowhere.warc.gz');
    const { error } = await collect(file, context());
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).message).toBe(`${file}: file not found`);
    await expect(readRecordAt(file, 0, 10)).rejects.toThrow(file);
  });
});
