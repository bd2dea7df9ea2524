/**
 * Copies an already-built local version to object storage with the same guarantee as the local writer:
 * readers that follow LATEST never see half a version. Order: every file of the version (skipping those
 * already there with the same size and sha256), a HEAD check of each, then `manifest.json`, then LATEST.
 * A failure anywhere leaves LATEST on the previous version; running it again completes the copy.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { sha256File } from '../../core/atomic.js';
import { LATEST_FILE, MANIFEST_FILE } from '../../core/dataset-files.js';
import type { Logger } from '../../core/types.js';
import { readManifest, type FileEntry, type Manifest } from '../write/manifest.js';
import { createS3Client, describeEndpoint } from './client.js';
import { storageConfigSchema, type StorageConfigInput } from './config.js';
import { DEFAULT_RETRY, storageError } from './errors.js';
import { headObject, readObjectText } from './read.js';
import { formatS3Url, joinKey, parseS3Url } from './s3-url.js';
import { MIB, putText, uploadFile } from './upload.js';

const VERSION_NAME = /^v(\d{4,})$/;
const SHA256_META = 'sha256';

export interface ObjectStoreOptions {
  /** Endpoint, region, path style and part size; credentials come from the AWS environment and profiles. */
  storage?: StorageConfigInput;
  /** An existing client (else one is made from `storage`). */
  client?: S3Client;
  log?: Logger;
  signal?: AbortSignal;
}

export interface PublishToObjectStoreOptions extends ObjectStoreOptions {
  /** Files uploaded at the same time (each multipart upload also sends 2 parts at once). */
  concurrency?: number;
}

export interface PublishToObjectStoreResult {
  /** `s3://bucket/prefix/<version>/` */
  url: string;
  version: string;
  /** Files of the version, manifest.json included. */
  files: number;
  uploaded: number;
  /** Already present with the same size and sha256 (an earlier, interrupted or repeated publish). */
  skipped: number;
  uploadedBytes: number;
  /** What LATEST names afterwards, and whether this call moved it. */
  latest: string;
  latestMoved: boolean;
}

interface LocalFile {
  rel: string;
  path: string;
  bytes: number;
  sha256: string;
}

function target(url: string): { bucket: string; prefix: string } {
  const { bucket, key } = parseS3Url(url);
  return { bucket, prefix: joinKey(key) };
}

const urlOf = (bucket: string, ...parts: string[]) => formatS3Url({ bucket, key: joinKey(...parts) });

function clientFor(opts: ObjectStoreOptions): {
  client: S3Client;
  partSizeBytes: number;
  retries: number;
  where: string;
} {
  const storage = storageConfigSchema.parse(opts.storage ?? {});
  const settings = {
    region: storage.region,
    force_path_style: storage.force_path_style,
    ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
  };
  return {
    client: opts.client ?? createS3Client(settings),
    partSizeBytes: storage.part_size_mb * MIB,
    retries: storage.retries ?? DEFAULT_RETRY.retries,
    where: describeEndpoint(settings),
  };
}

const versionNumber = (v: string) => Number(VERSION_NAME.exec(v)?.[1] ?? NaN);

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Runs `fn` over items, `limit` at a time; after the first failure starts nothing new and rethrows it. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}

async function readLocalManifest(versionDir: string, version: string): Promise<Manifest> {
  const manifest = readManifest(
    versionDir,
    file => `${file}: not found; only a built version (with its manifest) can be published`,
  );
  if (manifest.version !== version)
    throw new Error(`${join(versionDir, MANIFEST_FILE)}: names version ${manifest.version}, not ${version}`);
  return manifest;
}

/**
 * Uploads the local version folder `localVersionDir` to `<target>/<version>/` and then moves
 * `<target>/LATEST` to it (never backwards: a LATEST naming a newer version is left alone).
 * `target` is `s3://bucket/prefix/<dataset>`.
 */
