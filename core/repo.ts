import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The repository root: the nearest folder above this module holding qcc's package.json.
 * Works from `stages/bootstrap/` (tsx, vitest) and from `dist/stages/bootstrap/` (compiled).
 */
export function repoRoot(): string {
  if (cached) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'qcc') return (cached = dir);
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`qcc: cannot find the repository root (package.json named "qcc") above ${start}`);
    dir = up;
  }
}

/** Absolute paths stay; relative ones are taken from the repository root. */
export function fromRepo(path: string): string {
  return isAbsolute(path) ? path : resolve(repoRoot(), path);
}
