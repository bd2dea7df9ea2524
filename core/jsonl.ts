import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { tempPathFor, WriteFailed } from './atomic.js';
import { WORK_DIR } from './dataset-files.js';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip, constants as zlibConstants } from 'node:zlib';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

/**
 * The gzip level of a file: 1 inside a run's work folder, whose files later steps read once or twice and which is
 * never published (~40% less CPU than level 6 for ~10% more bytes: scripts/bench/gzip-level.mjs; writing the
 * ingest shards is a large part of WET ingest); 6 for what is published and kept.
 */
export const gzipLevelFor = (path: string): number => (path.split(sep).includes(WORK_DIR) ? 1 : 6);

/**
 * Line-oriented JSON writer; `.gz` paths are gzip-compressed. Node's gzip header carries no mtime,
 * so the same records give byte-identical files.
 */
export class JsonlWriter {
  private readonly file: Writable;
  private readonly sink: Writable;
  private closed = false;
  /** The first error of either stream (disk full, I/O error), naming the file; every later call rethrows it. */
  private failure: WriteFailed | null = null;
  /** Rejects with `failure`: raced against 'drain' and 'close', which never come after a failed write. */
  private readonly failed: Promise<never>;
  records = 0;

  private constructor(readonly path: string) {
    let reject!: (err: Error) => void;
    this.failed = new Promise<never>((_, r) => (reject = r));
    this.failed.catch(() => {}); // observed by write() and close(); never an unhandled rejection
    const onError = (err: Error) => {
      if (this.failure) return;
      this.failure = new WriteFailed(path, err);
      reject(this.failure);
    };
    this.file = createWriteStream(path);
    this.file.on('error', onError);
    if (path.endsWith('.gz')) {
      const gzip = createGzip({ level: gzipLevelFor(path), memLevel: 9, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
      gzip.on('error', onError);
      gzip.pipe(this.file);
      this.sink = gzip;
    } else {
      this.sink = this.file;
    }
  }

  static async open(path: string): Promise<JsonlWriter> {
    await mkdir(dirname(path), { recursive: true });
    return new JsonlWriter(path);
  }

  async write(record: unknown): Promise<void> {
    if (this.failure) throw this.failure;
    this.records++;
    if (!this.sink.write(JSON.stringify(record) + '\n')) await this.until(once(this.sink, 'drain'));
  }

  /** Several records in one write: through gzip, far cheaper than one write per small record. */
  async writeMany(records: unknown[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (records.length === 0) return;
    this.records += records.length;
    if (!this.sink.write(records.map(r => JSON.stringify(r)).join('\n') + '\n'))
      await this.until(once(this.sink, 'drain'));
  }

  async close(): Promise<void> {
    if (this.closed) {
      if (this.failure) throw this.failure;
      return;
    }
    this.closed = true;
    if (this.failure) throw this.failure;
    const finished = once(this.file, 'close');
    this.sink.end();
    await this.until(finished);
    if (this.failure) throw this.failure;
  }

  private async until(event: Promise<unknown>): Promise<void> {
    try {
      await Promise.race([event, this.failed]);
    } catch (err) {
      throw this.failure ?? new WriteFailed(this.path, err as Error);
    }
  }
}

/** The records of a JSONL file (`.gz`: gzip, any number of members); `raw`: read these bytes of it instead. */
export async function* readJsonl<T = unknown>(path: string, raw: Readable = createReadStream(path)): AsyncGenerator<T> {
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as T;
    } catch (err) {
      throw new Error(`${path}: line ${lineNo}: invalid JSON (${(err as Error).message})`);
    }
  }
}

export async function readAllJsonl<T = unknown>(path: string): Promise<T[]> {
  const out: T[] = [];
  for await (const record of readJsonl<T>(path)) out.push(record);
  return out;
}

/** Fills a JSONL file that appears only once complete: on failure nothing is left at `path`. */
export async function writeJsonlAtomically(
  path: string,
  fill: (writer: JsonlWriter) => Promise<void>,
): Promise<number> {
  const tmp = tempPathFor(path);
  const writer = await JsonlWriter.open(tmp);
  try {
    await fill(writer);
    await writer.close();
    await rename(tmp, path);
  } catch (err) {
    await writer.close().catch(() => {}); // the first error is the one to report
    await rm(tmp, { force: true });
    throw err;
  }
  return writer.records;
}
