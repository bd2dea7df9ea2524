/** Re-reads one record by byte range: the check that a Doc's provenance points at its record. */
import { open } from 'node:fs/promises';
import { cappedParser, HeaderTooLongError } from './capped-reader.js';
import { IngestError } from './errors.js';

export interface RecordAt {
  recordId: string;
  url?: string;
  warcType: string;
}

/**
 * Reads bytes [offset, offset + length) of a WARC/WET file (a gzip member for gzip files) and parses
 * the one record there. Throws an IngestError when the range is out of the file or holds no record.
 */
export async function readRecordAt(file: string, offset: number, length: number): Promise<RecordAt> {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length <= 0) {
    throw new IngestError('bad_header', `${file}: bad byte range offset ${offset} length ${length}`, { file, offset });
  }
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new IngestError(
      'missing_file',
      `${file}: cannot open (${(e as NodeJS.ErrnoException).code ?? e})`,
      { file },
      { cause: e },
    );
  }
  const buf = Buffer.alloc(length);
  let bytesRead: number;
  try {
    ({ bytesRead } = await fh.read(buf, 0, length, offset));
  } finally {
    await fh.close();
  }
  if (bytesRead < length) {
    throw new IngestError('truncated_record', `${file}: range ends past the end of the file at offset ${offset}`, {
      file,
      offset,
    });
  }
  let record;
  try {
    record = await cappedParser([buf]).parse();
  } catch (e) {
    if (!(e instanceof HeaderTooLongError)) throw e;
    throw new IngestError(
      'header_too_long',
      `${file}: ${e.message} at offset ${offset}`,
      { file, offset },
      { cause: e },
    );
  }
  const id = record?.warcHeaders.headers.get('WARC-Record-ID');
  if (!record || !id || !record.warcHeaders.statusline.startsWith('WARC/')) {
    throw new IngestError('bad_header', `${file}: no WARC record at offset ${offset}`, { file, offset });
  }
  const result: RecordAt = { recordId: id.trim(), warcType: record.warcType };
  const url = record.warcTargetURI?.trim().replace(/^<(.*)>$/, '$1');
  if (url) result.url = url;
  return result;
}
