/**
 * One record's block to a Doc: HTTP parsing, content and transfer codings, charset, main text,
 * language. Pure (no I/O, no warcio), so it runs the same on the main thread and in extract workers.
 */
import { createHash } from 'node:crypto';
import type { Doc, WarcSource } from '../../core/types.js';
import type { IngestConfig } from './config.js';
import { htmlSource } from './decode.js';
import { extractMainTextFrom } from './extract.js';
import { decodeBody, mimeOf, parseHttpResponse } from './http.js';
import { identifyLanguage } from './langid.js';

const HTML_MIMES = new Set(['text/html', 'application/xhtml+xml']);

export function sha1Hex(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}

/** The WARC header fields a Doc needs, as plain data (it crosses to worker threads). */
export interface RecordHead {
  type: string;
  recordId: string;
  contentType?: string;
  identifiedType?: string;
  date?: string;
  digest?: string;
  targetUri?: string;
}

/** A document (with the quirks met on the way, counted as `ingest.quirk.<name>`), or why there is none. */
export type Built = ({ doc: Doc } | { skip: string }) & { quirk?: string };

/**
 * Longest `WARC-Target-URI` kept, in characters; a record with a longer one is skipped and counted
 * as `ingest.skipped.url_too_long` (a URL cut short would be a wrong URL, and this long one is not a
 * page address anyone can use; the FTS5 index and the JSONL shards stay protected).
 */
export const MAX_URL_CHARS = 8 * 1024;

export interface BuildInput {
  file: string;
  head: RecordHead;
  block: Uint8Array;
  offset: number;
  length: number;
  config: IngestConfig;
  crawl: string | undefined;
}

/** Counter-safe name part: lower-case, [a-z0-9._+/-], at most 60 characters. */
export function counterPart(s: string): string {
  const clean = s
    .toLowerCase()
    .replace(/[^a-z0-9._+/-]+/g, '_')
    .slice(0, 60);
  return clean || 'unknown';
}

function stripAngles(uri: string | null | undefined): string | undefined {
  if (!uri) return undefined;
  let u = uri.trim();
  if (u.startsWith('<') && u.endsWith('>')) u = u.slice(1, -1).trim();
  return u || undefined;
}

function sniffHtml(body: Uint8Array): boolean {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, 1024))
    .toString('latin1')
    .toLowerCase();
  return /<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]/.test(head);
}

export function buildDoc(input: BuildInput): Built {
  const seen: { quirk?: string } = {};
  const built = build(input, seen);
  if (seen.quirk) built.quirk = seen.quirk;
  return built;
}

function build({ file, head: h, block, offset, length, config, crawl }: BuildInput, seen: { quirk?: string }): Built {
  if (h.targetUri !== undefined && h.targetUri.length > MAX_URL_CHARS) return { skip: 'url_too_long' };
  let text: string;
  let contentType: string | undefined;
  let kind: WarcSource['kind'];
  if (h.type === 'conversion') {
    kind = 'wet';
    contentType = h.contentType;
    text = new TextDecoder('utf-8').decode(block).trim();
  } else {
    kind = 'warc';
    const warcCt = mimeOf(h.contentType);
    if (warcCt && !warcCt.startsWith('application/http')) return { skip: `non_html:${counterPart(warcCt)}` };
    const http = parseHttpResponse(block);
    if (http.statusQuirk) seen.quirk = 'status_line';
    if (http.status === undefined) return { skip: 'http_status:invalid' };
    if (http.status < 200 || http.status > 299) return { skip: `http_status:${http.status}` };
    contentType = http.headers.get('content-type');
    let mime = mimeOf(contentType);
    if (!mime) mime = mimeOf(h.identifiedType);
    if (!mime && sniffHtml(http.body)) mime = 'text/html';
    if (!HTML_MIMES.has(mime)) return { skip: `non_html:${counterPart(mime || 'unknown')}` };
    const body = decodeBody(http, config.max_page_bytes);
    if (!body.ok) return { skip: body.reason };
    text = extractMainTextFrom(htmlSource(body.body, contentType));
    if (!contentType) contentType = mime;
  }
  if (text.length < config.min_text_chars) return { skip: 'short_text' };

  const source: WarcSource = { kind, warc_file: file, offset, length, record_id: h.recordId };
  if (crawl) source.crawl = crawl;
  if (h.date) source.timestamp = h.date;
  if (h.digest) source.content_digest = h.digest;
  if (contentType) source.content_type = contentType;
  const doc: Doc = { id: sha1Hex(h.recordId), text, source, lang: identifyLanguage(text) };
  const url = stripAngles(h.targetUri);
  if (url) doc.url = url;
  return { doc };
}
