/** The HTTP message inside a WARC response record: status, headers, body. */
import zlib from 'node:zlib';

export interface HttpMessage {
  /** Status code, undefined when the status line is not HTTP. */
  status?: number;
  /**
   * Set when the status line was read leniently: no protocol (`200 OK`) or the protocol repeated
   * (`HTTP/1.1 HTTP/1.1 200 OK`), both seen in real Wayback-derived archives.
   */
  statusQuirk?: true;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Map<string, string>;
  body: Uint8Array;
}

const HEAD_SCAN_BYTES = 64 * 1024;
const STATUS_LINE = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\b/i;
/** Any number of protocol tokens (none, or more than one) before a three-digit code and a space or the end. */
const LENIENT_STATUS_LINE = /^\s*(?:HTTP\/\d(?:\.\d)?\s+)*(\d{3})(?:\s|$)/i;

/**
 * Splits an HTTP response block into head and body. The head ends at the first CRLFCRLF or LFLF:
 * some real crawls (ClueWeb09) end header lines with a bare LF, which a CRLF-only parser reads as
 * part of the head until some CRLFCRLF deep inside the body.
 */
export function parseHttpResponse(block: Uint8Array): HttpMessage {
  const limit = Math.min(block.length, HEAD_SCAN_BYTES);
  let headEnd = -1;
  let bodyStart = block.length;
  for (let i = 0; i < limit; i++) {
    if (block[i] !== 10) continue;
    // "\n\n" or "\n\r\n"
    if (block[i + 1] === 10) {
      headEnd = i;
      bodyStart = i + 2;
      break;
    }
    if (block[i + 1] === 13 && block[i + 2] === 10) {
      headEnd = i;
      bodyStart = i + 3;
      break;
    }
  }
  const headBytes = headEnd < 0 ? block.subarray(0, limit) : block.subarray(0, headEnd);
  const head = Buffer.from(headBytes.buffer, headBytes.byteOffset, headBytes.byteLength).toString('latin1');
  const lines = head.split(/\r?\n/);
  const statusLine = lines[0] ?? '';
  const m = STATUS_LINE.exec(statusLine);
  const lenient = m ? undefined : LENIENT_STATUS_LINE.exec(statusLine);
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of lines.slice(1)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
    last = name;
  }
  const message: HttpMessage = { headers, body: headEnd < 0 ? new Uint8Array(0) : block.subarray(bodyStart) };
  if (m) message.status = Number(m[1]);
  else if (lenient) {
    message.status = Number(lenient[1]);
    message.statusQuirk = true;
  }
  return message;
}

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mimeOf(contentType: string | undefined | null): string {
  if (!contentType) return '';
  return contentType.split(';')[0]!.trim().toLowerCase();
}

/** Undoes chunked transfer coding; undefined if the body is not well-formed chunked data. */
export function dechunk(body: Uint8Array): Uint8Array | undefined {
  const out: Uint8Array[] = [];
  let pos = 0;
  let total = 0;
  for (;;) {
    let eol = pos;
    while (eol < body.length && body[eol] !== 10) eol++;
    if (eol >= body.length) return undefined;
    const sizeText = Buffer.from(body.subarray(pos, eol)).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return undefined;
    const size = parseInt(sizeText, 16);
    pos = eol + 1;
    if (size === 0) break;
    if (pos + size > body.length) return undefined;
    out.push(body.subarray(pos, pos + size));
    total += size;
    pos += size;
    if (body[pos] === 13) pos++;
    if (body[pos] === 10) pos++;
  }
  const joined = new Uint8Array(total);
  let at = 0;
  for (const c of out) {
    joined.set(c, at);
    at += c.length;
  }
  return joined;
}

export type BodyResult = { ok: true; body: Uint8Array } | { ok: false; reason: 'too_large' };

/**
 * Undoes transfer and content codings named in the headers, where the bytes really carry them:
 * archives often store the decoded payload but keep the original headers, so a failed decode keeps
 * the bytes as they are. Output is capped at maxBytes (a small gzip can expand enormously).
 */
export function decodeBody(message: HttpMessage, maxBytes: number): BodyResult {
  let body = message.body;
  const te = (message.headers.get('transfer-encoding') ?? '').toLowerCase();
  if (te.includes('chunked')) body = dechunk(body) ?? body;
  const ce = (message.headers.get('content-encoding') ?? '').toLowerCase().trim();
  const opts = { maxOutputLength: maxBytes + 1 };
  try {
    if ((ce === 'gzip' || ce === 'x-gzip') && body[0] === 0x1f && body[1] === 0x8b) {
      body = zlib.gunzipSync(body, opts);
    } else if (ce === 'deflate' && body.length > 0) {
      try {
        body = zlib.inflateSync(body, opts);
      } catch (e) {
        if (isTooLarge(e)) throw e;
        body = zlib.inflateRawSync(body, opts);
      }
    } else if (ce === 'br' && body.length > 0) {
      body = zlib.brotliDecompressSync(body, opts);
    }
  } catch (e) {
    if (isTooLarge(e)) return { ok: false, reason: 'too_large' };
    // Not really encoded: keep the stored bytes.
  }
  if (body.length > maxBytes) return { ok: false, reason: 'too_large' };
  return { ok: true, body };
}

function isTooLarge(e: unknown): boolean {
  return e instanceof RangeError || (e as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}
