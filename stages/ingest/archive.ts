/**
 * WARC/WET files to documents, with provenance precise enough to re-read each record by byte range.
 *
 * warcio's WARCParser does the record parsing and reports each record's offset and length (for gzip
 * files: of its gzip member). Around it this module guards against what warcio does not report:
 *  - a truncated gzip member makes warcio return a short payload and then hang in skipFully(), so
 *    payloads are read here to their declared length and a short read stops the parser;
 *  - corrupt deflate data makes warcio silently fall back to reading the raw bytes;
 *  - a final member too short to produce output is silently ignored: the parser's end offset is
 *    checked against the file size.
 * HTTP heads are parsed here (parseHttp: false) because warcio needs CRLF line ends and real
 * crawls (ClueWeb09) use bare LF.
 * Under on_error 'skip', reading resumes at the next gzip member (or "WARC/" line) after the fault.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import zlib from 'node:zlib';
import type { WARCRecord } from 'warcio';
import type { Doc, StageContext } from '../../core/types.js';
import type { IngestConfig } from './config.js';
import { buildDoc, counterPart, sha1Hex, type Built, type RecordHead } from './build-doc.js';
import { IngestError, type IngestErrorKind } from './errors.js';
import { BATCH, ExtractPool } from './extract-pool.js';
import { cappedParser, HeaderTooLongError, MAX_WARC_HEADER_BYTES } from './capped-reader.js';
import { GzipMembers } from './gzip-members.js';

const CRAWL_IN_NAME = /CC-MAIN-\d{4}-\d{2}(?!\d)/;

export { sha1Hex };

/** The header fields buildDoc needs. */
export function headOf(record: WARCRecord): RecordHead {
  const h = record.warcHeaders.headers;
  const head: RecordHead = { type: record.warcType, recordId: h.get('WARC-Record-ID')!.trim() };
  const ct = h.get('Content-Type');
  if (ct) head.contentType = ct;
  const identified = h.get('WARC-Identified-Payload-Type');
  if (identified) head.identifiedType = identified;
  const date = h.get('WARC-Date');
  if (date) head.date = date.trim();
  const digest = h.get('WARC-Payload-Digest') ?? h.get('WARC-Block-Digest');
  if (digest) head.digest = digest.trim();
  if (record.warcTargetURI) head.targetUri = record.warcTargetURI;
  return head;
}

/** "CC-MAIN-2024-22" from a path that contains it, else undefined. */
export function crawlFromFileName(file: string): string | undefined {
  return CRAWL_IN_NAME.exec(file)?.[0];
}

interface FileState {
  crawl?: string;
  lastMemberOffset: number;
  warnedSharedMember: boolean;
  /** WARC records read (any type). */
  records: number;
}

