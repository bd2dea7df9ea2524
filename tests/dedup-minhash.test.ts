import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import {
  dedupConfigSchema,
  findDuplicates,
  impliedThreshold,
  MinHasher,
  SignatureWriter,
  type DedupRemoval,
} from '../stages/dedup/index.js';
import { haveSharedData, newsCorpus, tempDir } from './helpers.js';

/** A deterministic light edit: one word in 100 replaced, a sentence added: Jaccard of 5-shingles about 0.9. */
function edit(text: string, salt: number): string {
  const words = text.split(/(\s+)/);
  for (let i = salt % 7; i < words.length; i += 200) if (words[i]!.trim()) words[i] = `edited${salt}`;
  return words.join('') + '\nSent from my phone, please excuse typos.';
}

function shingles(text: string, n = 5): Set<string> {
  const w = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const out = new Set<string>();
  for (let i = 0; i + n <= Math.max(w.length, n); i++) out.add(w.slice(i, i + n).join(' '));
  return out;
}
function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

const doc = (id: string, text: string, extra: Partial<Doc> = {}): Doc => ({
  id,
  text,
  source: { kind: 'corpus', file: newsCorpus, line: 1, original_id: id },
  retrieval: { hits: [], best_score: 0, queries: 1 },
  ...extra,
});

describe.runIf(haveSharedData())('exact, URL and MinHash LSH near-duplicate removal on real posts', () => {
  const cfg = dedupConfigSchema.parse({});
  let originals: Doc[];
  const everything = new Map<string, Doc>();
  let removals: DedupRemoval[];
  const plantedNear = new Map<string, string>();
  const plantedExact = new Map<string, string>();

  beforeAll(async () => {
    originals = [];
    for await (const r of readJsonl<{ id: string; text: string }>(newsCorpus)) {
      if (r.text.split(/\s+/).length < 80) continue;
      originals.push(doc(`n${String(originals.length).padStart(5, '0')}`, r.text));
      if (originals.length === 1500) break;
    }
    const all: Doc[] = [...originals];
    for (let k = 0; k < 40; k++) {
      const src = originals[k * 31]!;
      const id = `p-near-${k}`;
      all.push(doc(id, edit(src.text, k), { retrieval: { hits: [], best_score: 0, queries: 0 } }));
      plantedNear.set(id, src.id);
    }
    for (let k = 0; k < 10; k++) {
      const src = originals[k * 97 + 5]!;
      const id = `p-exact-${k}`;
      all.push(
        doc(id, src.text.toUpperCase().replace(/\s+/g, '  '), { retrieval: { hits: [], best_score: 0, queries: 0 } }),
      );
      plantedExact.set(id, src.id);
    }
    // Two captures of one URL: the newer is kept.
    all.push(
      doc('u-old', originals[3]!.text + ' (old)', {
        url: 'http://www.example.org/page',
        source: {
          kind: 'warc',
          warc_file: 'x',
          offset: 0,
          length: 1,
          record_id: 'a',
          timestamp: '2019-01-01T00:00:00Z',
        },
      }),
    );
    all.push(
      doc('u-new', originals[4]!.text + ' (new)', {
        url: 'https://example.org/page/',
        source: {
          kind: 'warc',
          warc_file: 'x',
          offset: 0,
          length: 1,
          record_id: 'b',
          timestamp: '2024-01-01T00:00:00Z',
        },
      }),
    );
    for (const d of all) everything.set(d.id, d);
    all.sort((a, b) => (a.id < b.id ? -1 : 1));
    const dir = await tempDir();
    const files: string[] = [];
    for (let s = 0; s < 3; s++) {
      const w = new SignatureWriter(join(dir, `s${s}.bin`), cfg.minhash);
      for (const d of all.slice(Math.floor((s * all.length) / 3), Math.floor(((s + 1) * all.length) / 3))) w.add(d);
      await w.close();
      files.push(w.path);
    }
    removals = [];
    await findDuplicates(files, cfg, r => void removals.push(r));
  });

  it('the default 14 bands x 8 rows imply a Jaccard threshold of about 0.72', () => {
    expect(impliedThreshold(cfg.minhash)).toBeCloseTo(0.719, 3);
  });

  it('finds every planted near-duplicate and keeps the document more queries retrieved', () => {
    const near = new Map(removals.filter(r => r.rule === 'near_duplicate').map(r => [r.id, r]));
    for (const [id, src] of plantedNear) {
      const truth = jaccard(
        shingles(edit(originals.find(d => d.id === src)!.text, Number(id.split('-')[2]))),
        shingles(originals.find(d => d.id === src)!.text),
      );
      expect(near.get(id)?.values.duplicate_of, `${id} (true Jaccard ${truth.toFixed(2)})`).toBe(src);
      expect(Math.abs((near.get(id)!.values.estimated_jaccard as number) - truth)).toBeLessThan(0.2);
    }
  });

  it('exact copies (case and spacing changed) are removed as exact, not near, duplicates', () => {
    for (const [id, src] of plantedExact) {
      const r = removals.find(x => x.id === id);
      expect(r?.rule).toBe('exact_duplicate');
      expect(r?.values.duplicate_of).toBe(src);
    }
  });

  it('keeps the newest capture of a URL', () => {
    const r = removals.find(x => x.id === 'u-old');
    expect(r?.rule).toBe('url_duplicate');
    expect(r?.values.duplicate_of).toBe('u-new');
    expect(removals.find(x => x.id === 'u-new')).toBeUndefined();
  });

  it('other removals among the real posts are true near-duplicates, and removals come out in id order', () => {
    const byId = everything;
    const others = removals.filter(r => !r.id.startsWith('p-') && !r.id.startsWith('u-'));
    for (const r of others) {
      const j = jaccard(shingles(byId.get(r.id)!.text), shingles(byId.get(r.values.duplicate_of)!.text));
      expect(
        j,
        `${r.id} vs ${r.values.duplicate_of} (${JSON.stringify(r.values)}: ${byId.get(r.id)!.text.slice(0, 300)} ### ${byId.get(r.values.duplicate_of)!.text.slice(0, 300)})`,
      ).toBeGreaterThan(0.4);
    }
    const ids = removals.map(r => r.id);
    expect(ids).toEqual([...ids].sort());
  });

  it('signatures estimate Jaccard similarity without bias on real pairs', () => {
    const h = new MinHasher(cfg.minhash);
    let err = 0;
    const pairs = 30;
    for (let k = 0; k < pairs; k++) {
      const a = originals[k]!.text;
      const b = edit(a, k + 3);
      const est = [...h.signature(a)].filter((v, i) => v === h.signature(b)[i]).length / h.permutations;
      err += est - jaccard(shingles(a), shingles(b));
    }
    expect(Math.abs(err / pairs)).toBeLessThan(0.05);
  });
});
