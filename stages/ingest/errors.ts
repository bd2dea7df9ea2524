/** Kinds of malformed input the ingest stage reports. Counted as `ingest.errors.<kind>` under on_error 'skip'. */
export type IngestErrorKind =
  | 'missing_file'
  | 'truncated_gzip'
  | 'corrupt_gzip'
  | 'truncated_record'
  | 'bad_header'
  | 'header_too_long'
  | 'line_too_long'
  | 'trailing_garbage'
  | 'bad_json'
  | 'missing_field'
  | 'read_error';

export interface IngestErrorWhere {
  file: string;
  /** Byte offset in the file (of the gzip member for gzip files). */
  offset?: number;
  /** 1-based line, for JSONL corpora. */
  line?: number;
  field?: string;
}

/**
 * Malformed or unreadable input. The message always starts with the file, then says where:
 * "<file>: truncated gzip member at offset 12345", "<file>: line 7: invalid JSON (...)".
 */
export class IngestError extends Error {
  readonly kind: IngestErrorKind;
  readonly file: string;
  readonly offset?: number;
  readonly line?: number;
  readonly field?: string;

  constructor(kind: IngestErrorKind, message: string, where: IngestErrorWhere, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestError';
    this.kind = kind;
    this.file = where.file;
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.line !== undefined) this.line = where.line;
    if (where.field !== undefined) this.field = where.field;
  }
}
