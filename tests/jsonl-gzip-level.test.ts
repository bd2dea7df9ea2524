import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WORK_DIR } from '../core/dataset-files.js';
import { JsonlWriter, readAllJsonl } from '../core/jsonl.js';

const dir = mkdtempSync(join(tmpdir(), 'qcc-gzip-level-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The repository's demo seed lines as records: real text, enough of it for the levels to differ. */
const records = readFileSync(join(import.meta.dirname, '..', 'data', 'seeds', 'demo.csv'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line, i) => ({ id: `seed-${i}`, text: line.repeat(20) }));

async function written(path: string): Promise<Buffer> {
  const writer = await JsonlWriter.open(path);
  for (const r of records) await writer.write(r);
  await writer.close();
  expect(await readAllJsonl(path)).toEqual(records);
  return readFileSync(path);
}

describe('gzip level of a JSONL file', () => {
  it('is fast (1) inside a work folder and the default (6) for what is published, same records either way', async () => {
    const work = await written(join(dir, 'dataset', WORK_DIR, 'run', 'docs', 'shard.jsonl.gz'));
    const published = await written(join(dir, 'dataset', 'v1', 'data', 'part-0.jsonl.gz'));
    // The gzip header's XFL byte: 4 = the fastest compression, 0 = a level between.
    expect(work[8]).toBe(4);
    expect(published[8]).toBe(0);
    expect(work.length).toBeGreaterThan(published.length);
  });
});
