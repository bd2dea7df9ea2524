import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'fast-csv';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { readJsonl } from '../../core/jsonl.js';
import type { BenchmarkConfig } from './config.js';

export interface BenchmarkItem {
  benchmark: string;
  id: string;
  /** One text per configured field value (fields are matched separately: no n-gram spans two). */
  texts: string[];
  /** The configured field each text came from (parallel to `texts`). */
  fields: string[];
}

const TEST_SET = /\.(jsonl|json|csv|parquet)(\.gz)?$/i;
const GLOB = /[*?[\]{}]/;

const stem = (file: string) => basename(file).replace(TEST_SET, '');

/** The part of a glob before its first wildcard segment (`data/mmlu/*.csv` → `data/mmlu`). */
const globBase = (pattern: string) => {
  const parts = pattern.split('/');
  const at = parts.findIndex(p => GLOB.test(p));
  return parts.slice(0, at < 0 ? parts.length - 1 : at).join('/') || '.';
};

export const benchmarkName = (b: BenchmarkConfig) =>
  b.name ?? (GLOB.test(b.file) ? basename(globBase(b.file)) : stem(b.file) || basename(b.file));

/**
 * The files of a benchmark entry: the file itself, every test set file directly in a folder, or every file a
 * glob matches (sorted). Nothing matching is a config error naming the entry and the pattern.
 */
export async function benchmarkFiles(b: BenchmarkConfig, key = 'decontam.benchmarks'): Promise<string[]> {
  if (GLOB.test(b.file)) {
    const { glob } = await import('zx');
    const files = (await glob(b.file, { onlyFiles: true, absolute: true })).sort();
    if (files.length === 0) throw new Error(`${key}: file: ${b.file} matches no file`);
    return files;
  }
  const info = await stat(b.file).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`${key}: file: ${b.file}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}`);
  });
  if (!info.isDirectory()) return [b.file];
  const entries = await readdir(b.file, { withFileTypes: true });
  const files = entries
    .filter(e => e.isFile() && TEST_SET.test(e.name))
    .map(e => join(b.file, e.name))
    .sort();
  if (files.length === 0)
    throw new Error(
      `${key}: file: ${b.file} is a folder with no .jsonl, .json, .csv or .parquet file (optionally .gz)`,
    );
  return files;
}

/** Values at a dotted path; arrays on the way are flattened. */
export function valuesAt(record: unknown, path: string): unknown[] {
  let current: unknown[] = [record];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const v of current) {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) {
        if (item && typeof item === 'object' && key in item) next.push((item as Record<string, unknown>)[key]);
      }
    }
    current = next;
  }
  return current.flatMap(v => (Array.isArray(v) ? v : [v]));
}

async function* rows(file: string, columns: string[] | undefined): AsyncIterable<Record<string, unknown>> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet')) {
    const objects = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
    yield* objects as Record<string, unknown>[];
  } else if (/\.csv(\.gz)?$/.test(lower)) {
    const raw = createReadStream(file);
    const stream = (lower.endsWith('.gz') ? raw.pipe(createGunzip()) : raw).pipe(
      parseCsv({ headers: columns ?? true }),
    );
    for await (const row of stream) yield row as Record<string, unknown>;
  } else {
    yield* readJsonl<Record<string, unknown>>(file);
  }
}

async function readFile(
  b: BenchmarkConfig,
  file: string,
  name: string,
  idPrefix: string,
  key: string,
): Promise<BenchmarkItem[]> {
  const items: BenchmarkItem[] = [];
  let row = 0;
  try {
    for await (const record of rows(file, b.columns)) {
      row++;
      const idValue = b.id_field ? valuesAt(record, b.id_field)[0] : (record.id ?? record.task_id);
      const texts: string[] = [];
      const fields: string[] = [];
      for (const f of b.fields) {
        for (const v of valuesAt(record, f)) {
          if (typeof v !== 'string' && typeof v !== 'number') continue;
          texts.push(String(v));
          fields.push(f);
        }
      }
      items.push({
        benchmark: name,
        id: idPrefix + (idValue === undefined ? `row-${row}` : String(idValue)),
        texts,
        fields,
      });
    }
  } catch (err) {
    throw new Error(`${key}: ${file}: ${(err as Error).message}`);
  }
  if (items.length === 0) throw new Error(`${key}: ${file}: no items`);
  if (items.every(i => i.texts.length === 0))
    throw new Error(`${key}: ${file}: no item has the text fields [${b.fields.join(', ')}]`);
  return items;
}

/**
 * Reads a test set's items (every file of a folder or glob entry; their ids are then prefixed with the file
 * name, `abstract_algebra_test/row-3`). A missing field on every item is a config error naming the file and key.
 */
export async function readBenchmark(b: BenchmarkConfig, key = 'decontam.benchmarks'): Promise<BenchmarkItem[]> {
  const name = benchmarkName(b);
  const files = await benchmarkFiles(b, key);
  const several = files.length > 1 || files[0] !== b.file;
  const items: BenchmarkItem[] = [];
  for (const file of files) items.push(...(await readFile(b, file, name, several ? `${stem(file)}/` : '', key)));
  return items;
}
