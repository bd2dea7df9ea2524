/** Read seed files (CSV with a header row, or JSONL) into `Seed` records. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parseFile } from 'fast-csv';
import type { Seed, SeedType } from '../../core/types.js';
import { unsafeNameProblem } from '../shared/safe-name.js';

export const SEED_TYPES: readonly SeedType[] = ['keyword', 'question', 'excerpt'];
const REQUIRED_FIELDS = ['domain', 'text'] as const;

/** A problem in a seed file. `row` is 1-based (header excluded); 0 means the file or its header. */
export class SeedError extends Error {
  constructor(
    readonly file: string,
    readonly row: number,
    readonly field: string | undefined,
    detail: string,
  ) {
    super(`${file}${row > 0 ? ` row ${row}` : ''}${field ? ` field '${field}'` : ''}: ${detail}`);
    this.name = 'SeedError';
  }
}

/** Collapse runs of whitespace and trim. */
export function normaliseSeedText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Stable seed id: `s-` + first 12 hex of sha1(domain NUL type NUL text), on normalised fields. */
export function seedId(domain: string, type: SeedType, text: string): string {
  const h = createHash('sha1').update(`${domain}\u0000${type}\u0000${text}`).digest('hex');
  return `s-${h.slice(0, 12)}`;
}

type RawRow = Record<string, unknown>;

function field(file: string, row: number, raw: RawRow, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new SeedError(file, row, name, `expected a string, got ${typeof v}`);
  return v;
}

/** Validate one raw record and build the Seed. */
export function toSeed(file: string, row: number, raw: RawRow): Seed {
  for (const name of REQUIRED_FIELDS) {
    if (field(file, row, raw, name) === undefined) throw new SeedError(file, row, name, 'missing');
  }
  const domain = normaliseSeedText(field(file, row, raw, 'domain') ?? '');
  if (!domain) throw new SeedError(file, row, 'domain', 'empty');
  // The domain names a folder of the published version: it must be one safe path segment.
  const unsafe = unsafeNameProblem(domain);
  if (unsafe) throw new SeedError(file, row, 'domain', unsafe);
  const text = normaliseSeedText(field(file, row, raw, 'text') ?? '');
  if (!text) throw new SeedError(file, row, 'text', 'empty');
  const typeRaw = normaliseSeedText(field(file, row, raw, 'type') ?? '').toLowerCase() || 'keyword';
  if (!(SEED_TYPES as readonly string[]).includes(typeRaw)) {
    throw new SeedError(file, row, 'type', `unknown type '${typeRaw}' (expected ${SEED_TYPES.join('|')})`);
  }
  const type = typeRaw as SeedType;
  const subdomain = normaliseSeedText(field(file, row, raw, 'subdomain') ?? '');
  const seed: Seed = { id: seedId(domain, type, text), domain, type, text, source: { file, row } };
  if (subdomain) seed.subdomain = subdomain;
  return seed;
}

async function* readCsv(file: string): AsyncGenerator<Seed> {
  let headerChecked = false;
  let headerLength = 0;
  let row = 0;
  const stream = parseFile<RawRow, RawRow>(file, {
    headers: headers => {
      const names = headers.map(h => (h ?? '').trim().toLowerCase());
      for (const name of REQUIRED_FIELDS) {
        if (!names.includes(name)) {
          // Throwing here surfaces as a stream error; keep the message and rethrow below.
          throw new SeedError(file, 0, name, `missing column (header has: ${names.join(', ') || 'nothing'})`);
        }
      }
      headerChecked = true;
      headerLength = names.length;
      return names;
    },
    ignoreEmpty: true,
    // A row with more or fewer cells than the header is an error, not a silently shifted record.
    strictColumnHandling: true,
  });
  stream.on('data-invalid', (cells: unknown, rowNumber: number) => {
    const got = Array.isArray(cells) ? cells.length : Object.keys(cells as object).length;
    stream.destroy(
      new SeedError(file, rowNumber, undefined, `expected ${headerLength} columns like the header, got ${got}`),
    );
  });
  try {
    for await (const raw of stream as AsyncIterable<RawRow>) {
      row += 1;
      yield toSeed(file, row, raw);
    }
  } catch (err) {
    stream.destroy();
    if (err instanceof SeedError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new SeedError(file, headerChecked ? row + 1 : 0, undefined, `invalid CSV: ${msg}`);
  }
}

async function* readJsonl(file: string): AsyncGenerator<Seed> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let row = 0;
  try {
    for await (const line of lines) {
      row += 1;
      if (!line.trim()) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (err) {
        throw new SeedError(file, row, undefined, `invalid JSON: ${(err as Error).message}`);
      }
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new SeedError(file, row, undefined, 'expected a JSON object');
      }
      yield toSeed(file, row, raw as RawRow);
    }
  } finally {
    lines.close();
  }
}

function formatOf(file: string): 'csv' | 'jsonl' {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new SeedError(file, 0, undefined, `unknown seed file type '${ext}' (expected .csv, .jsonl or .ndjson)`);
}

/**
 * Read seeds from CSV (header row; columns domain, subdomain?, type?, text) and JSONL files
 * (one object per line with the same fields), in file order. Throws SeedError naming the file,
 * row and field on the first bad record, and `<file>: no seeds` for a file without any.
 */
export async function* readSeeds(files: readonly string[]): AsyncGenerator<Seed> {
  for (const file of files) {
    const format = formatOf(file);
    try {
      await stat(file);
    } catch (err) {
      throw new SeedError(file, 0, undefined, `cannot read: ${(err as Error).message}`);
    }
    let n = 0;
    for await (const seed of format === 'csv' ? readCsv(file) : readJsonl(file)) {
      n += 1;
      yield seed;
    }
    if (n === 0) throw new SeedError(file, 0, undefined, 'no seeds');
  }
}

/** Convenience: read everything into an array. */
export async function readAllSeeds(files: readonly string[]): Promise<Seed[]> {
  const out: Seed[] = [];
  for await (const s of readSeeds(files)) out.push(s);
  return out;
}
