import { createHash } from 'node:crypto';
import type { Doc } from '../../core/types.js';
import { normaliseForExactMatch } from './exact.js';
import { hashString32 } from './hash.js';

/** The URL two captures of one page share: scheme, `www.`, default port, fragment and trailing slash do not count. */
export function normaliseUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url.replace(/^<|>$/g, ''));
  } catch {
    return undefined;
  }
  const host = u.hostname.toLowerCase().replace(/^www\./, '');
  const path = u.pathname.replace(/\/+$/, '');
  return `${host}${u.port ? `:${u.port}` : ''}${path}${u.search}`;
}

/** Capture time in seconds since 1970 (0 when unknown): the newest capture of a URL is kept. */
export function captureTime(doc: Doc): number {
  const ts = doc.source.kind !== 'corpus' ? doc.source.timestamp : undefined;
  const t = ts ? Date.parse(ts) : NaN;
  return Number.isFinite(t) ? Math.max(0, Math.floor(t / 1000)) : 0;
}

/** 64 bits of the normalised-text sha1, as [hi, lo]. */
export function exactKey(doc: Doc): [number, number] {
  const hex = doc.dedup?.exact_hash ?? createHash('sha1').update(normaliseForExactMatch(doc.text)).digest('hex');
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}

/** 64-bit key of the normalised URL, [0, 0] when there is none. */
export function urlKey(doc: Doc): [number, number] {
  const norm = doc.url ? normaliseUrl(doc.url) : undefined;
  if (!norm) return [0, 0];
  const hi = hashString32(norm, 0x1234567);
  const lo = hashString32(norm, 0x7654321);
  return hi === 0 && lo === 0 ? [0, 1] : [hi, lo];
}
