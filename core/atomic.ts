import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { pidAlive } from './process.js';

/** A temporary sibling path (same folder, so rename() is atomic) that keeps the name's extension. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.tmp-${process.pid}-${Date.now().toString(36)}-${basename(target)}`);
}

/** A write that failed (disk full, quota, I/O error), naming the file: Node's own messages often do not. */
export class WriteFailed extends Error {
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: Error,
  ) {
    super(
      `${path}: cannot write (${cause.message})${(cause as NodeJS.ErrnoException).code === 'ENOSPC' ? '; free some space and rerun: finished shards are kept' : ''}`,
      { cause },
    );
    this.name = 'WriteFailed';
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

export const writeFailed = (path: string, err: unknown): Error =>
  err instanceof WriteFailed ? err : new WriteFailed(path, err as Error);

/** Write a whole file so that readers see the old content or the new one, never a part. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await writeFile(tmp, data);
    await fsyncPath(tmp);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw writeFailed(target, err);
  }
}

let replaceCounter = 0;

/**
 * Replace a file by rename, without an fsync: for caches, where an entry lost in a crash costs one recomputation.
 * Readers see the old content or the new one, never a part; the temporary name is unique within the process.
 */
export async function replaceFile(target: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${replaceCounter++}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

const TEMP_OF_PID = /^\.tmp-(\d+)-/;
const VERSION_DIR = /^v\d{4,}$/;
const PROCESS_STARTED = Date.now() - process.uptime() * 1000;

/**
 * Removes the temporary files (`.tmp-<pid>-...`, see tempPathFor) that killed runs left under `root`:
 * those of a pid that is not alive here, and those of this pid written before this process started
 * (a container's pid 1 is every run's). Version folders are never entered. With several workers (which
 * may run on other hosts, where a pid means nothing here) only files untouched for `staleMs` go.
 * Returns the paths removed.
 */
export async function removeOrphanTemps(root: string, opts: { world: number; staleMs: number }): Promise<string[]> {
  const removed: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // gone meanwhile, or not there yet
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const m = TEMP_OF_PID.exec(entry.name);
      if (m) {
        const pid = Number(m[1]);
        const info = await lstat(path).catch(() => null);
        if (!info) continue;
        const ours = pid === process.pid;
        const orphan = ours ? info.mtimeMs < PROCESS_STARTED : !pidAlive(pid);
        const quiet = opts.world === 1 || Date.now() - info.mtimeMs > opts.staleMs;
        if (orphan && quiet) {
          await rm(path, { recursive: true, force: true });
          removed.push(path);
        }
      } else if (entry.isDirectory() && !(depth === 0 && VERSION_DIR.test(entry.name))) {
        await visit(path, depth + 1);
      }
    }
  };
  await visit(root, 0);
  return removed;
}

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
