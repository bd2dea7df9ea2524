/**
 * Provenance that survives moving the data: a local input is recorded by its path relative to the run's
 * input root (never by an absolute machine path) and identified by its content (bytes + sha256).
 * URLs are recorded as they are. See docs/storage.md, "Where inputs are recorded".
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isUrl } from '../stages/acquire/url.js';

export interface Digest {
  sha256: string;
  bytes: number;
}

const realpathOr = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

const posix = (p: string) => p.split(sep).join('/');

/** `path` relative to `root` when it lies inside it, else undefined. */
export function inside(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? posix(rel) : undefined;
}

/** The deepest folder holding every one of `files` (compared as written, after resolving `.` and `..`). */
export function commonFolder(files: string[]): string {
  const parts = files.map(f => dirname(resolve(f)).split(sep));
  const first = parts[0] ?? [];
  let n = first.length;
  for (const p of parts) {
    let i = 0;
    while (i < n && i < p.length && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(sep) || sep;
}

/**
 * The input root of a run: the declared `ingest.input_root`, else the deepest folder holding all the
 * config's local inputs (undefined when every input is a URL).
 */
export function inputRootFor(localInputs: string[], declared: string | undefined): string | undefined {
  if (declared) return resolve(declared);
  return localInputs.length ? commonFolder(localInputs) : undefined;
}

/**
 * How provenance names an input: a URL as it is; a local file by its `/`-separated path relative to the
 * root, compared first as written, then with symlinks resolved on both sides (so a root reached through
 * a symlinked folder and files given by their real path still match). Undefined: outside the root.
 */
export function recordedLocation(root: string | undefined, path: string): string | undefined {
  if (isUrl(path)) return path;
  if (!root) return undefined;
  return inside(resolve(root), resolve(path)) ?? inside(realpathOr(resolve(root)), realpathOr(resolve(path)));
}

/** Where to read a recorded input on this machine: a URL as it is, a relative location under `root`. */
export function locateInput(root: string, location: string): string {
  return isUrl(location) || isAbsolute(location) ? location : join(root, ...location.split('/'));
}

const DIGESTS_FILE = 'input-digests.json';
const loaded = new Map<string, Record<string, Digest>>();

function digestCache(cacheDir: string | undefined): Record<string, Digest> {
  if (!cacheDir) return {};
  let cache = loaded.get(cacheDir);
  if (!cache) {
    const file = join(cacheDir, DIGESTS_FILE);
    try {
      cache = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Digest>) : {};
    } catch {
      cache = {}; // a damaged cache is only lost time: every digest is computed again
    }
    loaded.set(cacheDir, cache);
  }
  return cache;
}

/** Only into an existing cache folder unless `create`: planning (`qcc plan`, `qcc status`) writes nothing new. */
function saveDigests(cacheDir: string, cache: Record<string, Digest>, create: boolean): void {
  if (!create && !existsSync(cacheDir)) return;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const file = join(cacheDir, DIGESTS_FILE);
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(cache));
    renameSync(temp, file);
  } catch {
    // A read-only cache folder: the digest is computed again next time.
  }
}

/**
 * bytes + sha256 of a local file, read in 1 MiB chunks. Remembered in `<cacheDir>/input-digests.json`
 * by real path, size and modification time (by the ingest step, see rememberDigest), so planning a run
 * over large archives does not read them all again each time.
 */
const digestId = (path: string) => {
  const st = statSync(path);
  return `${realpathOr(path)}|${st.size}|${st.mtimeMs}`;
};

export function fileDigest(path: string, cacheDir?: string): Digest {
  const id = digestId(path);
  const cache = digestCache(cacheDir);
  const known = cache[id];
  if (known) return known;
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; bytes += n) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const digest = { sha256: hash.digest('hex'), bytes };
  cache[id] = digest;
  if (cacheDir) saveDigests(cacheDir, cache, false);
  return digest;
}

/** Remembers the digest of a file a run has just read (ingest), creating the cache folder if need be. */
export function rememberDigest(path: string, digest: Digest, cacheDir: string): void {
  const cache = digestCache(cacheDir);
  cache[digestId(path)] = digest;
  saveDigests(cacheDir, cache, true);
}
