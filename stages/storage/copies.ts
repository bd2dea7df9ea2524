/**
 * The object-store copy of each local version has its own completion marker,
 * `<dataset>/.object-store/<version>.json`, written only once every file, the manifest and LATEST are
 * in the bucket. A version without one (a run killed mid-upload, the store down during publish) is
 * copied again by the next run, which skips the objects already there; `qcc status` lists them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File, writeFileAtomic } from '../../core/atomic.js';
import { MANIFEST_FILE } from '../../core/dataset-files.js';
import type { Logger } from '../../core/types.js';
import { publishVersionToObjectStore, type PublishToObjectStoreOptions } from './publish.js';
import { formatS3Url, joinKey, parseS3Url } from './s3-url.js';

export const COPY_MARKERS_DIR = '.object-store';

export interface CopyMarker {
  version: string;
  /** `s3://bucket/prefix/<version>/` */
  url: string;
  /** sha256 of the local manifest.json the copy was made from. */
  manifest_sha256: string;
  files: number;
  completed: string;
}

export const copyMarkerPath = (datasetDir: string, version: string) =>
  join(datasetDir, COPY_MARKERS_DIR, `${version}.json`);

export function versionUrl(targetUrl: string, version: string): string {
  const { bucket, key } = parseS3Url(targetUrl);
  return formatS3Url({ bucket, key: joinKey(key, version) }) + '/';
}

function readMarker(datasetDir: string, version: string): CopyMarker | null {
  const file = copyMarkerPath(datasetDir, version);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CopyMarker;
  } catch {
    return null; // a damaged marker only costs a re-check of the copy
  }
}

/** True when the marker says `version` was copied completely to `targetUrl` from the manifest now on disk. */
export async function copyIsComplete(datasetDir: string, version: string, targetUrl: string): Promise<boolean> {
  const marker = readMarker(datasetDir, version);
  if (!marker || marker.url !== versionUrl(targetUrl, version)) return false;
  return marker.manifest_sha256 === (await sha256File(join(datasetDir, version, MANIFEST_FILE))).sha256;
}

export class ObjectStoreCopyError extends Error {
  constructor(
    readonly version: string,
    readonly url: string,
    cause: Error,
  ) {
    super(
      `the object-store copy of ${version} to ${url} is incomplete (${cause.message}); the local version is published and safe; ` +
        `run \`qcc run\` again to complete the copy (objects already there are skipped)`,
      { cause },
    );
    this.name = 'ObjectStoreCopyError';
  }
}

/**
 * Copies every version of `versions` (oldest first) whose copy to `targetUrl` is not marked complete,
 * then marks it. Returns the versions copied.
 */
export async function completeObjectStoreCopies(
  datasetDir: string,
  versions: string[],
  targetUrl: string,
  opts: PublishToObjectStoreOptions & { log?: Logger },
): Promise<string[]> {
  const copied: string[] = [];
  for (const version of versions) {
    if (await copyIsComplete(datasetDir, version, targetUrl)) continue;
    const url = versionUrl(targetUrl, version);
    opts.log?.info(
      `object store: the copy of ${version} to ${url} is not marked complete; copying it (objects already there are skipped)`,
    );
    let result;
    try {
      result = await publishVersionToObjectStore(join(datasetDir, version), targetUrl, version, opts);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new ObjectStoreCopyError(version, url, e as Error);
    }
    const marker: CopyMarker = {
      version,
      url,
      manifest_sha256: (await sha256File(join(datasetDir, version, MANIFEST_FILE))).sha256,
      files: result.files,
      completed: new Date().toISOString(),
    };
    await writeFileAtomic(copyMarkerPath(datasetDir, version), JSON.stringify(marker, null, 2) + '\n');
    copied.push(version);
  }
  return copied;
}

/** Local versions whose copy to `targetUrl` is not marked complete, oldest first. */
export async function incompleteCopies(datasetDir: string, versions: string[], targetUrl: string): Promise<string[]> {
  const out: string[] = [];
  for (const v of versions) if (!(await copyIsComplete(datasetDir, v, targetUrl))) out.push(v);
  return out;
}
