/** `qcc ingest` inputs that are URLs (http, https, s3): downloaded (resumably) into a cache folder first. */
import { join } from 'node:path';
import type { Logger } from '../../core/types.js';
import type { StorageConfigInput } from '../storage/config.js';
import { isS3Url, parseS3Url } from '../storage/s3-url.js';
import { acquireConfigSchema, type AcquireConfigInput } from './config.js';
import { downloadAll } from './download.js';

import { isUrl } from './url.js';

export { isUrl };

const safeSegments = (path: string) =>
  path
    .split('/')
    .filter(p => p && p !== '.' && p !== '..')
    .map(p => p.replace(/[^A-Za-z0-9._-]/g, '_'));

/**
 * Where a URL is cached, so a crawl's layout is kept: `<cacheDir>/<host>/<path>` for http(s),
 * `<cacheDir>/s3/<bucket>/<key>` for s3:// (whatever endpoint serves the bucket).
 */
export function cachePathFor(cacheDir: string, url: string): string {
  if (isS3Url(url)) {
    const { bucket, key } = parseS3Url(url, { requireKey: true });
    return join(cacheDir, 's3', bucket, ...safeSegments(key));
  }
  const u = new URL(url);
  return join(cacheDir, u.host.replace(/[^A-Za-z0-9._-]/g, '_'), ...safeSegments(decodeURIComponent(u.pathname)));
}

/**
 * Local paths for a mix of paths and http(s)/s3 URLs, in the same order. URLs are downloaded with
 * the acquire settings (retries, resume, size check); a file already complete in the cache is reused.
 * s3:// URLs use `storage` (endpoint, region, path style) and the AWS credentials of the environment.
 * Throws the first failure after all downloads have run.
 */
export async function resolveInputs(
  inputs: string[],
  opts: {
    cacheDir: string;
    log?: Logger;
    signal?: AbortSignal;
    acquire?: AcquireConfigInput;
    storage?: StorageConfigInput;
  },
): Promise<string[]> {
  const config = acquireConfigSchema.parse(opts.acquire ?? {});
  const jobs = inputs.filter(isUrl).map(url => ({ url, dest: cachePathFor(opts.cacheDir, url) }));
  if (jobs.length > 0) {
    const { failed } = await downloadAll(jobs, {
      ...config,
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.storage ? { storage: s3Settings(opts.storage) } : {}),
      onDone: (r, done, total) => opts.log?.info(`downloaded ${done}/${total}`, { url: r.url }),
    });
    if (failed.length > 0) throw failed[0];
  }
  return inputs.map(i => (isUrl(i) ? cachePathFor(opts.cacheDir, i) : i));
}

function s3Settings(storage: StorageConfigInput) {
  return {
    ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
    ...(storage.region ? { region: storage.region } : {}),
    ...(storage.force_path_style !== undefined ? { force_path_style: storage.force_path_style } : {}),
  };
}