/** Reads the file's first bytes: gzip magic or not. */
export async function startsWithGzipMagic(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function fsCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Documents from one WARC or WET file, plain or gzip. Emits HTML `response` records (as extracted
 * main text) and WET `conversion` records (text as is); counts every record read and every
 * response/conversion record not emitted, with its reason.
 */
export function readArchive(file: string, ctx: StageContext<IngestConfig>): AsyncGenerator<Doc> {
  return readArchiveWith(file, ctx, { fastGzip: true });
}

/**
 * readArchive, with the native-zlib fast path for gzip files on or off (off: warcio reads every
 * record; the tests check that both give the same documents and counters).
 */
export async function* readArchiveWith(
  file: string,
  ctx: StageContext<IngestConfig>,
  opts: { fastGzip: boolean },
): AsyncGenerator<Doc> {
  let size: number;
  let gzip: boolean;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    size = st.size;
    gzip = await startsWithGzipMagic(file);
  } catch (e) {
    const code = fsCode(e);
    const what = code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`;
    throw new IngestError(
      code === 'ENOENT' ? 'missing_file' : 'read_error',
      `${file}: ${what}`,
      { file },
      { cause: e },
    );
  }
  const state: FileState = { lastMemberOffset: -1, warnedSharedMember: false, records: 0 };
  const fromName = crawlFromFileName(file);
  if (fromName) state.crawl = fromName;

  const pool = ctx.config.workers > 0 ? new ExtractPool(ctx.config.workers, ctx.config) : undefined;
  // Results not yet yielded, in file order; bounded so that memory stays bounded.
  const window: (Built | Promise<Built>)[] = [];
  // Several batches per worker in flight, so that a worker has the next batch while its last replies travel.
  const maxWindow = Math.max(1, ctx.config.workers * BATCH * 4);
  function* emit(built: Built): Generator<Doc> {
    if (built.quirk) ctx.counters.add(`ingest.quirk.${built.quirk}`);
    if ('skip' in built) {
      ctx.counters.add(`ingest.skipped.${built.skip}`);
      return;
    }
    ctx.counters.add('ingest.docs');
    yield built.doc;
  }
  let faulted = false;
  try {
    let start = 0;
    // gzip files start on the fast path; it hands over to the careful warcio path where it stops.
    let fast = gzip && opts.fastGzip;
    while (start < size) {
      const records = fast
        ? readFast(file, start, size, ctx, state, pool)
        : readFrom(file, start, size, gzip, ctx, state, pool, gzip && opts.fastGzip);
      let step;
      try {
        step = await records.next();
        while (!step.done) {
          window.push(step.value.result);
          while (window.length > (pool ? maxWindow : 0)) yield* emit(await window.shift()!);
          step = await records.next();
        }
        while (window.length > 0) yield* emit(await window.shift()!);
      } finally {
        // Closes the file when the consumer stops early.
        await records.return(undefined);
      }
      const result = step.value;
      if (!result) return;
      if (!(result instanceof IngestError)) {
        // The fast path stopped at a member it does not vouch for, or warcio read past it cleanly.
        fast = 'resume' in result;
        start = 'resume' in result ? result.resume : result.stop;
        continue;
      }
      const fault = result;
      faulted = true;
      if (ctx.config.on_error === 'fail') throw fault;
      ctx.counters.add(`ingest.errors.${fault.kind}`);
      ctx.log.warn(fault.message, { file, offset: fault.offset, kind: fault.kind });
      const next = await findNextRecordStart(file, (fault.offset ?? start) + 1, size, gzip);
      if (next === undefined) return;
      ctx.log.warn(`${file}: resuming at offset ${next}`, { file, offset: next });
      start = next;
      fast = gzip && opts.fastGzip;
    }
  } finally {
    await pool?.close();
    // A fault already said what is wrong with the file; silence is the case to catch.
    if (state.records === 0 && !faulted && !ctx.signal.aborted) warnEmpty(file, size, ctx);
  }
}

/** A file without a single WARC record is almost always a failed download or a wrong path: say so. */
function warnEmpty(file: string, size: number, ctx: StageContext<IngestConfig>): void {
  ctx.counters.add('ingest.empty_files');
  ctx.log.warn(`${file}: no WARC records in ${size === 0 ? 'an empty file' : `${size} bytes`}`, {
    file,
    kind: 'empty_file',
  });
}

/**
 * A record handed on: its document, or the promise of it from an extract worker. Wrapped, because an
 * async generator awaits a promise it yields, and that would wait for every worker result in turn.
 */
interface Dispatched {
  result: Built | Promise<Built>;
}

/** Room for the WARC and HTTP headers above max_page_bytes when capping a member's inflated size. */
const HEADER_SLACK = 256 * 1024;

/**
 * The fast path over a gzip file: one record per member, each member inflated whole by native zlib
 * (gzip-members.ts) and its WARC head parsed here as warcio parses it. Returns `{ stop }` at the
 * first member it does not fully vouch for (anything malformed, several records in one member, a
 * block larger than the caps), undefined at a clean end.
 */
async function* readFast(
  file: string,
  start: number,
  size: number,
  ctx: StageContext<IngestConfig>,
  state: FileState,
  pool: ExtractPool | undefined,
): AsyncGenerator<Dispatched, { stop: number } | undefined> {
  const fh = await open(file, 'r');
  try {
    const members = new GzipMembers(fh, start, size, ctx.config.max_page_bytes + HEADER_SLACK);
    for (;;) {
      ctx.signal.throwIfAborted();
      const m = await members.next();
      if (m === null) return undefined;
      if ('stop' in m) return m;
      const rec = parseWarcMember(m.data);
      if (!rec) return { stop: m.offset };
      const { head, block, declared } = rec;
      const type = head.type;
      ctx.counters.add(`ingest.records.${counterPart(type)}`);
      state.records++;
      state.lastMemberOffset = m.offset;
      if (type === 'warcinfo') {
        const partOf = warcinfoField(block, 'isPartOf');
        if (partOf) state.crawl = partOf;
        continue;
      }
      if (type !== 'response' && type !== 'conversion') continue;
      if (declared > ctx.config.max_page_bytes) {
        ctx.counters.add('ingest.skipped.too_large');
        continue;
      }
      const input = { file, head, block, offset: m.offset, length: m.length, config: ctx.config, crawl: state.crawl };
      yield { result: pool && type === 'response' ? pool.run(input) : buildDoc(input) };
    }
  } finally {
    await fh.close();
  }
}

const WARC_STATUS = /^WARC\/\d+\.\d+$/;
const DIGITS = /^\s*\d+\s*$/;

/**
 * One inflated member as exactly one WARC record, read as warcio reads it (header lines up to the
 * first CRLFCRLF, names as written, values trimmed); undefined when it is anything else.
 */
function parseWarcMember(data: Buffer): { head: RecordHead; block: Buffer; declared: number } | undefined {
  const nl = data.indexOf(10);
  if (nl < 0) return undefined;
  const status = data.toString('utf8', 0, nl).trimEnd();
  if (!WARC_STATUS.test(status)) return undefined;
  const end = data.indexOf('\r\n\r\n', nl - 1 < 0 ? 0 : nl - 1);
  if (end < 0 || end <= nl || end + 4 > MAX_WARC_HEADER_BYTES) return undefined;
  const fields = new Map<string, string>();
  for (const line of data.toString('utf8', nl + 1, end).split('\n')) {
    if (line.length === 0 || line === '\r') continue;
    if (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) return undefined; // folded: warcio's case
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trimStart();
    if (fields.has(name)) return undefined;
    fields.set(name, line.slice(colon + 1).trim());
  }
  const type = fields.get('WARC-Type');
  const cl = fields.get('Content-Length');
  const recordId = fields.get('WARC-Record-ID');
  if (!type || cl === undefined || !DIGITS.test(cl) || !recordId) return undefined;
  const declared = Number(cl);
  const from = end + 4;
  if (data.length - from < declared) return undefined;
  for (let i = from + declared; i < data.length; i++) if (data[i] !== 13 && data[i] !== 10) return undefined;
  const head: RecordHead = { type, recordId: recordId.trim() };
  const ct = fields.get('Content-Type');
  if (ct) head.contentType = ct;
  const identified = fields.get('WARC-Identified-Payload-Type');
  if (identified) head.identifiedType = identified;
  const date = fields.get('WARC-Date');
  if (date) head.date = date;
  const digest = fields.get('WARC-Payload-Digest') ?? fields.get('WARC-Block-Digest');
  if (digest) head.digest = digest;
  const uri = fields.get('WARC-Target-URI');
  if (uri) head.targetUri = uri;
  return { head, block: data.subarray(from, from + declared), declared };
}

function headerProblem(record: WARCRecord): string | undefined {
  if (!/^WARC\/\d+\.\d+$/.test(record.warcHeaders.statusline.trim())) {
    return `status line ${JSON.stringify(record.warcHeaders.statusline.slice(0, 40))}`;
  }
  if (!record.warcType) return 'no WARC-Type';
  const cl = record.warcHeaders.headers.get('Content-Length');
  if (cl === null || cl === undefined || !/^\s*\d+\s*$/.test(cl)) return `Content-Length ${JSON.stringify(cl ?? null)}`;
  if (!record.warcHeaders.headers.get('WARC-Record-ID')) return 'no WARC-Record-ID';
  return undefined;
}

/** Parses from `start` to the end; returns the first fault (undefined at a clean end). */
async function* readFrom(
  file: string,
  start: number,
  size: number,
  gzip: boolean,
  ctx: StageContext<IngestConfig>,
  state: FileState,
  pool: ExtractPool | undefined,
  /** Return `{ resume }` after the first record whose gzip member ends cleanly (back to the fast path). */
  handBack = false,
): AsyncGenerator<Dispatched, IngestError | undefined | { resume: number }> {
  const stream = createReadStream(file, { start, highWaterMark: 1 << 16 });
  const capped = cappedParser(stream);
  const parser = capped.parser;
  const reader = capped.reader as unknown as ReaderInternals;
  const fault = (kind: IngestErrorKind, offset: number, what: string, cause?: unknown) =>
    new IngestError(kind, `${file}: ${what} at offset ${offset}`, { file, offset }, { cause });
  const corrupt = () => gzip && reader.compressed === null;
  /** The offset of the gzip member the next record continues, when it shares the member (else -1). */
  let sharedMemberAt = -1;
  try {
    for (;;) {
      ctx.signal.throwIfAborted();
      let record: WARCRecord | null;
      try {
        record = await capped.parse();
      } catch (e) {
        if (e instanceof HeaderTooLongError)
          return fault('header_too_long', sharedMemberAt >= 0 ? sharedMemberAt : start + parser.offset, e.message, e);
        const code = fsCode(e);
        if (code) return fault('read_error', start + parser.offset, `read error ${code}`, e);
        if (corrupt()) return fault('corrupt_gzip', start + parser.offset, 'corrupt gzip data', e);
        return fault('bad_header', start + parser.offset, `unparseable record (${(e as Error).message})`, e);
      }
      // warcio's offset of a record that shares its gzip member with the one before depends on where
      // its read chunks fell (often the end of the member): such a record is at its member's offset.
      const offset = sharedMemberAt >= 0 ? sharedMemberAt : start + parser.offset;
      if (corrupt()) return fault('corrupt_gzip', offset, 'corrupt gzip data');
      if (!record) {
        const end = start + Math.max(parser.offset, reader.getRawOffset());
        return end < size ? await classifyTail(file, end, size, gzip) : undefined;
      }
      const problem = headerProblem(record);
      if (problem) return fault('bad_header', offset, `bad WARC header (${problem})`);

      const type = record.warcType;
      const declared = Number(record.warcHeaders.headers.get('Content-Length'));
      const wanted = type === 'response' || type === 'conversion' || type === 'warcinfo';
      const tooLarge = declared > ctx.config.max_page_bytes;
      let block: Uint8Array | undefined;
      let got: number;
      try {
        ({ block, got } = await readBlock(record, wanted && !tooLarge));
      } catch (e) {
        const code = fsCode(e);
        if (code) return fault('read_error', offset, `read error ${code}`, e);
        return fault(corrupt() ? 'corrupt_gzip' : 'bad_header', offset, 'unreadable record', e);
      }
      if (corrupt()) return fault('corrupt_gzip', offset, 'corrupt gzip data');
      if (got < declared) {
        // A gzip member cut short never completes: the raw offset stays below the file size.
        if (gzip && start + reader.getRawOffset() < size)
          return fault('truncated_gzip', offset, 'truncated gzip member');
        return fault('truncated_record', offset, `truncated record (Content-Length ${declared}, ${got} bytes)`);
      }
      let memberEnd: Awaited<ReturnType<typeof checkMemberEnd>> | undefined;
      const sameMember = offset === state.lastMemberOffset;
      if (gzip) {
        const end = await checkMemberEnd(reader);
        memberEnd = end;
        if (end === 'truncated') return fault('truncated_gzip', offset, 'truncated gzip member');
        if (end === 'corrupt') return fault('corrupt_gzip', offset, 'corrupt gzip member');
        if (end === 'misframed') {
          return fault(
            'bad_header',
            offset,
            `record does not end at its Content-Length (${declared}): other bytes follow in its gzip member`,
          );
        }
        sharedMemberAt = end === 'shared' ? offset : -1;
        if ((end === 'shared' || offset === state.lastMemberOffset) && !state.warnedSharedMember) {
          state.warnedSharedMember = true;
          ctx.log.warn(`${file}: several records share one gzip member; offsets point at the member`, { file, offset });
        }
        state.lastMemberOffset = offset;
      }
      const length = parser.recordLength;
      ctx.counters.add(`ingest.records.${counterPart(type)}`);
      state.records++;

      if (type === 'warcinfo') {
        const partOf = block ? warcinfoField(block, 'isPartOf') : undefined;
        if (partOf) state.crawl = partOf;
      } else if (type === 'response' || type === 'conversion') {
        if (tooLarge || !block) ctx.counters.add('ingest.skipped.too_large');
        else {
          const input = { file, head: headOf(record), block, offset, length, config: ctx.config, crawl: state.crawl };
          yield { result: pool && type === 'response' ? pool.run(input) : buildDoc(input) };
        }
      }
      if (handBack && memberEnd === 'ok' && !sameMember) return { resume: offset + length };
    }
  } finally {
    stream.destroy();
  }
}

/**
 * The parts of warcio's AsyncIterReader (2.4.11) this module relies on, all public in its typings:
 * the gzip inflater of the current member, the chunk it holds back after a record, and the two
 * steps of its own read loop (load a raw chunk, push it into the inflater).
 */
interface ReaderInternals {
  compressed: string | null;
  inflator: { ended: boolean; err: number; chunks: Uint8Array[] } | null;
  _savedChunk: Uint8Array | null;
  _loadNext(): Promise<Uint8Array | null>;
  _push(value: Uint8Array): void;
  getRawOffset(): number;
}

function isLineEnds(b: Uint8Array): boolean {
  for (const c of b) if (c !== 13 && c !== 10) return false;
  return true;
}

function startsWithRecord(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length && (b[i] === 13 || b[i] === 10)) i++;
  return Buffer.from(b.buffer, b.byteOffset + i, Math.min(5, b.length - i)).toString('latin1') === 'WARC/';
}

/** How far past a record's block its gzip member may run before the member is called corrupt. */
const MEMBER_TAIL_PROBE = 256 * 1024;

/**
 * After a record's block in a gzip file: does its gzip member end right after it? In a well-formed
 * file only the record's closing CRLFs remain. warcio hands out a member's output only once the
 * member ends, but not always (an output buffer can fill exactly at the block's end); then this
 * pulls raw input on into the same inflater, as warcio's own read loop would, until the member ends
 * (which also keeps warcio's offset of the next record right). 'shared': the member goes on with
 * another record (a whole-file gzip); 'truncated': the file ends inside the member; 'corrupt': it
 * goes on with something else, or inflating failed.
 */
async function checkMemberEnd(
  reader: ReaderInternals,
): Promise<'ok' | 'shared' | 'truncated' | 'corrupt' | 'misframed'> {
  // Bytes that are neither line ends nor a record, in a member that inflates cleanly: the
  // Content-Length is wrong (real WET fragments edited by hand have this); else the data is corrupt.
  const other = () =>
    reader.compressed !== null && reader.inflator && reader.inflator.err === 0 ? 'misframed' : 'corrupt';
  const saved = reader._savedChunk;
  if (saved && !isLineEnds(saved)) return startsWithRecord(saved) ? 'shared' : other();
  let pulled = 0;
  for (;;) {
    const inflator = reader.inflator;
    if (!inflator || reader.compressed === null) return 'corrupt';
    const next = inflator.chunks.find(c => !isLineEnds(c));
    if (next) return startsWithRecord(next) ? 'shared' : other();
    if (inflator.ended) return inflator.err === 0 ? 'ok' : 'corrupt';
    if (pulled > MEMBER_TAIL_PROBE) return 'corrupt';
    const value = await reader._loadNext();
    if (!value) return 'truncated';
    reader._push(value);
    pulled += value.length;
  }
}

/** Reads a record's block to its end (keeping it only if asked); `got` is the byte count seen. */
async function readBlock(record: WARCRecord, keep: boolean): Promise<{ block?: Uint8Array; got: number }> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  // The raw LimitReader, not the decoding content reader: it stops at Content-Length or at the end
  // of the data, where warcio's skipFully() would spin forever on a truncated member.
  for await (const chunk of record.reader) {
    got += chunk.length;
    if (keep) chunks.push(chunk);
  }
  if (!keep) return { got };
  return { block: Buffer.concat(chunks, got), got };
}

function warcinfoField(block: Uint8Array, name: string): string | undefined {
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('utf8');
  const re = new RegExp(`^${name}\\s*:\\s*(.+?)\\s*$`, 'im');
  return re.exec(text)?.[1];
}

/**
 * A Doc from one response or conversion record's block, or the reason it gives none (counted as
 * `ingest.skipped.<reason>`). Also used for records fetched by byte range.
 */
export function recordToDoc(
  file: string,
  record: WARCRecord,
  block: Uint8Array,
  offset: number,
  length: number,
  config: IngestConfig,
  crawl: string | undefined,
): Built {
  return buildDoc({ file, head: headOf(record), block, offset, length, config, crawl });
}

/** What lies between the last complete record and the end of the file. */
async function classifyTail(file: string, at: number, size: number, gzip: boolean): Promise<IngestError | undefined> {
  const fh = await open(file, 'r');
  let tail: Buffer;
  try {
    tail = Buffer.alloc(Math.min(4096, size - at));
    await fh.read(tail, 0, tail.length, at);
  } finally {
    await fh.close();
  }
  if (!gzip && /^[\s\0]*$/.test(tail.toString('latin1'))) return undefined;
  if (tail.length === 0) return undefined;
  const where = { file, offset: at };
  if (gzip && tail[0] === 0x1f && tail[1] === 0x8b) {
    return new IngestError('truncated_gzip', `${file}: truncated gzip member at offset ${at}`, where);
  }
  return new IngestError('trailing_garbage', `${file}: ${size - at} bytes of trailing garbage at offset ${at}`, where);
}

const SCAN_WINDOW = 1 << 20;

/**
 * The next offset >= from where a record starts: for gzip, a gzip member whose first bytes inflate
 * to "WARC/"; otherwise a line starting "WARC/<digit>.". Undefined when there is none.
 */
export async function findNextRecordStart(
  file: string,
  from: number,
  size: number,
  gzip: boolean,
): Promise<number | undefined> {
  const fh = await open(file, 'r');
  try {
    // Each window starts one byte early (to see the newline before "WARC/") and overlaps the next.
    const buf = Buffer.alloc(SCAN_WINDOW + 17);
    for (let pos = from; pos < size; pos += SCAN_WINDOW) {
      const base = pos > 0 ? pos - 1 : 0;
      const { bytesRead } = await fh.read(buf, 0, buf.length, base);
      const view = buf.subarray(0, bytesRead);
      const first = pos - base;
      const limit = Math.min(bytesRead, first + SCAN_WINDOW);
      if (gzip) {
        for (let i = view.indexOf(0x1f, first); i >= 0 && i < limit; i = view.indexOf(0x1f, i + 1)) {
          if (view[i + 1] !== 0x8b || view[i + 2] !== 0x08) continue;
          if (await inflatesToWarc(fh, base + i)) return base + i;
        }
      } else {
        for (let i = view.indexOf('WARC/', first); i >= 0 && i < limit; i = view.indexOf('WARC/', i + 1)) {
          const lineStart = base + i === 0 || view[i - 1] === 10;
          if (lineStart && /^WARC\/\d+\.\d+\r?\n/.test(view.subarray(i, i + 16).toString('latin1'))) return base + i;
        }
      }
      if (base + bytesRead >= size) break;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

async function inflatesToWarc(fh: Awaited<ReturnType<typeof open>>, at: number): Promise<boolean> {
  const probe = Buffer.alloc(64 * 1024);
  const { bytesRead } = await fh.read(probe, 0, probe.length, at);
  try {
    const out = zlib.gunzipSync(probe.subarray(0, bytesRead), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return out.subarray(0, 5).toString('latin1') === 'WARC/';
  } catch {
    return false;
  }
}
