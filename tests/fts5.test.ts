import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../core/types.js';
import { Fts5Index } from '../stages/index/fts5.js';
import { queryTerms, toFtsQuery } from '../stages/retrieve/fts-query.js';
import { haveSharedData, newsCorpus, tempDir } from './helpers.js';

/** The first n real 20 Newsgroups posts as documents (labels are not carried). */
async function* newsDocs(n: number): AsyncIterable<Doc> {
  const lines = createInterface({ input: createReadStream(newsCorpus).pipe(createGunzip()) });
  let i = 0;
  for await (const line of lines) {
    if (i++ >= n) break;
    const post = JSON.parse(line) as { id: string; text: string };
    yield { id: post.id, text: post.text, source: { kind: 'corpus', file: newsCorpus, line: i, original_id: post.id } };
  }
}

describe('FTS5 query text is never FTS5 syntax', () => {
  it('quotes every term and joins with OR', () => {
    expect(toFtsQuery('What causes "migraine" AND (cluster) headaches?')).toBe(
      '"causes" OR "migraine" OR "cluster" OR "headaches"',
    );
  });
  it('drops operators as stop words or keeps them as plain quoted words', () => {
    expect(queryTerms('NEAR(a b) OR c* title:x')).toEqual(['near', 'title']);
    expect(toFtsQuery('the of and OR AND ( ) * :')).toBeNull();
  });
});

describe.runIf(haveSharedData())('Fts5Index on real posts', () => {
  let index: Fts5Index;
  beforeAll(async () => {
    index = new Fts5Index(join(await tempDir(), 'index.sqlite'));
    await index.addShard('a', newsDocs(2000), 500);
  });

  it('indexes, and a shard added again changes nothing', async () => {
    expect(index.stats()).toEqual({ docs: 2000, shards: 1 });
    expect(index.hasShard('a')).toBe(true);
    const again = await index.addShard('b', newsDocs(100));
    expect(again).toEqual({ indexed: 0, duplicates: 100 });
    expect(index.stats().docs).toBe(2000);
  });

  it('ranks by BM25 and every hit contains a query term', () => {
    const hits = index.search('space shuttle launch', 10);
    expect(hits.length).toBe(10);
    expect(hits.map(h => h.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
    for (const doc of index.getDocs(hits.map(h => h.id)))
      expect(doc.text.toLowerCase()).toMatch(/space|shuttle|launch/);
  });

  it('queries full of FTS5 syntax neither throw nor change meaning', () => {
    const plain = index.search('shuttle orbit', 5).map(h => h.id);
    const hostile = index.search('"shuttle" AND (orbit* OR NEAR:x) -', 5).map(h => h.id);
    expect(hostile.length).toBeGreaterThan(0);
    expect(index.search('shuttle" orbit', 5).map(h => h.id)).toEqual(plain);
    expect(index.search('AND OR ( ) * " :', 5)).toEqual([]);
    // NOT is not an operator here: it is the English word, searched as such.
    for (const doc of index.getDocs(index.search('NOT', 5).map(h => h.id))) expect(doc.text).toMatch(/\bnot\b/i);
    expect(index.search('the of and', 5)).toEqual([]);
  });
});

describe('Fts5Index opening and transactions', () => {
  const doc = (id: string, text: string): Doc => ({
    id,
    text,
    source: { kind: 'corpus', file: 'x.jsonl', line: 1, original_id: id },
  });
  async function* docs(list: Doc[], failAfter = Number.POSITIVE_INFINITY): AsyncIterable<Doc> {
    for (const [i, d] of list.entries()) {
      if (i >= failAfter) throw new Error('reader failed');
      yield d;
    }
  }

  it('a read-only open needs the file, names it, and creates nothing', async () => {
    const path = join(await tempDir(), 'missing.sqlite');
    expect(() => new Fts5Index(path, { readonly: true })).toThrow(
      `${path}: cannot open the FTS5 index: unable to open database file`,
    );
    expect(existsSync(path)).toBe(false);
  });

  it('writes in WAL mode; a shard whose input fails leaves nothing, and a read-only open reads the rest', async () => {
    const path = join(await tempDir(), 'index.sqlite');
    const index = new Fts5Index(path);
    const list = [doc('d1', 'alpha beta'), doc('d2', 'beta gamma'), doc('d3', 'gamma delta')];
    expect(await index.addShard('a', docs(list.slice(0, 2)), 1)).toEqual({ indexed: 2, duplicates: 0 });
    expect(existsSync(`${path}-wal`)).toBe(true);
    await expect(index.addShard('b', docs(list, 2), 1)).rejects.toThrow('reader failed');
    expect(index.hasShard('b')).toBe(false);
    expect(index.stats()).toEqual({ docs: 2, shards: 1 });
    const reader = new Fts5Index(path, { readonly: true });
    expect(reader.search('gamma', 5).map(h => h.id)).toEqual(['d2']);
    expect(reader.getDocs(['d1'])[0]!.text).toBe('alpha beta');
    reader.close();
    expect(await index.addShard('b', docs(list), 2)).toEqual({ indexed: 1, duplicates: 2 });
    index.close();
  });
});
