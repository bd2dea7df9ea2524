import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveSharedData, inCI, repo, sharedData, tempDir } from './helpers.js';
// @ts-expect-error plain JavaScript module without types
import { partOf, readAbc, wordCount } from '../scripts/relevance/corpora.mjs';

const run = promisify(execFile);
const script = join(repo, 'scripts', 'relevance', 'prepare-corpora.mjs');
const corpora = join(sharedData, 'corpora');

interface Rec {
  id: string;
  label: string;
  text: string;
}
const read = (file: string): Rec[] =>
  gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l) as Rec);
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** The unit a document was cut from: `abc-science-0002-3` → `abc-science-0002`, `brown-ca01-2` → `brown-ca01`. */
const unitOf = (id: string) => (/^(abc|brown)-/.test(id) ? id.replace(/-\d+$/, '') : id);

if (!haveSharedData() && !inCI) console.warn(`skipping tests/relevance-corpora.test.ts: no corpora in ${corpora}`);

/** scripts/relevance/prepare-corpora.mjs on the real corpora of ../shared/data/corpora. */
describe.runIf(haveSharedData() || inCI)('prepare-corpora', () => {
  let a: string;
  let b: string;
  const parts = (dir: string, name: string) => ({
    dev: read(join(dir, `${name}-dev.jsonl.gz`)),
    val: read(join(dir, `${name}-val.jsonl.gz`)),
  });

  beforeAll(async () => {
    a = await tempDir('qcc-corpora-a-');
    b = await tempDir('qcc-corpora-b-');
    await run(process.execPath, [script, '--out', a, '--from', corpora]);
    await run(process.execPath, [script, '--out', b, '--from', corpora, '--corpus', 'abc,brown']);
  }, 180_000);

  it('writes the same bytes on every run', () => {
    for (const name of ['abc', 'brown'])
      for (const part of ['dev', 'val'])
        expect(sha(join(a, `${name}-${part}.jsonl.gz`))).toBe(sha(join(b, `${name}-${part}.jsonl.gz`)));
  });

  it('splits each corpus once by the hash of the unit, keeping every document exactly once', () => {
    const sources: Record<string, number> = { '20news': 11_314, bbc: 2_225, abc: 5_394, brown: 2_000 };
    for (const [name, total] of Object.entries(sources)) {
      const { dev, val } = parts(a, name);
      expect(dev.length + val.length, name).toBe(total);
      const ids = new Set([...dev, ...val].map(r => r.id));
      expect(ids.size, `${name}: ids unique across the parts`).toBe(total);
      for (const r of dev) expect(partOf(unitOf(r.id)), r.id).toBe('dev');
      for (const r of val) expect(partOf(unitOf(r.id)), r.id).toBe('val');
      // Both parts are about half and hold every label.
      expect(dev.length / total).toBeGreaterThan(0.4);
      expect(dev.length / total).toBeLessThan(0.6);
      expect(new Set(dev.map(r => r.label))).toEqual(new Set(val.map(r => r.label)));
    }
  });

  it('keeps the 20 Newsgroups and BBC records as they are', () => {
    const source = read(join(corpora, 'bbc-news.jsonl.gz'));
    const { dev, val } = parts(a, 'bbc');
    const byId = new Map([...dev, ...val].map(r => [r.id, r]));
    for (const r of source) expect(byId.get(r.id)).toEqual({ id: r.id, label: r.label, text: r.text });
  });

  it('cuts ABC blocks into short passages of whole lines without losing text', () => {
    const { dev, val } = parts(a, 'abc');
    const docs = [...dev, ...val];
    expect(new Set(docs.map(d => d.label))).toEqual(new Set(['science', 'rural']));
    // Every word of both transcripts files is in exactly one passage.
    const words = (label: string) => docs.filter(d => d.label === label).reduce((n, d) => n + wordCount(d.text), 0);
    expect(words('science')).toBe(362_693);
    expect(words('rural')).toBe(301_271);
    const lengths = docs.map(d => wordCount(d.text)).sort((x, y) => x - y);
    const median = lengths[Math.floor(lengths.length / 2)]!;
    expect(median).toBeGreaterThanOrEqual(60);
    expect(median).toBeLessThanOrEqual(150);
    // A block's passages, joined, are the block again (in order).
    const all = readAbc(join(corpora, 'nltk-abc.zip')) as (Rec & { unit: string })[];
    const second = all.filter(d => d.unit === 'abc-science-0002').map(d => d.text);
    expect(second.length).toBeGreaterThan(1);
    expect(second[0]!.startsWith('Scientists have rescued a mouse immune system')).toBe(true);
  });

  it('turns Brown texts into four untagged passages each', () => {
    const { dev, val } = parts(a, 'brown');
    const docs = [...dev, ...val];
    const perText = new Map<string, number>();
    for (const d of docs) perText.set(unitOf(d.id), (perText.get(unitOf(d.id)) ?? 0) + 1);
    expect(perText.size).toBe(500);
    expect([...perText.values()].every(n => n === 4)).toBe(true);
    expect(new Set(docs.map(d => d.label)).size).toBe(15);
    expect(docs.filter(d => d.label === 'religion').length).toBe(17 * 4);
    const first = docs.find(d => d.id === 'brown-ca01-1')!;
    expect(first.label).toBe('news');
    expect(
      first.text.startsWith(
        'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
      ),
    ).toBe(true);
    // No part-of-speech tags left (a tag is /<lower-case letters> after a word, e.g. "jury/nn").
    const tagged = docs.filter(d => /\b[A-Za-z]+\/(at|nn|nns|vbd|in|jj|cc|np)\b/.test(d.text));
    expect(tagged.map(d => d.id)).toEqual([]);
  });
});
