/**
 * Fault tests of the ingest acceptance list at the WARC level: a 50 MB page, non-UTF-8 pages
 * through the whole read path, and the real legacy-encoded pages of trafilatura's evaluation set.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  decodeHtml,
  extractMainText,
  ingestConfigSchema,
  readArchive,
  readRecordAt,
  type IngestConfigInput,
} from '../stages/ingest/index.js';
import { cc, haveSharedData, sharedData, tempDir } from './helpers.js';

const CC2020 = cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz');
const sentences = (lang: string) =>
  readFileSync(join(sharedData, 'langid', 'lingua-testdata', 'language-testdata', 'sentences', `${lang}.txt`), 'utf8')
    .split('\n')
    .filter(l => l.trim());

let n = 0;
/** One gzip member holding one WARC response record with this HTTP head and body. */
function responseMember(url: string, httpHead: string, body: Uint8Array): Buffer {
  const block = Buffer.concat([Buffer.from(httpHead.replace(/\n/g, '\r\n') + '\r\n\r\n', 'latin1'), body]);
  const head =
    `WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: 2024-05-18T01:58:10Z\r\n` +
    `WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-${String(++n).padStart(12, '0')}>\r\n` +
    `WARC-Target-URI: ${url}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: ${block.length}\r\n\r\n`;
  return gzipSync(Buffer.concat([Buffer.from(head, 'latin1'), block, Buffer.from('\r\n\r\n')]));
}

/** The first response records of the real CC-MAIN-2020-34 sample, as their own gzip members. */
async function realMembers(count: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const file = readFileSync(CC2020);
  const parser = new WARCParser(createReadStream(CC2020));
  for (;;) {
    const r = await parser.parse();
    if (!r || out.length >= count) break;
    await r.skipFully();
    if (r.warcType === 'response') out.push(file.subarray(parser.offset, parser.offset + parser.recordLength));
  }
  return out;
}

async function read(file: string, config: IngestConfigInput = {}) {
  const ctx = testContext(ingestConfigSchema.parse(config));
  const docs: Doc[] = [];
  for await (const d of readArchive(file, ctx)) docs.push(d);
  return { docs, counters: ctx.counters.toJSON() };
}

