/**
 * CDXJ lines (`<surt> <timestamp> {json}`) for a local WARC file, with the fields the Common Crawl
 * index serves: url, mime, mime-detected, status, digest, length, offset, filename. Lets a local
 * index server (tests, or a private crawl) answer the same API over real records.
 */
import { createReadStream } from 'node:fs';
import { WARCParser } from 'warcio';
import { mimeOf, parseHttpResponse } from '../ingest/http.js';
import { surt } from './surt.js';

export interface CdxRecord {
  urlkey: string;
  timestamp: string;
  url: string;
  mime?: string;
  'mime-detected'?: string;
  status?: string;
  digest?: string;
  length: string;
  offset: string;
  filename: string;
  [field: string]: string | undefined;
}

/** "2024-05-18T01:58:10Z" → "20240518015810". */
export function cdxTimestamp(warcDate: string): string {
  return warcDate
    .replace(/[^0-9]/g, '')
    .slice(0, 14)
    .padEnd(14, '0');
}

/** The index entries of one file's response and revisit records, in file order. */
export async function* cdxRecordsOf(file: string, filename: string): AsyncGenerator<CdxRecord> {
  const parser = new WARCParser(createReadStream(file), { parseHttp: false });
  for (;;) {
    const record = await parser.parse();
    if (!record) return;
    const offset = parser.offset;
    const type = record.warcType;
    const keep = type === 'response' || type === 'revisit';
    const chunks: Uint8Array[] = [];
    for await (const chunk of record.reader) if (keep) chunks.push(chunk);
    if (!keep) continue;
    const h = record.warcHeaders.headers;
    const url = (record.warcTargetURI ?? '').trim().replace(/^<(.*)>$/, '$1');
    const entry: CdxRecord = {
      urlkey: surt(url),
      timestamp: cdxTimestamp(h.get('WARC-Date') ?? ''),
      url,
      length: String(parser.recordLength),
      offset: String(offset),
      filename,
    };
    const http = parseHttpResponse(Buffer.concat(chunks));
    const mime = mimeOf(http.headers.get('content-type'));
    if (mime) entry.mime = mime;
    const detected = mimeOf(h.get('WARC-Identified-Payload-Type'));
    if (detected) entry['mime-detected'] = detected;
    if (http.status !== undefined) entry.status = String(http.status);
    const digest = h.get('WARC-Payload-Digest');
    if (digest) entry.digest = digest.trim().replace(/^sha1:/i, '');
    yield entry;
  }
}

export function toCdxjLine(r: CdxRecord): string {
  const { urlkey, timestamp, ...rest } = r;
  return `${urlkey} ${timestamp} ${JSON.stringify(rest)}`;
}

export function fromCdxjLine(line: string): CdxRecord {
  const first = line.indexOf(' ');
  const second = line.indexOf(' ', first + 1);
  if (first < 0 || second < 0) throw new Error(`not a CDXJ line: ${JSON.stringify(line.slice(0, 80))}`);
  return {
    urlkey: line.slice(0, first),
    timestamp: line.slice(first + 1, second),
    ...JSON.parse(line.slice(second + 1)),
  };
}
