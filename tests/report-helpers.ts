import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Manifest } from '../stages/write/manifest.js';
import { inCI, qcc, repo, sharedData } from './helpers.js';

export const CHROMIUM = '/usr/bin/chromium';

/** True when headless Chromium is installed; under CI its absence is a failure, elsewhere a clear skip. */
export function haveChromium(): boolean {
  const ok = existsSync(CHROMIUM);
  if (!ok && inCI) throw new Error(`CI=true but ${CHROMIUM} is missing: run \`node scripts/install-chromium.mjs\``);
  if (!ok) console.warn(`skipping the browser test: no ${CHROMIUM} (run \`node scripts/install-chromium.mjs\`)`);
  return ok;
}

/** The LLM cache the demo shares with `npm run demo`, so a warm checkout makes no model calls. */
export function demoEnv(): Record<string, string> {
  return { QCC_CACHE_DIR: process.env.QCC_CACHE_DIR ?? join(repo, 'out', '.cache'), QCC_SHARED_DATA: sharedData };
}

export function readManifest(versionDir: string): Manifest {
  return JSON.parse(readFileSync(join(versionDir, 'manifest.json'), 'utf8')) as Manifest;
}

/**
 * A copy of config/demo.yaml with other settings (paths made absolute, so it may live anywhere),
 * published into the same out folder: the next version, whose parent is the previous one.
 */
export async function publishVariant(
  out: string,
  dir: string,
  change: (config: Record<string, any>) => void,
): Promise<string> {
  const config = parse(readFileSync(join(repo, 'config', 'demo.yaml'), 'utf8')) as Record<string, any>;
  config.seeds.files = config.seeds.files.map((f: string) => join(repo, 'config', f));
  change(config);
  const file = join(dir, 'demo-variant.yaml');
  await writeFile(file, stringify(config));
  const r = await qcc(['run', '--config', file, '--out', out], demoEnv());
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  const m = /published (v\d+) \(parent: (v\d+)\)/.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  return join(out, 'qcc-demo', m![1]!);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(e => e.isFile())
    .map(e => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

/** The files a Hugging Face data_files pattern matches inside `dir` (`*` within one path segment). */
export function resolveGlob(dir: string, pattern: string): string[] {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map(p => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*') +
      '$',
  );
  return filesUnder(dir)
    .filter(f => re.test(f))
    .sort();
}
