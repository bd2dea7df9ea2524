/**
 * Bytes of an HTML page to a string. The charset comes from, in order: a byte-order mark, the HTTP
 * Content-Type header, a <meta charset> / <meta http-equiv> in the first 2 KB, then sniffing (valid
 * UTF-8 is UTF-8, anything else windows-1252). Decoding uses the built-in TextDecoder (full ICU:
 * windows-1251, shift_jis, euc-kr, gbk...). Unknown labels fall back to sniffing; this never throws.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

const META_SCAN_BYTES = 2048;

/** Single-byte legacy encodings: a page declared as one of these but valid multi-byte UTF-8 is UTF-8. */
const SINGLE_BYTE = /^(windows-12\d\d|iso-8859-\d+|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic|windows-874)$/;

/** The charset parameter of a Content-Type header value, if any. */
export function charsetFromContentType(contentType: string | undefined | null): string | undefined {
  if (!contentType) return undefined;
  const m = /charset\s*=\s*["']?\s*([^"';,\s]+)/i.exec(contentType);
  return m?.[1];
}

/** The charset a <meta> tag declares in the first 2 KB, if any. */
export function charsetFromMeta(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, META_SCAN_BYTES)).toString(
    'latin1',
  );
  const re = /<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([-\w.:]+)/gi;
  const m = re.exec(head);
  return m?.[1];
}

/** A TextDecoder for a label, or undefined if the label is unknown. */
function decoderFor(label: string | undefined): TextDecoder | undefined {
  if (!label) return undefined;
  try {
    return new TextDecoder(label.trim());
  } catch {
    return undefined;
  }
}

function hasNonAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return true;
  return false;
}

/** Decodes as UTF-8 (without a BOM) if the bytes are valid UTF-8, else undefined. */
function tryUtf8(bytes: Uint8Array): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const from = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, bytes.byteLength - from).toString('utf8');
}

function bomEncoding(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return undefined;
}

/** Lazily validated UTF-8 view of the bytes, so a large page is decoded as UTF-8 at most once. */
class Utf8Probe {
  private done = false;
  private value: string | undefined;
  private validity: boolean | undefined;
  constructor(private readonly bytes: Uint8Array) {}
  /** Valid UTF-8, checked without decoding. */
  get valid(): boolean {
    if (this.validity === undefined) this.validity = this.done ? this.value !== undefined : isUtf8(this.bytes);
    return this.validity;
  }
  get text(): string | undefined {
    if (!this.done) {
      this.value = tryUtf8(this.bytes);
      this.done = true;
    }
    return this.value;
  }
}

function detect(bytes: Uint8Array, contentTypeHeader: string | undefined, utf8: Utf8Probe): string {
  const bom = bomEncoding(bytes);
  if (bom) return bom;
  const fromHeader = decoderFor(charsetFromContentType(contentTypeHeader));
  let fromMeta = decoderFor(charsetFromMeta(bytes));
  // A <meta> cannot truthfully declare UTF-16 (it was read as ASCII): WHATWG says treat it as UTF-8.
  if (fromMeta?.encoding.startsWith('utf-16')) fromMeta = new TextDecoder('utf-8');
  let declared = fromHeader ?? fromMeta;
  // Servers often send a default "charset=UTF-8" for pages written in something else: if the bytes
  // are not UTF-8 and the page itself declares another charset, believe the page.
  if (declared?.encoding === 'utf-8' && fromMeta && fromMeta.encoding !== 'utf-8' && !utf8.valid) {
    declared = fromMeta;
  }
  if (!declared) return utf8.valid ? 'utf-8' : 'windows-1252';
  // Declared single-byte (often a server default of ISO-8859-1) but the bytes are valid UTF-8 with
  // multi-byte sequences: that is UTF-8; legacy single-byte text is almost never valid UTF-8.
  if (SINGLE_BYTE.test(declared.encoding) && hasNonAscii(bytes) && utf8.valid) return 'utf-8';
  return declared.encoding;
}

/** The encoding decodeHtml uses for these bytes (a WHATWG encoding name, e.g. "shift_jis"). */
export function detectHtmlEncoding(bytes: Uint8Array, contentTypeHeader?: string): string {
  return detect(bytes, contentTypeHeader, new Utf8Probe(bytes));
}

export function decodeHtml(bytes: Uint8Array, contentTypeHeader?: string): string {
  const utf8 = new Utf8Probe(bytes);
  try {
    const encoding = detect(bytes, contentTypeHeader, utf8);
    if (encoding === 'utf-8') return utf8.text ?? new TextDecoder('utf-8').decode(bytes);
    const dec = decoderFor(encoding);
    if (dec) return dec.decode(bytes);
  } catch {
    // fall through to sniffing
  }
  return utf8.text ?? new TextDecoder('windows-1252').decode(bytes);
}

/**
 * An HTML page for the scanner: `html` holds one character per byte (latin1) when the encoding lets
 * the markup be read byte by byte, and `decodeRange` decodes only the byte ranges extraction keeps
 * (text runs). Otherwise `html` is the whole page decoded and there is no decodeRange.
 */
export interface HtmlSource {
  html: string;
  decodeRange?: (from: number, to: number) => string;
}

/**
 * Encodings in which bytes below 0x80 are always ASCII (never inside a multi-byte character), so a
 * byte-range cut at '<', '>' or '&' never splits a character.
 */
const BYTEWISE_SAFE =
  /^(utf-8|windows-12\d\d|iso-8859-\d+|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic|windows-874|gbk|gb18030|big5|shift_jis|euc-jp|euc-kr)$/;

const decoders = new Map<string, TextDecoder>();
function cachedDecoder(encoding: string): TextDecoder {
  let d = decoders.get(encoding);
  if (!d) {
    d = new TextDecoder(encoding);
    decoders.set(encoding, d);
  }
  return d;
}

/** The page as the scanner reads it: the same text as decodeHtml, decoded only where it is kept. */
export function htmlSource(bytes: Uint8Array, contentTypeHeader?: string): HtmlSource {
  let encoding: string;
  try {
    encoding = detect(bytes, contentTypeHeader, new Utf8Probe(bytes));
  } catch {
    encoding = '';
  }
  if (!encoding || !BYTEWISE_SAFE.test(encoding)) return { html: decodeHtml(bytes, contentTypeHeader) };
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset + bom, bytes.byteLength - bom);
  const html = buf.toString('latin1');
  if (encoding === 'utf-8') return { html, decodeRange: (from, to) => buf.toString('utf8', from, to) };
  const dec = cachedDecoder(encoding);
  return { html, decodeRange: (from, to) => dec.decode(buf.subarray(from, to)) };
}
