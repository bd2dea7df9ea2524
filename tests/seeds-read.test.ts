import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeedError, readAllSeeds, readSeeds, seedId } from '../stages/seeds/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcc-seeds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function failure(files: string[]): Promise<SeedError> {
  try {
    await readAllSeeds(files);
  } catch (err) {
    expect(err).toBeInstanceOf(SeedError);
    return err as SeedError;
  }
  throw new Error(`expected ${files.join(', ')} to fail`);
}

describe('readSeeds', () => {
  it('reads CSV (quoted commas, optional columns, default type) and JSONL', async () => {
    const csv = await file(
      'seeds.csv',
      'domain,subdomain,type,text\n' +
        'medicine,endocrinology,keyword,symptoms of type 2 diabetes\n' +
        'space,,question,"How do geostationary satellites stay above one point, all day?"\n' +
        '\n' +
        'cryptography,,,  public   key encryption \n',
    );
    const jsonl = await file(
      'seeds.jsonl',
      '{"domain":"law","type":"excerpt","text":"A tenant may not be evicted without notice."}\n' +
        '\n' +
        '{"domain":"cooking","subdomain":"baking","text":"sourdough starter"}\n',
    );
    const seeds = [];
    for await (const s of readSeeds([csv, jsonl])) seeds.push(s);
    expect(seeds.map(s => [s.domain, s.subdomain, s.type, s.text, s.source.row])).toEqual([
      ['medicine', 'endocrinology', 'keyword', 'symptoms of type 2 diabetes', 1],
      ['space', undefined, 'question', 'How do geostationary satellites stay above one point, all day?', 2],
      ['cryptography', undefined, 'keyword', 'public key encryption', 3],
      ['law', undefined, 'excerpt', 'A tenant may not be evicted without notice.', 1],
      ['cooking', 'baking', 'keyword', 'sourdough starter', 3],
    ]);
    expect(seeds[0]!.source.file).toBe(csv);
    expect(seeds[3]!.source.file).toBe(jsonl);
    // Ids: stable, hash of domain + type + text, distinct.
    expect(seeds[2]!.id).toBe(seedId('cryptography', 'keyword', 'public key encryption'));
    expect(seeds[2]!.id).toMatch(/^s-[0-9a-f]{12}$/);
    expect(new Set(seeds.map(s => s.id)).size).toBe(5);
    expect(seedId('cryptography', 'question', 'public key encryption')).not.toBe(seeds[2]!.id);
    // The same seeds read again give the same ids.
    const again = await readAllSeeds([csv, jsonl]);
    expect(again.map(s => s.id)).toEqual(seeds.map(s => s.id));
  });

  it('rejects an empty file, naming it', async () => {
    const empty = await file('empty.csv', '');
    expect((await failure([empty])).message).toBe(`${empty}: no seeds`);
    const headerOnly = await file('header-only.csv', 'domain,type,text\n');
    expect((await failure([headerOnly])).message).toBe(`${headerOnly}: no seeds`);
    const blank = await file('blank.jsonl', '\n\n');
    expect((await failure([blank])).message).toBe(`${blank}: no seeds`);
  });

  it('rejects a missing column, an empty text and an unknown type, naming file, row and field', async () => {
    const noText = await file('no-text-column.csv', 'domain,type\nmedicine,keyword\n');
    const e1 = await failure([noText]);
    expect(e1.message).toContain(noText);
    expect(e1.message).toContain("field 'text': missing column");

    const emptyText = await file('empty-text.csv', 'domain,type,text\nmedicine,keyword,diabetes\nspace,keyword,   \n');
    const e2 = await failure([emptyText]);
    expect([e2.file, e2.row, e2.field]).toEqual([emptyText, 2, 'text']);
    expect(e2.message).toBe(`${emptyText} row 2 field 'text': empty`);

    const badType = await file(
      'bad-type.jsonl',
      '{"domain":"a","text":"x y"}\n{"domain":"a","type":"keywrd","text":"x y"}\n',
    );
    const e3 = await failure([badType]);
    expect([e3.row, e3.field]).toEqual([2, 'type']);
    expect(e3.message).toMatch(
      new RegExp(`^${badType.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} row 2 field 'type': unknown type 'keywrd'`),
    );

    const missingJson = await file('missing.jsonl', '{"domain":"a"}\n');
    expect((await failure([missingJson])).message).toBe(`${missingJson} row 1 field 'text': missing`);

    const badJson = await file('bad.jsonl', '{"domain":"a","text":"ok"}\n{nope\n');
    expect((await failure([badJson])).message).toMatch(/bad\.jsonl row 2: invalid JSON/);

    const tooMany = await file('too-many.csv', 'domain,text\na,b\na,b,c\n');
    expect((await failure([tooMany])).message).toMatch(
      /too-many\.csv row 2: expected 2 columns like the header, got 3/,
    );

    const wrongExt = await file('seeds.txt', 'domain,text\na,b\n');
    expect((await failure([wrongExt])).message).toMatch(/unknown seed file type '\.txt'/);
  });
});
