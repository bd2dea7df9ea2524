import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Doc } from '../core/types.js';
import { publishedRecord, RecordSchemaError, schemaRows } from '../stages/write/record-schema.js';
import { repo } from './helpers.js';

const corpusLine: Doc = {
  id: 'c1',
  text: 'a corpus line',
  domain: 'space',
  source: { kind: 'corpus', file: 'news.jsonl.gz', line: 3, original_id: 'n3' },
  lang: { code: 'en', score: 0.9 },
};

describe('the published record schema', () => {
  it('docs/storage.md lists exactly the fields and types of stages/write/record-schema.ts', () => {
    const doc = readFileSync(join(repo, 'docs', 'storage.md'), 'utf8');
    const table = doc.slice(doc.indexOf('| field | type | meaning |'));
    const rows = [...table.matchAll(/^\| `([^`]+)` \| ([^|]+) \| /gm)].map(m => [m[1], m[2]!.trim()]);
    expect(rows).toEqual(schemaRows().map(([path, type]) => [path, type]));
  });

  it('a corpus line gets every web field as null, in the schema order', () => {
    const r = publishedRecord(corpusLine) as Record<string, any>;
    expect(Object.keys(r)).toEqual([
      'id',
      'text',
      'url',
      'domain',
      'source',
      'lang',
      'retrieval',
      'quality',
      'dedup',
      'relevance',
    ]);
    expect(r.url).toBeNull();
    expect(r.source).toMatchObject({
      kind: 'corpus',
      file: 'news.jsonl.gz',
      line: 3,
      warc_file: null,
      offset: null,
      crawl: null,
    });
    expect(r.relevance).toEqual({
      judge: { on_domain: null, reason: null, model: null },
      score: null,
      threshold: null,
      found_by: null,
      semantic_z: null,
      from_domain: null,
    });
  });

  it('a field the schema does not declare, or a value of the wrong type, is an error naming the record and the field', () => {
    expect(() => publishedRecord({ ...corpusLine, title: 'x' } as Doc)).toThrow(
      new RecordSchemaError(
        'record c1: field title is not in the published schema (stages/write/record-schema.ts): declare it there',
      ),
    );
    expect(() =>
      publishedRecord({ ...corpusLine, source: { ...corpusLine.source, sha: 'x' } } as unknown as Doc),
    ).toThrow(/record c1: field source\.sha is not in the published schema/);
    expect(() =>
      publishedRecord({ ...corpusLine, source: { ...corpusLine.source, line: '3' } } as unknown as Doc),
    ).toThrow(/record c1: source\.line must be int64, got "3"/);
    expect(() => publishedRecord({ ...corpusLine, domain: undefined })).toThrow(/record c1: domain is missing/);
  });
});
