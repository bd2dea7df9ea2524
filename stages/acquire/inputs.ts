/** `qcc ingest` inputs that are URLs: downloaded (resumably) into a cache folder first. */
import { join } from 'node:path';
import type { Logger } from '../../pipeline/types.js';
import { acquireConfigSchema, type AcquireConfigInput } from './config.js';
import { downloadAll } from './download.js';

export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** Where a URL is cached: `<cacheDir>/<host>/<path>`, so a crawl's layout is kept. */
export function cachePathFor(cacheDir: string, url: string): string {
  const u = new URL(url);
  const safe = decodeURIComponent(u.pathname)
    .split('/')
    .filter((p) => p && p !== '.' && p !== '..')
    .map((p) => p.replace(/[^A-Za-z0-9._-]/g, '_'));
  return join(cacheDir, u.host.replace(/[^A-Za-z0-9._-]/g, '_'), ...safe);
}

/**
 * Local paths for a mix of paths and http(s) URLs, in the same order. URLs are downloaded with
 * the acquire settings (retries, resume, size check); a file already complete in the cache is reused.
 * Throws the first failure after all downloads have run.
 */
export async function resolveInputs(
  inputs: string[],
  opts: { cacheDir: string; log?: Logger; signal?: AbortSignal; acquire?: AcquireConfigInput },
): Promise<string[]> {
  const config = acquireConfigSchema.parse(opts.acquire ?? {});
  const jobs = inputs.filter(isUrl).map((url) => ({ url, dest: cachePathFor(opts.cacheDir, url) }));
  if (jobs.length > 0) {
    const { failed } = await downloadAll(jobs, {
      ...config,
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onDone: (r, done, total) => opts.log?.info(`downloaded ${done}/${total}`, { url: r.url }),
    });
    if (failed.length > 0) throw failed[0];
  }
  return inputs.map((i) => (isUrl(i) ? cachePathFor(opts.cacheDir, i) : i));
}
