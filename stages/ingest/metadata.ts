/**
 * `metadata` records: WAT files' JSON envelopes (HTTP headers, HTML <meta>, links of each capture)
 * and WARC files' `application/warc-fields` (fetchTimeMs, charset-detected, languages-cld2...).
 * Not documents: a side channel read on demand, with the same offsets as the documents.
 */
import { createReadStream } from 'node:fs';
import { cappedParser, HeaderTooLongError } from './capped-reader.js';
import { IngestError } from './errors.js';

export interface MetadataRecord {
  url?: string;
  recordId: string;
  /** The record this one describes (WARC-Refers-To, or WARC-Concurrent-To as Common Crawl writes it; "<urn:uuid:...>"). */
  refersTo?: string;
  date?: string;
  offset: number;
  length: number;
  contentType: string;
  /** application/json blocks (WAT), parsed. */
  json?: unknown;
  /** application/warc-fields blocks, as name → value (repeated names: the last). */
  fields?: Record<string, string>;
}

const strip = (v: string | null | undefined) => v?.trim().replace(/^<(.*)>$/, '$1') || undefined;

function parseFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return out;
}

/** Every metadata record of a WARC or WAT file, in file order. Bad JSON is an IngestError with the offset. */
export async function* readMetadata(file: string): AsyncGenerator<MetadataRecord> {
  const capped = cappedParser(createReadStream(file));
  const parser = capped.parser;
  for (;;) {
    let record;
    try {
      record = await capped.parse();
    } catch (e) {
      if (e instanceof HeaderTooLongError) {
        throw new IngestError(
          'header_too_long',
          `${file}: ${e.message} at offset ${parser.offset}`,
          { file, offset: parser.offset },
          { cause: e },
        );
      }
      throw new IngestError(
        'bad_header',
        `${file}: unparseable record at offset ${parser.offset}`,
        { file, offset: parser.offset },
        { cause: e },
      );
    }
    if (!record) return;
    const offset = parser.offset;
    const isMeta = record.warcType === 'metadata';
    const chunks: Uint8Array[] = [];
    for await (const c of record.reader) if (isMeta) chunks.push(c);
    if (!isMeta) continue;
    const h = record.warcHeaders.headers;
    const contentType = (h.get('Content-Type') ?? '').trim();
    const text = Buffer.concat(chunks).toString('utf8');
    const out: MetadataRecord = {
      recordId: h.get('WARC-Record-ID')?.trim() ?? '',
      offset,
      length: parser.recordLength,
      contentType,
    };
    const url = strip(record.warcTargetURI);
    if (url) out.url = url;
    const refersTo = (h.get('WARC-Refers-To') ?? h.get('WARC-Concurrent-To'))?.trim();
    if (refersTo) out.refersTo = refersTo;
    const date = h.get('WARC-Date')?.trim();
    if (date) out.date = date;
    if (/json/i.test(contentType)) {
      try {
        out.json = JSON.parse(text);
      } catch (e) {
        throw new IngestError(
          'bad_header',
          `${file}: metadata record at offset ${offset} is not valid JSON`,
          { file, offset },
          { cause: e },
        );
      }
    } else {
      out.fields = parseFields(text);
    }
    yield out;
  }
}
