import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { fileEntry } from '../../stages/publish/file-entry.js';
import type { FileEntry, InputFingerprint } from '../../stages/write/manifest.js';
import { inputKey, type LedgerEntry } from '../lineage.js';
import type { VersionPaths } from '../paths.js';
import type { RunContext } from '../steps/context.js';
import { DEDUP, LEDGER_KEYS } from '../steps/dedup.js';
import { INGEST } from '../steps/ingest.js';

/**
 * What later versions of the lineage need: the inputs consumed (so they are not read again) and the
 * dedup keys of the published documents (so their duplicates are not published again).
 */
export async function writeLedger(ctx: RunContext, v: VersionPaths, version: string): Promise<FileEntry[]> {
  const entries: LedgerEntry[] = ctx.state.markers(INGEST).map(m => {
    const input = m.meta!.input as InputFingerprint & { key: string };
    return {
      key: input.key ?? inputKey(input.path),
      kind: m.meta!.kind as LedgerEntry['kind'],
      location: input.path,
      bytes: input.bytes,
      sha256: input.sha256,
      version,
    };
  });
  await mkdir(dirname(v.ledgerInputs), { recursive: true });
  await writeFileAtomic(v.ledgerInputs, entries.map(e => JSON.stringify(e) + '\n').join(''));
  const files = [await fileEntry(v.dir, v.ledgerInputs, entries.length)];
  const dedup = ctx.state.read(DEDUP, 'all');
  if (dedup?.sidecars?.[LEDGER_KEYS]) {
    await copyFile(ctx.paths.dedup.ledgerKeys, v.ledgerKeys);
    files.push(await fileEntry(v.dir, v.ledgerKeys, Number(dedup.meta?.ledger_docs ?? 0)));
  }
  return files;
}