describe.runIf(haveSharedData())('ingest faults: huge pages and legacy encodings, end to end', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('a 50 MB page between real records: skipped as too_large under the 5 MB default, counted, neighbours kept', async () => {
    const real = await realMembers(4);
    const paragraph = `<p>${sentences('en').slice(0, 50).join(' ')}</p>\n`;
    const huge = Buffer.from(`<html><body>${paragraph.repeat(Math.ceil((50 << 20) / paragraph.length))}</body></html>`);
    expect(huge.length).toBeGreaterThan(50 << 20);
    const file = join(dir, 'huge.warc.gz');
    await writeFile(
      file,
      Buffer.concat([
        real[0]!,
        real[1]!,
        responseMember('http://huge.example/', 'HTTP/1.1 200 OK\nContent-Type: text/html', huge),
        real[2]!,
        real[3]!,
      ]),
    );
    const base = await read(file);
    expect(base.counters['ingest.skipped.too_large']).toBe(1);
    expect(base.counters['ingest.records.response']).toBe(5);
    expect(base.docs.some(d => d.url === 'http://huge.example/')).toBe(false);
    const realOnly = join(dir, 'real.warc.gz');
    await writeFile(realOnly, Buffer.concat(real));
    const expected = await read(realOnly);
    expect(base.docs.map(d => d.text)).toEqual(expected.docs.map(d => d.text));

    // Raised above the page: it is read and extracted, and its byte range re-reads the record.
    const raised = await read(file, { max_page_bytes: 64 << 20 });
    const page = raised.docs.find(d => d.url === 'http://huge.example/')!;
    expect(page.text.length).toBeGreaterThan(40 << 20);
    expect(page.text.startsWith(sentences('en')[0]!.trim())).toBe(true);
    const src = page.source as { offset: number; length: number };
    expect((await readRecordAt(file, src.offset, src.length)).url).toBe('http://huge.example/');
  });

  it('a gzip-encoded body that inflates past the cap (a 50 MB page in 50 KB) is too_large, not a memory spike', async () => {
    const inflated = Buffer.alloc(50 << 20, 'a');
    const bomb = gzipSync(inflated);
    expect(bomb.length).toBeLessThan(100_000);
    const file = join(dir, 'bomb.warc.gz');
    await writeFile(
      file,
      responseMember('http://bomb.example/', 'HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Encoding: gzip', bomb),
    );
    const { docs, counters } = await read(file);
    expect(docs).toEqual([]);
    expect(counters['ingest.skipped.too_large']).toBe(1);
  });

  it('windows-1251 and Shift_JIS pages: charset from the HTTP header, from <meta>, or sniffed; the text comes out right', async () => {
    const ru = sentences('ru').slice(0, 12).join(' ');
    const ja = sentences('ja')
      .filter(l => {
        try {
          encodeShiftJis(l);
          return true;
        } catch {
          return false; // a few characters (e.g. a wave dash) have no Shift_JIS code
        }
      })
      .slice(0, 12)
      .join('');
    const cp1251 = new Uint8Array([...ru].map(ch => cp1251Byte(ch)));
    const sjis = encodeShiftJis(ja);
    const page = (lang: string, head: string, body: Uint8Array) =>
      new Uint8Array([
        ...Buffer.from(`<html lang="${lang}"><head>${head}<title>t</title></head><body><article><p>`, 'latin1'),
        ...body,
        ...Buffer.from('</p></article></body></html>', 'latin1'),
      ]);
    const file = join(dir, 'legacy.warc.gz');
    await writeFile(
      file,
      Buffer.concat([
        responseMember(
          'http://ru.example/header',
          'HTTP/1.1 200 OK\nContent-Type: text/html; charset=windows-1251',
          page('ru', '', cp1251),
        ),
        responseMember(
          'http://ru.example/meta',
          'HTTP/1.1 200 OK\nContent-Type: text/html',
          page('ru', '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', cp1251),
        ),
        responseMember(
          'http://ja.example/header',
          'HTTP/1.1 200 OK\nContent-Type: text/html; charset=Shift_JIS',
          page('ja', '', sjis),
        ),
        responseMember(
          'http://ja.example/meta',
          'HTTP/1.1 200 OK\nContent-Type: text/html',
          page('ja', '<meta charset="shift_jis">', sjis),
        ),
      ]),
    );
    const { docs } = await read(file, { min_text_chars: 0 });
    expect(docs.map(d => d.url)).toEqual([
      'http://ru.example/header',
      'http://ru.example/meta',
      'http://ja.example/header',
      'http://ja.example/meta',
    ]);
    const squash = (s: string) => s.replace(/\s+/g, '');
    for (const d of docs.slice(0, 2)) {
      expect(squash(d.text)).toBe(squash(ru));
      expect(d.lang?.code).toBe('ru');
    }
    for (const d of docs.slice(2)) {
      expect(squash(d.text)).toBe(squash(ja));
      expect(d.lang?.code).toBe('ja');
    }
  });

  describe("the legacy-encoded pages of trafilatura's evaluation set (ISO-8859-1, windows-1250, windows-1252)", () => {
    let root: string;
    beforeAll(async () => {
      root = await tempDir('qcc-traf-');
      execFileSync('tar', [
        '-xJf',
        join(sharedData, 'extraction', 'trafilatura-eval', 'html-tests-eval-and-cache.tar.xz'),
        '-C',
        root,
      ]);
    });
    afterAll(async () => rm(root, { recursive: true, force: true }));

    it('each real page that is not valid UTF-8 decodes so that its must-contain snippets are found (no mojibake)', () => {
      const data: Record<string, { file: string; with: string[] }> = JSON.parse(
        readFileSync(join(sharedData, 'extraction', 'trafilatura-eval', 'evaldata.json'), 'utf8'),
      );
      const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
      let pages = 0;
      let found = 0;
      let total = 0;
      let nonAsciiFound = 0;
      let nonAscii = 0;
      let nonAsciiLossy = 0;
      for (const entry of Object.values(data)) {
        const file = [join(root, 'tests', 'eval', entry.file), join(root, 'tests', 'cache', entry.file)].find(
          existsSync,
        )!;
        const bytes = readFileSync(file);
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
          continue;
        } catch {
          pages++;
        }
        const html = decodeHtml(bytes);
        const text = norm(extractMainText(html));
        const lossy = norm(extractMainText(new TextDecoder('utf-8').decode(bytes)));
        expect(text, entry.file).not.toContain('\uFFFD');
        for (const s of entry.with) {
          total++;
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, NUL included
          if (/[^\x00-\x7f]/.test(s)) {
            nonAscii++;
            if (lossy.includes(norm(s))) nonAsciiLossy++;
          }
          if (text.includes(norm(s))) {
            found++;
            // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, NUL included
            if (/[^\x00-\x7f]/.test(s)) nonAsciiFound++;
          }
        }
      }
      console.log(
        `legacy-encoded trafilatura pages: ${pages}, must-contain snippets in the extracted text ${found}/${total}; ` +
          `snippets with non-ASCII letters found ${nonAsciiFound}/${nonAscii} (read as UTF-8 instead: ${nonAsciiLossy})`,
      );
      expect(pages).toBeGreaterThanOrEqual(20);
      // Decoding: accented snippets are found about as often as the others; read as UTF-8, most are lost (those left are written as entities).
      expect(nonAsciiFound / nonAscii).toBeGreaterThanOrEqual(0.75);
      expect(nonAsciiLossy).toBeLessThan(nonAsciiFound / 2);
      // Extraction on these pages is in line with the whole set.
      expect(found / total).toBeGreaterThanOrEqual(0.8);
      expect(nonAsciiFound).toBeGreaterThanOrEqual(10);
    });
  });
});

