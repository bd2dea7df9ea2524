import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorpusSource, Doc, Logger, StageContext } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  IngestError,
  ingestConfigSchema,
  readCorpus,
  type IngestConfig,
  type IngestConfigInput,
} from '../stages/ingest/index.js';
import { haveSharedData, newsCorpus, sharedData, tempDir } from './helpers.js';

function context(config: IngestConfigInput): StageContext<IngestConfig> & { warnings: string[] } {
  const warnings: string[] = [];
  const log: Logger = { info() {}, warn: m => void warnings.push(m), error() {} };
  return { ...testContext(ingestConfigSchema.parse(config)), log, warnings };
}

async function collect(ctx: StageContext<IngestConfig>): Promise<{ docs: Doc[]; error?: unknown }> {
  const docs: Doc[] = [];
  try {
    for await (const d of readCorpus(ctx.config.corpora[0]!, ctx)) docs.push(d);
    return { docs };
  } catch (error) {
    return { docs, error };
  }
}

const corpusSource = (d: Doc): CorpusSource => {
  if (d.source.kind !== 'corpus') throw new Error('not a corpus doc');
  return d.source;
};

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach(v => keysOf(v, into));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysOf(v, into);
    }
  }
  return into;
}

describe.runIf(haveSharedData())('readCorpus on 20 Newsgroups (train, 11,314 posts)', () => {
  let lines: string[];
  let docs: Doc[];
  let ctx: StageContext<IngestConfig>;

  beforeAll(async () => {
    // An independent read of the same file, to check counts and provenance against.
    lines = gunzipSync(readFileSync(newsCorpus)).toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    ctx = context({ corpora: [{ path: newsCorpus }] });
    const result = await collect(ctx);
    if (result.error) throw result.error;
    docs = result.docs;
  });

  it('yields every post but the counted short ones', () => {
    expect(lines).toHaveLength(11_314);
    const short = ctx.counters.get('ingest.skipped.short_text');
    console.log(`20news: ${docs.length} docs, ${short} skipped as shorter than 200 characters`);
    expect(short).toBeGreaterThan(0);
    expect(docs.length).toBe(11_314 - short);
    expect(ctx.counters.get('ingest.docs')).toBe(docs.length);
    expect(new Set(docs.map(d => d.id)).size).toBe(docs.length);
  });

  it('copies no field but id and text: no label anywhere in a doc', () => {
    const labels = new Set(lines.map(l => (JSON.parse(l) as { label: string }).label));
    expect(labels.size).toBe(20);
    for (const d of docs) {
      expect(Object.keys(d).sort()).toEqual(['id', 'lang', 'source', 'text']);
      expect(Object.keys(d.source).sort()).toEqual(['file', 'kind', 'line', 'original_id']);
      expect(keysOf(d).has('label')).toBe(false);
    }
  });

  it('line numbers and original ids lead back to the same post', () => {
    for (const d of docs.filter((_, i) => i % 97 === 0)) {
      const s = corpusSource(d);
      expect(s.file).toBe(newsCorpus);
      const original = JSON.parse(lines[s.line - 1]!) as { id: string; text: string };
      expect(original.id).toBe(s.original_id);
      expect(original.text.trim()).toBe(d.text);
    }
    // The id is the sha1 of "corpus:<file name>:<original id>": the same post has the same id in every run.
    expect(corpusSource(docs[0]!)).toMatchObject({ line: 1, original_id: 'train/alt.atheism/49960' });
    expect(docs[0]!.id).toBe('c5e2f9aa5d08a19eb34ea402f51ba7521f866fa9');
  });

  it('identifies the posts as English', () => {
    const english = docs.filter(d => d.lang?.code === 'en').length;
    console.log(`20news: ${english} of ${docs.length} identified as English`);
    expect(english / docs.length).toBeGreaterThanOrEqual(0.98);
  });
});

