/**
 * Names from input (a seed's domain, the dataset name, an object key) become paths; each must stay inside
 * the folder it is meant for. Defence in depth: the config and seed readers validate the names too.
 */
import { isAbsolute, relative, resolve } from 'node:path';

export class PathEscapeError extends Error {
  constructor(
    readonly what: string,
    readonly value: string,
    readonly root: string,
    detail: string,
  ) {
    super(`${what} ${JSON.stringify(value)} ${detail}`);
    this.name = 'PathEscapeError';
  }
}

/**
 * `root` joined with `parts`, resolved; throws a PathEscapeError naming `what` and `value` when the result
 * is not strictly inside `root` (`..`, an absolute part, or the root itself).
 */
export function confinedPath(root: string, parts: string[], what: string, value: string = parts.join('/')): string {
  const base = resolve(root);
  if (parts.some(p => p.includes('\0')))
    throw new PathEscapeError(what, value, base, `contains a NUL byte; it must name a path inside ${base}`);
  const path = resolve(base, ...parts);
  const rel = relative(base, path);
  if (rel === '') throw new PathEscapeError(what, value, base, `is ${base} itself, not a path inside it`);
  if (rel === '..' || rel.startsWith('../') || isAbsolute(rel))
    throw new PathEscapeError(what, value, base, `leads outside ${base} (to ${path})`);
  return path;
}
