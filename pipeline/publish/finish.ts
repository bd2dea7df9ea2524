import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from '../../core/types.js';
import { completeObjectStoreCopies } from '../../stages/storage/copies.js';
import { VersionedDataset } from '../../stages/write/dataset.js';
import type { LoadedConfig } from '../config.js';
import { assertLeaseHeld } from '../lock.js';
import { datasetPaths } from '../paths.js';

const versionNumber = (v: string) => Number(v.slice(1));

/** The name LATEST holds, as written (null: no LATEST file). */
function latestAsWritten(datasetDir: string): string | null {
  const file = datasetPaths(datasetDir).latest;
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

/**
 * What publishing `version` means beyond its folder, done again by a run that finds it published (a run
 * killed after the rename, or during the object-store copy): LATEST names the newest complete version, and
 * with `storage.publish_to` every version up to this one has a complete, marked object-store copy.
 */
export async function finishPublished(
  loaded: LoadedConfig,
  version: string,
  opts: { log: Logger; signal?: AbortSignal },
): Promise<void> {
  const { datasetDir, config } = loaded;
  const dataset = new VersionedDataset(datasetDir);
  const versions = dataset.versions();
  const newest = versions.at(-1);
  const named = latestAsWritten(datasetDir);
  if (newest && named !== newest) {
    assertLeaseHeld(datasetDir);
    await dataset.pointLatestAt(newest);
    opts.log.warn(
      `${datasetPaths(datasetDir).latest} named ${named ? named : '(nothing)'}, not the newest complete version ${newest} ` +
        `(a run stopped between publishing a version and moving LATEST); it now names ${newest}`,
    );
  }
  if (!config.storage.publish_to) return;
  assertLeaseHeld(datasetDir);
  const upTo = versions.filter(v => versionNumber(v) <= versionNumber(version));
  await completeObjectStoreCopies(datasetDir, upTo, config.storage.publish_to, {
    storage: config.storage,
    log: opts.log,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}
