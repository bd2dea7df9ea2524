import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import { mergeBand } from '../stages/dedup/band-merge.js';
import { dedupConfigSchema } from '../stages/dedup/config.js';
import { bandKeys } from '../stages/dedup/minhash.js';
import { sortByKey } from '../stages/dedup/radix-sort.js';
import { SignatureFile, SignatureWriter } from '../stages/dedup/signature-file.js';
import { haveSharedData, newsCorpus, tempDir } from './helpers.js';

describe.runIf(haveSharedData())('LSH buckets: sorted runs on disk, merged in blocks', () => {
  it('radix sort orders 64-bit keys and carries the values along', () => {
    const n = 5000;
    const hi = new Uint32Array(n),
      lo = new Uint32Array(n),
      val = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      hi[i] = (Math.imul(i, 0x9e3779b1) >>> 0) % 50; // many equal high words: the low word decides
      lo[i] = Math.imul(i ^ 0x5bd1e995, 0x85ebca6b) >>> 0;
      val[i] = i;
    }
    const expected = [...val].sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]!);
    const key = (i: number) => [hi[i]!, lo[i]!];
    const before = new Map([...val].map(i => [i, key(i)]));
    sortByKey(hi, lo, val);
    expect([...val]).toEqual(expected);
    for (let i = 0; i < n; i++) expect([hi[i], lo[i]]).toEqual(before.get(val[i]!));
  });

  it('the k-way merge over real posts finds the same buckets whatever the block size, and every shared key', async () => {
    const cfg = dedupConfigSchema.parse({}).minhash;
    const docs: Doc[] = [];
    for await (const r of readJsonl<{ id: string; text: string }>(newsCorpus)) {
      docs.push({
        id: `d${String(docs.length).padStart(6, '0')}`,
        text: r.text,
        source: { kind: 'corpus', file: newsCorpus, line: docs.length + 1, original_id: r.id },
      });
      if (docs.length === 1200) break;
    }
    // Exact copies make buckets that must be found across shard boundaries.
    for (let k = 0; k < 30; k++) docs.push({ ...docs[k * 37]!, id: `e${String(k).padStart(6, '0')}` });
    const dir = await tempDir();
    const files: SignatureFile[] = [];
    const offsets: number[] = [];
    for (let s = 0, at = 0; s < 5; s++) {
      const slice = docs.slice(Math.floor((s * docs.length) / 5), Math.floor(((s + 1) * docs.length) / 5));
      const w = new SignatureWriter(join(dir, `s${s}.bin`), cfg);
      slice.forEach(d => w.add(d));
      await w.close();
      files.push(new SignatureFile(w.path));
      offsets.push(at);
      at += slice.length;
    }
    const run = (block: number) => {
      const out: string[] = [];
      for (let b = 0; b < cfg.bands; b++)
        mergeBand(files, offsets, b, m => out.push(`${b}:${[...m].sort((x, y) => x - y).join(',')}`), block);
      return out.sort();
    };
    const big = run(65536);
    expect(run(7)).toEqual(big);
    // Brute force: every band key shared by two or more documents is one bucket.
    const brute = new Map<string, number[]>();
    let i = 0;
    for (const f of files) {
      for (let local = 0; local < f.header.docs; local++, i++) {
        const keys = bandKeys(f.signature(local), cfg.bands, cfg.rows);
        for (let b = 0; b < cfg.bands; b++) {
          const k = `${b}:${keys[2 * b]}:${keys[2 * b + 1]}`;
          brute.set(k, [...(brute.get(k) ?? []), i]);
        }
      }
    }
    const expected = [...brute]
      .filter(([, m]) => m.length > 1)
      .map(([k, m]) => `${k.split(':')[0]}:${m.join(',')}`)
      .sort();
    expect(big).toEqual(expected);
    expect(big.length).toBeGreaterThanOrEqual(30 * cfg.bands);
    files.forEach(f => f.close());
  });
});