/** windows-1251 byte of one character (Cyrillic block, ASCII, a few punctuation marks). */
function cp1251Byte(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c < 0x80) return c;
  if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0;
  const extra: Record<string, number> = {
    Ё: 0xa8,
    ё: 0xb8,
    '«': 0xab,
    '»': 0xbb,
    '—': 0x97,
    '–': 0x96,
    '№': 0xb9,
    '\u00a0': 0xa0,
    '…': 0x85,
    '„': 0x84,
    '“': 0x93,
    '”': 0x94,
  };
  if (extra[ch] !== undefined) return extra[ch];
  throw new Error(`no windows-1251 byte for ${JSON.stringify(ch)}`);
}

/** Shift_JIS bytes, from the decoder's own table (TextDecoder is the reference; Node has no encoder). */
let sjisTable: Map<string, number[]> | undefined;
function shiftJisTable(): Map<string, number[]> {
  if (sjisTable) return sjisTable;
  const dec = new TextDecoder('shift_jis');
  const table = new Map<string, number[]>();
  for (let lead = 0x81; lead <= 0xfc; lead++) {
    if (lead > 0x9f && lead < 0xe0) continue;
    for (let trail = 0x40; trail <= 0xfc; trail++) {
      if (trail === 0x7f) continue;
      const ch = dec.decode(new Uint8Array([lead, trail]));
      if (ch.length === 1 && ch !== '\uFFFD' && !table.has(ch)) table.set(ch, [lead, trail]);
    }
  }
  return (sjisTable = table);
}

function encodeShiftJis(text: string): Uint8Array {
  const table = shiftJisTable();
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c >= 0xff61 && c <= 0xff9f) out.push(c - 0xff61 + 0xa1);
    else {
      const b = table.get(ch);
      if (!b) throw new Error(`no Shift_JIS code for ${ch}`);
      out.push(...b);
    }
  }
  return new Uint8Array(out);
}
