import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'fast-csv';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { readJsonl } from '../../pipeline/jsonl.js';
import type { BenchmarkConfig } from './config.js';

export interface BenchmarkItem {
  benchmark: string;
  id: string;
  /** One text per configured field value (fields are matched separately: no n-gram spans two). */
  texts: string[];
}

export const benchmarkName = (b: BenchmarkConfig) => b.name ?? basename(b.file).replace(/\.(jsonl|json|csv|parquet)(\.gz)?$/i, '');

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
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

async function* rows(file: string): AsyncIterable<Record<string, unknown>> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet')) {
    const objects = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
    yield* objects as Record<string, unknown>[];
  } else if (/\.csv(\.gz)?$/.test(lower)) {
    const raw = createReadStream(file);
    const stream = (lower.endsWith('.gz') ? raw.pipe(createGunzip()) : raw).pipe(parseCsv({ headers: true }));
    for await (const row of stream) yield row as Record<string, unknown>;
  } else {
    yield* readJsonl<Record<string, unknown>>(file);
  }
}

/** Reads a test set's items; a missing field on every item is a config error naming the file and key. */
export async function readBenchmark(b: BenchmarkConfig, key = 'decontam.benchmarks'): Promise<BenchmarkItem[]> {
  const name = benchmarkName(b);
  const items: BenchmarkItem[] = [];
  let row = 0;
  try {
    for await (const record of rows(b.file)) {
      row++;
      const idValue = b.id_field ? valuesAt(record, b.id_field)[0] : (record.id ?? record.task_id);
      const texts = b.fields.flatMap((f) => valuesAt(record, f)).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String);
      items.push({ benchmark: name, id: idValue === undefined ? `row-${row}` : String(idValue), texts });
    }
  } catch (err) {
    throw new Error(`${key}: ${b.file}: ${(err as Error).message}`);
  }
  if (items.length === 0) throw new Error(`${key}: ${b.file}: no items`);
  if (items.every((i) => i.texts.length === 0)) throw new Error(`${key}: ${b.file}: no item has the text fields [${b.fields.join(', ')}]`);
  return items;
}
