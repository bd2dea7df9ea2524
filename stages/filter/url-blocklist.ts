import { readFileSync } from 'node:fs';
import type { Doc } from '../../core/types.js';
import { checkStage, type Verdict } from './verdict.js';

export interface Blocklist {
  domains: Set<string>;
  prefixes: string[];
  file: string;
}

/** One entry a line: a domain (`example.com` blocks it and its subdomains) or a URL prefix (`http...`). */
export function readBlocklist(file: string): Blocklist {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`filters.url_blocklist.file: cannot read ${file}: ${(err as Error).message}`);
  }
  const domains = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const entry = raw.replace(/#.*/, '').trim().toLowerCase();
    if (!entry) continue;
    if (/^[a-z][a-z0-9+.-]*:\/\//.test(entry)) prefixes.push(entry);
    else domains.add(entry.replace(/^\*\./, '').replace(/\.$/, ''));
  }
  return { domains, prefixes, file };
}

export function blockedBy(url: string | undefined, list: Blocklist): string | undefined {
  if (!url) return undefined;
  const lower = url.toLowerCase();
  const prefix = list.prefixes.find(p => lower.startsWith(p));
  if (prefix) return prefix;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  for (let h = host; h.includes('.') || h.length > 0; ) {
    if (list.domains.has(h)) return h;
    const dot = h.indexOf('.');
    if (dot < 0) break;
    h = h.slice(dot + 1);
  }
  return undefined;
}

export function urlBlocklistCheck(doc: Doc, list: Blocklist): Verdict | undefined {
  const entry = blockedBy(doc.url, list);
  return entry
    ? {
        rule: 'url_blocklist',
        reason: `URL matches blocklist entry ${entry}`,
        values: { url: doc.url, entry, list: list.file },
      }
    : undefined;
}

export function urlBlocklistStage(list: Blocklist) {
  return checkStage(doc => urlBlocklistCheck(doc, list));
}
