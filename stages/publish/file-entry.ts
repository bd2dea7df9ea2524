import { relative } from 'node:path';
import { sha256File } from '../../core/atomic.js';
import type { FileEntry } from '../write/manifest.js';

/** A file of a version as its manifest lists it: path relative to the version folder, records, size, checksum. */
export async function fileEntry(versionDir: string, path: string, records: number): Promise<FileEntry> {
  return { path: relative(versionDir, path), records, ...(await sha256File(path)) };
}