export async function publishVersionToObjectStore(
  localVersionDir: string,
  targetUrl: string,
  version: string,
  opts: PublishToObjectStoreOptions = {},
): Promise<PublishToObjectStoreResult> {
  if (!VERSION_NAME.test(version))
    throw new Error(`${localVersionDir}: version "${version}" is not a version name like v0001`);
  const { bucket, prefix } = target(targetUrl);
  const { client, partSizeBytes, retries, where } = clientFor(opts);
  const log = opts.log;
  const manifest = await readLocalManifest(localVersionDir, version);
  const listed = new Map<string, FileEntry>(
    [...manifest.shards, ...manifest.removed, ...manifest.files].map(e => [e.path.split(sep).join('/'), e]),
  );

  const paths = (await walk(localVersionDir))
    .map(path => ({ path, rel: relative(localVersionDir, path).split(sep).join('/') }))
    .filter(f => f.rel !== MANIFEST_FILE)
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const versionUrl = urlOf(bucket, prefix, version) + '/';
  log?.info(`object store: publishing ${version} (${paths.length + 1} files) to ${versionUrl} via ${where}`);

  let uploaded = 0;
  let skipped = 0;
  let uploadedBytes = 0;
  let done = 0;
  const locals: LocalFile[] = [];
  const put = async (file: LocalFile, total: number) => {
    const url = urlOf(bucket, prefix, version, file.rel);
    const remote = await headObject(client, url, opts.signal);
    const present = remote !== undefined && remote.size === file.bytes && remote.metadata[SHA256_META] === file.sha256;
    if (present) {
      skipped++;
    } else {
      await uploadFile(client, file.path, url, {
        partSizeBytes,
        metadata: { [SHA256_META]: file.sha256 },
        retry: { retries },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      uploaded++;
      uploadedBytes += file.bytes;
    }
    log?.info(`object store: ${++done}/${total} ${present ? 'already there' : 'stored'} ${file.rel}`, {
      bytes: file.bytes,
    });
  };

  await forEachLimit(paths, opts.concurrency ?? 4, async ({ path, rel }) => {
    const { sha256, bytes } = await sha256File(path);
    const entry = listed.get(rel);
    if (entry && (entry.sha256 !== sha256 || entry.bytes !== bytes)) {
      throw new Error(
        `${path}: ${bytes} bytes with sha256 ${sha256}, but manifest.json lists ${entry.bytes} bytes with ${entry.sha256}; the local version is damaged, nothing more is published`,
      );
    }
    const file = { rel, path, bytes, sha256 };
    locals.push(file);
    await put(file, paths.length + 1);
  });

  // Every file must be there, whole, before the manifest makes the version visible.
  await forEachLimit(locals, 8, async file => {
    const url = urlOf(bucket, prefix, version, file.rel);
    const head = await headObject(client, url, opts.signal);
    if (!head || head.size !== file.bytes || head.metadata[SHA256_META] !== file.sha256) {
      throw new Error(
        `${url}: after upload the object has ${head ? `${head.size} bytes, sha256 ${head.metadata[SHA256_META] ?? 'unset'}` : 'gone missing'}; expected ${file.bytes} bytes, sha256 ${file.sha256}`,
      );
    }
  });

  const manifestPath = join(localVersionDir, MANIFEST_FILE);
  const manifestFile = { rel: MANIFEST_FILE, path: manifestPath, ...(await sha256File(manifestPath)) };
  await put(manifestFile, paths.length + 1);
  const manifestUrl = urlOf(bucket, prefix, version, MANIFEST_FILE);
  const head = await headObject(client, manifestUrl, opts.signal);
  if (!head || head.size !== manifestFile.bytes) throw new Error(`${manifestUrl}: not readable back after upload`);

  const latestUrl = urlOf(bucket, prefix, LATEST_FILE);
  const current = (await readObjectText(client, latestUrl, opts.signal))?.trim();
  let latestMoved = false;
  if (current && VERSION_NAME.test(current) && versionNumber(current) > versionNumber(version)) {
    log?.warn(`object store: ${latestUrl} names ${current}, newer than ${version}; left as it is`);
  } else if (current !== version) {
    await putText(client, latestUrl, version + '\n', {
      retry: { retries },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    latestMoved = true;
  }
  const latest = latestMoved ? version : current!;
  log?.info(`object store: ${version} published to ${versionUrl}; LATEST = ${latest}`, {
    uploaded,
    skipped,
    bytes: uploadedBytes,
  });
  return { url: versionUrl, version, files: locals.length + 1, uploaded, skipped, uploadedBytes, latest, latestMoved };
}

/** The version LATEST names under `target`, or undefined when nothing was published there yet. */
export async function readLatest(targetUrl: string, opts: ObjectStoreOptions = {}): Promise<string | undefined> {
  const { bucket, prefix } = target(targetUrl);
  const text = await readObjectText(clientFor(opts).client, urlOf(bucket, prefix, LATEST_FILE), opts.signal);
  return text?.trim() || undefined;
}

/** Complete versions under `target` (those with a manifest.json), oldest first. */
export async function listVersions(targetUrl: string, opts: ObjectStoreOptions = {}): Promise<string[]> {
  const { bucket, prefix } = target(targetUrl);
  const { client } = clientFor(opts);
  const listPrefix = prefix ? `${prefix}/` : '';
  const names: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: listPrefix,
          Delimiter: '/',
          ...(token ? { ContinuationToken: token } : {}),
        }),
        opts.signal ? { abortSignal: opts.signal } : {},
      );
    } catch (e) {
      throw storageError(targetUrl, 'LIST', e, opts.signal);
    }
    for (const p of page.CommonPrefixes ?? []) {
      const name = p.Prefix?.slice(listPrefix.length).replace(/\/$/, '');
      if (name && VERSION_NAME.test(name)) names.push(name);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const complete: string[] = [];
  for (const name of names) {
    if (await headObject(client, urlOf(bucket, prefix, name, MANIFEST_FILE), opts.signal)) complete.push(name);
  }
  return complete.sort((a, b) => versionNumber(a) - versionNumber(b));
}
