import { join, relative } from 'node:path';
import { JsonlWriter } from '../../core/jsonl.js';
import type { Counters, Doc } from '../../core/types.js';
import { confinedPath } from '../shared/confine.js';
import type { FileEntry, Manifest } from '../write/manifest.js';
import { publishedRecord } from '../write/record-schema.js';
import { fileEntry } from './file-entry.js';

/** Where the parts go: `dataDir/<domain>/`, part `i` of `n` named by `part`. */
export interface DataLayout {
  versionDir: string;
  dataDir: string;
  part: (domainDir: string, i: number, n: number) => string;
}

/**
 * The published documents, per domain, in parts of `perPart` records (`docs` is read twice: once to count each
 * domain's parts, once to write them). A seed domain that would lead outside the data folder is an error naming it.
 */
export async function writeData(
  docs: () => AsyncIterable<Doc>,
  layout: DataLayout,
  perPart: number,
  counters: Counters,
): Promise<{ shards: FileEntry[]; domains: Manifest['domains'] }> {
  const domainDir = (domain: string) => confinedPath(layout.dataDir, [domain], 'seed domain');
  const perDomain = new Map<string, number>();
  for await (const doc of docs()) perDomain.set(doc.domain!, (perDomain.get(doc.domain!) ?? 0) + 1);
  const open = new Map<string, { writer: JsonlWriter; part: number; parts: number }>();
  const shards: FileEntry[] = [];
  const openPart = async (domain: string, part: number, parts: number) => {
    const current = { writer: await JsonlWriter.open(layout.part(domainDir(domain), part, parts)), part, parts };
    open.set(domain, current);
    return current;
  };
  const closePart = async (domain: string) => {
    const current = open.get(domain)!;
    await current.writer.close();
    shards.push(await fileEntry(layout.versionDir, current.writer.path, current.writer.records));
  };
  for await (const doc of docs()) {
    const domain = doc.domain!;
    let current = open.get(domain);
    if (current && current.writer.records >= perPart) {
      await closePart(domain);
      current = await openPart(domain, current.part + 1, current.parts);
    }
    current ??= await openPart(domain, 0, Math.ceil(perDomain.get(domain)! / perPart));
    await current.writer.write(publishedRecord(doc));
  }
  for (const domain of open.keys()) await closePart(domain);
  shards.sort((a, b) => a.path.localeCompare(b.path));
  const domains: Manifest['domains'] = {};
  const dataRel = relative(layout.versionDir, layout.dataDir);
  for (const domain of [...perDomain.keys()].sort()) {
    const mine = shards.filter(s => s.path.startsWith(join(dataRel, domain) + '/'));
    domains[domain] = {
      records: mine.reduce((n, e) => n + e.records, 0),
      bytes: mine.reduce((n, e) => n + e.bytes, 0),
    };
    counters.add(`publish.kept.${domain}`, domains[domain]!.records);
  }
  return { shards, domains };
}
