/**
 * The way back: copies a published version from object storage into a local folder (for a run on a fresh
 * machine that needs its earlier versions, or a consumer). Each file is downloaded resumably and checked
 * against the sha256 it was published with; the folder appears (by rename) only once it is complete.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256File } from '../../core/atomic.js';
import { MANIFEST_FILE } from '../../core/dataset-files.js';
import { confinedPath } from '../shared/confine.js';
import { DEFAULT_RETRY } from './errors.js';
import { createS3Client } from './client.js';
import { storageConfigSchema } from './config.js';
import type { ObjectStoreOptions } from './publish.js';
import { downloadObject, headObject, listObjects } from './read.js';
import { formatS3Url, joinKey, parseS3Url } from './s3-url.js';

export interface FetchVersionResult {
  dir: string;
  files: number;
  bytes: number;
}

/** Downloads `<target>/<version>/` into `localDir` (which must not exist yet); refuses an unfinished version. */
export async function fetchVersionFromObjectStore(
  targetUrl: string,
  version: string,
  localDir: string,
  opts: ObjectStoreOptions & { concurrency?: number } = {},
): Promise<FetchVersionResult> {
  if (existsSync(localDir))
    throw new Error(`${localDir} already exists: versions are immutable, fetch into a new folder`);
  const { bucket, key } = parseS3Url(targetUrl);
  const storage = storageConfigSchema.parse(opts.storage ?? {});
  const client =
    opts.client ??
    createS3Client({
      region: storage.region,
      force_path_style: storage.force_path_style,
      ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
    });
  const prefix = joinKey(key, version) + '/';
  const versionUrl = formatS3Url({ bucket, key: prefix });
  const objects: { key: string; size: number }[] = [];
  for await (const o of listObjects(client, versionUrl, opts.signal)) objects.push(o);
  if (!objects.some(o => o.key === `${prefix}${MANIFEST_FILE}`)) {
    throw new Error(
      `${versionUrl}: no manifest.json, so not a published version (an interrupted publish is completed by publishing it again)`,
    );
  }
  const temp = join(dirname(localDir), `.tmp-fetch-${process.pid}-${version}`);
  await rm(temp, { recursive: true, force: true });
  // Every key is checked before anything is downloaded: `<prefix>/../../x` must not become a path outside the folder.
  const planned = objects.map(o => ({
    ...o,
    rel: o.key.slice(prefix.length),
    dest: confinedPath(temp, o.key.slice(prefix.length).split('/'), `${versionUrl}: object key`, o.key),
  }));
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < planned.length) {
      const o = planned[next++]!;
      const url = formatS3Url({ bucket, key: o.key });
      const { rel, dest } = o;
      await mkdir(dirname(dest), { recursive: true });
      await downloadObject(client, url, dest, {
        ...DEFAULT_RETRY,
        expectedSize: o.size,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const expected = (await headObject(client, url, opts.signal))?.metadata.sha256;
      const actual = await sha256File(dest);
      if (expected && expected !== actual.sha256)
        throw new Error(`${url}: downloaded sha256 ${actual.sha256} differs from the published ${expected}`);
      bytes += actual.bytes;
      opts.log?.info(`object store: fetched ${rel}`, { bytes: actual.bytes });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, objects.length) }, worker));
    await mkdir(dirname(localDir), { recursive: true });
    await rename(temp, localDir);
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
  return { dir: localDir, files: objects.length, bytes };
}
