/** One record by byte range (filename, offset, length from the index), parsed into a Doc. */
import { WARCParser } from 'warcio';
import type { Doc } from '../../core/types.js';
import type { IngestConfig } from '../ingest/config.js';
import { recordToDoc } from '../ingest/archive.js';
import type { CdxRecord } from './cdxj.js';
import { AcquireError } from './errors.js';
import { getBytes, type RetryOptions } from './retry.js';
import { fileUrl } from './paths.js';

export interface FetchedRecord {
  url: string;
  bytes: Buffer;
  warcType: string;
  recordId: string;
  /** The Doc, or why the record gives none (non_html:..., http_status:..., short_text). */
  doc?: Doc;
  skip?: string;
}

export async function fetchRecordBytes(
  baseUrl: string,
  rec: Pick<CdxRecord, 'filename' | 'offset' | 'length'>,
  opts: RetryOptions,
): Promise<{ url: string; bytes: Buffer }> {
  const offset = Number(rec.offset);
  const length = Number(rec.length);
  const url = fileUrl(baseUrl, rec.filename);
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length <= 0) {
    throw new AcquireError(url, `bad byte range offset ${rec.offset} length ${rec.length}`);
  }
  const { status, bytes } = await getBytes(url, opts, {
    range: `bytes=${offset}-${offset + length - 1}`,
    'accept-encoding': 'identity',
  });
  if (status !== 206)
    throw new AcquireError(url, `expected 206 Partial Content for a byte range, got ${status}`, { status });
  if (bytes.length !== length)
    throw new AcquireError(url, `range at offset ${offset}: got ${bytes.length} of ${length} bytes`);
  return { url, bytes };
}

/** Fetches and parses one record; the Doc's provenance is the remote filename, offset and length. */
export async function fetchRecord(
  baseUrl: string,
  rec: Pick<CdxRecord, 'filename' | 'offset' | 'length'>,
  config: IngestConfig,
  opts: RetryOptions,
): Promise<FetchedRecord> {
  const { url, bytes } = await fetchRecordBytes(baseUrl, rec, opts);
  let record;
  try {
    record = await WARCParser.parse([bytes], { parseHttp: false });
  } catch (e) {
    throw new AcquireError(url, `offset ${rec.offset}: unparseable record (${(e as Error).message})`, { cause: e });
  }
  const recordId = record?.warcHeaders.headers.get('WARC-Record-ID')?.trim();
  if (!record || !recordId || !record.warcHeaders.statusline.startsWith('WARC/')) {
    throw new AcquireError(url, `offset ${rec.offset}: no WARC record in the range`);
  }
  const chunks: Uint8Array[] = [];
  for await (const c of record.reader) chunks.push(c);
  const block = Buffer.concat(chunks);
  const declared = Number(record.warcHeaders.headers.get('Content-Length'));
  if (block.length < declared)
    throw new AcquireError(url, `offset ${rec.offset}: record cut short (${block.length} of ${declared} bytes)`);
  const out: FetchedRecord = { url, bytes, warcType: record.warcType, recordId };
  const built = recordToDoc(
    rec.filename,
    record,
    block,
    Number(rec.offset),
    Number(rec.length),
    config,
    crawlOf(rec.filename),
  );
  if ('doc' in built) out.doc = built.doc;
  else out.skip = built.skip;
  return out;
}

function crawlOf(filename: string): string | undefined {
  return /crawl-data\/(CC-MAIN-\d{4}-\d{2})\//.exec(filename)?.[1];
}
