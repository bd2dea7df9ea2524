import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { Removal } from '../../core/types.js';
import type { FileEntry } from '../write/manifest.js';
import { fileEntry } from './file-entry.js';

/** A removals file of a document step's shard. */
export interface RemovalSource {
  step: string;
  file: string;
}

/** Every document step's removals, one file per rule (at `fileOf(rule)`), in the order of `sources`. */
export async function writeRemoved(
  sources: AsyncIterable<RemovalSource>,
  versionDir: string,
  fileOf: (rule: string) => string,
): Promise<FileEntry[]> {
  const writers = new Map<string, JsonlWriter>();
  for await (const { step, file } of sources) {
    for await (const removal of readJsonl<Removal>(file)) {
      const path = fileOf(removal.rule);
      let writer = writers.get(path);
      if (!writer) {
        writer = await JsonlWriter.open(path);
        writers.set(path, writer);
      }
      await writer.write({ step, ...removal });
    }
  }
  const entries: FileEntry[] = [];
  for (const writer of writers.values()) {
    await writer.close();
    entries.push(await fileEntry(versionDir, writer.path, writer.records));
  }
  return entries.sort((a, b) => a.path.localeCompare(b.path));
}
