/**
 * A config as a version records it (`manifest.json` `config`, `inputs.seeds`): absolute paths of this machine
 * become `<out>/…`, `<cache>/…`, `<input_root>/…` or `<checkout>/…`, so a published manifest names no machine's
 * folders and reads the same wherever the run was made. Paths outside those folders are kept as written.
 */
import { isAbsolute, resolve } from 'node:path';
import { inside } from './input-location.js';

export interface PathRoots {
  out: string;
  cache: string;
  input_root?: string;
  checkout: string;
}

/** `<name>/rel` for the first root holding the path (most specific first), else the path itself. */
export function portablePath(path: string, roots: PathRoots): string {
  if (!isAbsolute(path)) return path;
  const ordered = (Object.entries(roots) as [string, string | undefined][])
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .sort((a, b) => b[1].length - a[1].length);
  for (const [name, root] of ordered) {
    if (resolve(path) === resolve(root)) return `<${name}>`;
    const rel = inside(root, path);
    if (rel !== undefined) return `<${name}>/${rel}`;
  }
  return path;
}

/** A deep copy of `value` with every absolute path string made portable. */
export function portablePaths<T>(value: T, roots: PathRoots): T {
  if (typeof value === 'string') return portablePath(value, roots) as T;
  if (Array.isArray(value)) return value.map(v => portablePaths(v, roots)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, portablePaths(v, roots)])) as T;
  return value;
}
