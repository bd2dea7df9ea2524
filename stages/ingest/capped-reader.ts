/**
 * warcio's reader with a cap on how much it may read while looking for a record's WARC header.
 *
 * warcio reads a header line, and then the header block up to its CRLFCRLF, with no length limit: a
 * gzip member of zeros (or one header line that never ends) grows its buffers until the process
 * dies. `parseCapped` arms the cap before each parse() and disarms it once the header is read, so
 * the record's block, read later through the same reader, is not limited by it (blocks have their
 * own cap, `max_page_bytes`).
 */
import { AsyncIterReader, WARCParser, type WARCRecord } from 'warcio';

/** A WARC header (status line and fields) longer than this is refused as `header_too_long`. */
export const MAX_WARC_HEADER_BYTES = 1 << 20;

export class HeaderTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`WARC header longer than ${limit} bytes (no end of line or of header block)`);
    this.name = 'HeaderTooLongError';
  }
}

type Source = ConstructorParameters<typeof AsyncIterReader>[0];

/** The reader warcio's parser uses, with an optional byte budget on what it hands out. */
class CappedReader extends AsyncIterReader {
  /** Read offset where the budget started, or -1 when disarmed. */
  armedAt = -1;
  limit = MAX_WARC_HEADER_BYTES;

  // Not async: no extra promise per chunk on the careful path.
  override _next(): Promise<Uint8Array | null> {
    if (this.armedAt >= 0 && this._readOffset - this.armedAt > this.limit)
      return Promise.reject(new HeaderTooLongError(this.limit));
    return super._next();
  }
}

export interface CappedParser {
  parser: WARCParser;
  reader: AsyncIterReader;
  /** parser.parse(), throwing HeaderTooLongError when the header runs past the cap. */
  parse(): Promise<WARCRecord | null>;
}

/** A WARCParser over `source` (gzip detected as warcio does) whose header reads are capped. */
export function cappedParser(source: Source, opts: { limit?: number } = {}): CappedParser {
  const reader = new CappedReader(source);
  if (opts.limit !== undefined) reader.limit = opts.limit;
  const parser = new WARCParser(reader, { parseHttp: false });
  return {
    parser,
    reader,
    async parse() {
      // The previous record's unread rest is not header: skip it before the budget starts.
      await parser._record?.skipFully();
      reader.armedAt = reader._readOffset;
      try {
        const record = await parser.parse();
        // The budget is checked per chunk handed out; this makes the limit exact.
        if (record && reader._readOffset - reader.armedAt > reader.limit) throw new HeaderTooLongError(reader.limit);
        return record;
      } finally {
        reader.armedAt = -1;
      }
    },
  };
}