describe.runIf(haveSharedData())('readCorpus: fields, options and bad input', () => {
  let dir: string;
  let realLines: string[];
  beforeAll(async () => {
    dir = await tempDir('qcc-corpus-');
    realLines = gunzipSync(readFileSync(newsCorpus)).toString('utf8').split('\n').slice(0, 3);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads other field names (HumanEval: task_id, prompt), min_text_chars 0 keeps all', async () => {
    const path = join(sharedData, 'benchmarks', 'humaneval', 'HumanEval.jsonl.gz');
    const ctx = context({ min_text_chars: 0, corpora: [{ path, id_field: 'task_id', text_field: 'prompt' }] });
    const { docs, error } = await collect(ctx);
    expect(error).toBeUndefined();
    expect(docs).toHaveLength(164);
    expect(corpusSource(docs[0]!).original_id).toBe('HumanEval/0');
    expect(docs[0]!.text).toMatch(/^from typing import List/);
    expect(docs.every(d => !keysOf(d).has('canonical_solution'))).toBe(true);
  });

  it('takes the url from url_field when given', async () => {
    const post = JSON.parse(realLines[0]!) as { id: string; text: string };
    const path = join(dir, 'with-url.jsonl');
    await writeFile(path, JSON.stringify({ ...post, link: 'https://example.org/post/1' }) + '\n');
    const { docs } = await collect(context({ corpora: [{ path, url_field: 'link' }] }));
    expect(docs).toHaveLength(1);
    expect(docs[0]!.url).toBe('https://example.org/post/1');
    expect(keysOf(docs[0]).has('link')).toBe(false);
  });

  it('a bad JSON line is an IngestError naming the file and the line', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, `${realLines[0]}\n${realLines[1]!.slice(0, 80)}\n${realLines[2]}\n`);
    const { docs, error } = await collect(context({ corpora: [{ path }] }));
    expect(docs).toHaveLength(1);
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).message).toMatch(new RegExp(`^${path}: line 2: invalid JSON`));
    expect((error as IngestError).line).toBe(2);

    const ctx = context({ on_error: 'skip', corpora: [{ path }] });
    const skipped = await collect(ctx);
    expect(skipped.error).toBeUndefined();
    expect(skipped.docs).toHaveLength(2);
    expect(ctx.counters.get('ingest.errors.bad_json')).toBe(1);
    expect(ctx.warnings[0]).toMatch(new RegExp(`^${path}: line 2: `));
    expect(skipped.docs.map(d => corpusSource(d).line)).toEqual([1, 3]);
  });

  it('a missing id or text field is an IngestError naming file, line and field', async () => {
    const { id, text } = JSON.parse(realLines[0]!) as { id: string; text: string };
    const path = join(dir, 'missing.jsonl');
    await writeFile(path, `${realLines[0]}\n${JSON.stringify({ id })}\n`);
    const { error } = await collect(context({ corpora: [{ path }] }));
    expect((error as IngestError).message).toBe(`${path}: line 2: missing or non-string field "text"`);
    expect((error as IngestError).field).toBe('text');
    await writeFile(path, `${JSON.stringify({ text })}\n`);
    const again = await collect(context({ corpora: [{ path }] }));
    expect((again.error as IngestError).message).toBe(`${path}: line 1: missing or non-string field "id"`);
  });

  it('a truncated gzip corpus errors with the file and the line where it broke off', async () => {
    const path = join(dir, 'cut.jsonl.gz');
    await writeFile(path, readFileSync(newsCorpus).subarray(0, 300_000));
    const { docs, error } = await collect(context({ min_text_chars: 0, corpora: [{ path }] }));
    expect(docs.length).toBeGreaterThan(100);
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).message).toBe(`${path}: line ${docs.length + 1}: truncated gzip data`);
  });

  it('a missing file is an IngestError naming the path', async () => {
    const path = join(dir, 'nowhere.jsonl.gz');
    const { error } = await collect(context({ corpora: [{ path }] }));
    expect((error as IngestError).message).toBe(`${path}: file not found`);
  });

  it('the config schema fills defaults and rejects unknown keys', () => {
    const c = ingestConfigSchema.parse({ corpora: [{ path: 'x.jsonl' }] });
    expect(c).toEqual({
      warc: [],
      corpora: [{ path: 'x.jsonl', id_field: 'id', text_field: 'text' }],
      max_page_bytes: 5 * 1024 * 1024,
      min_text_chars: 200,
      workers: 0,
      on_error: 'fail',
    });
    expect(() => ingestConfigSchema.parse({ warcs: [] })).toThrow();
    expect(() => ingestConfigSchema.parse({ corpora: [{ path: 'x', label_field: 'label' }] })).toThrow();
    expect(() => ingestConfigSchema.parse({ on_error: 'ignore' })).toThrow();
  });
});
