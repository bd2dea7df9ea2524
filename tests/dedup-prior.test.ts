import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  dedupConfigSchema,
  findDuplicates,
  SignatureFile,
  SignatureWriter,
  type DedupRemoval,
  type DedupStats,
  type PriorLedger,
} from '../stages/dedup/index.js';
import { ingestConfigSchema, readArchive } from '../stages/ingest/index.js';
import { cc, haveSharedData, inCI, newsCorpus, tempDir } from './helpers.js';

const cfg = dedupConfigSchema.parse({});

/** One word in 50 replaced and a line added: what a mirror or a re-post of a published page looks like. */
function edit(text: string): string {
  const words = text.split(/(\s+)/);
  for (let i = 11; i < words.length; i += 100) if (words[i]!.trim()) words[i] = 'changed';
  return `${words.join('')}\n(reposted)`;
}

const post = (id: string, text: string): Doc => ({
  id,
  text,
  source: { kind: 'corpus', file: newsCorpus, line: 0, original_id: id },
});

/** Writes a batch's signature files (two shards, in id order), runs the dedup pass, returns its removals and ledger. */
async function dedupBatch(
  dir: string,
  name: string,
  docs: Doc[],
  prior: PriorLedger[],
): Promise<{ removals: Map<string, DedupRemoval>; stats: DedupStats; ledger: string }> {
  const sorted = [...docs].sort((a, b) => (a.id < b.id ? -1 : 1));
  const paths: string[] = [];
  for (const [s, half] of [sorted.slice(0, sorted.length >> 1), sorted.slice(sorted.length >> 1)].entries()) {
    const w = new SignatureWriter(join(dir, `${name}-${s}.bin`), cfg.minhash);
    half.forEach(d => w.add(d));
    await w.close();
    paths.push(w.path);
  }
  const removals = new Map<string, DedupRemoval>();
  const ledger = join(dir, `${name}-ledger.bin`);
  const stats = await findDuplicates(paths, cfg, r => void removals.set(r.id, r), undefined, { prior, ledger });
  return { removals, stats, ledger };
}

if (!haveSharedData() && !inCI) console.warn('dedup-prior: skipped, no shared data (set QCC_SHARED_DATA)');

describe.runIf(haveSharedData() || inCI)('dedup against earlier versions: ledgers of published keys', () => {
  const dir = tempDir('qcc-dedup-prior-');
  const posts: string[] = [];
  const pages: Doc[] = [];
  let v1: Awaited<ReturnType<typeof dedupBatch>>;
  let v2: Awaited<ReturnType<typeof dedupBatch>>;
  let v1Docs: Doc[];
  let v2Docs: Doc[];

  beforeAll(async () => {
    const pool: string[] = [];
    for await (const r of readJsonl<{ text: string }>(newsCorpus)) {
      // Long posts only: an edit of one word in 100 keeps them well above the LSH threshold.
      if (r.text.split(/\s+/).length > 250) pool.push(r.text);
      if (pool.length === 800) break;
    }
    const d = await dir;
    // 20 Newsgroups has its own cross-posts and quoted copies: "unrelated" posts must be unrelated, so every
    // post the pass links to another is left out of the sample.
    const inPool = await dedupBatch(
      d,
      'pool',
      pool.map((t, i) => post(`p-${String(i).padStart(4, '0')}`, t)),
      [],
    );
    const linked = new Set([...inPool.removals.values()].flatMap(r => [r.id, r.values.duplicate_of]));
    pool.forEach((t, i) => linked.has(`p-${String(i).padStart(4, '0')}`) || posts.push(t));
    expect(posts.length).toBeGreaterThan(700);
    for await (const p of readArchive(
      cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz'),
      testContext(ingestConfigSchema.parse({})),
    ))
      pages.push(p);

    // v0001: 300 real posts, the real Common Crawl pages, one in-run exact copy and one in-run edited copy (both
    // removed, so not in the ledger).
    v1Docs = [
      ...posts.slice(0, 300).map((t, i) => post(`a-${String(i).padStart(4, '0')}`, t)),
      ...pages.map((p, i) => ({ ...p, id: `a-page-${i}` })),
      post('a-zcopy', posts[0]!.toUpperCase()),
      post('a-znear', edit(posts[1]!)),
    ];
    v1 = await dedupBatch(d, 'v1', v1Docs, []);

    // v0002: exact copies (case and spacing changed), the same URLs captured later with new text, edited copies
    // (near-duplicates), unrelated posts, and an in-run exact pair.
    const later = (ts: string) => new Date(Date.parse(ts) + 86_400_000 * 400).toISOString();
    v2Docs = [
      ...[5, 17, 42].map(k => post(`b-exact-${k}`, posts[k]!.replace(/ +/g, '  ').toLowerCase())),
      ...pages.slice(0, 3).map((p, i) => {
        const url = p
          .url!.replace(/^http:/, 'https:')
          .replace('://', '://www.')
          .replace(/\/?$/, '/');
        const src = p.source.kind === 'warc' ? { ...p.source, timestamp: later(p.source.timestamp!) } : p.source;
        return { ...p, id: `b-url-${i}`, url, source: src, text: posts[600 + i]! };
      }),
      ...[8, 99, 250].map(k => post(`b-near-${k}`, edit(posts[k]!))),
      ...posts.slice(300, 500).map((t, i) => post(`b-new-${String(i).padStart(4, '0')}`, t)),
      post('b-zz-pair', posts[300]!.toUpperCase()),
    ];
    v2 = await dedupBatch(d, 'v2', v2Docs, [{ version: 'v0001', path: v1.ledger }]);
  }, 120_000);

  it('the ledger holds exactly the kept documents, with sorted key runs', () => {
    // The two planted copies and nothing else. Of a near-duplicate pair the longer text is kept (the documented
    // rule), here the edited copy, so the original post goes.
    expect([...v1.removals.values()].map(r => [r.id, r.rule, r.values.duplicate_of])).toEqual([
      ['a-0001', 'near_duplicate', 'a-znear'],
      ['a-zcopy', 'exact_duplicate', 'a-0000'],
    ]);
    const ledger = new SignatureFile(v1.ledger);
    try {
      expect(ledger.ids()).toEqual(
        v1Docs
          .map(x => x.id)
          .filter(id => !v1.removals.has(id))
          .sort(),
      );
      expect(v1.stats.ledger_docs).toBe(v1Docs.length - 2);
      for (const run of [ledger.keyRun('exact'), ledger.keyRun('url'), ledger.bandRun(3)]) {
        const triples = [...run].flatMap(b => [...b]);
        const keys = Array.from(
          { length: triples.length / 3 },
          (_, i) => triples[3 * i]! * 2 ** 32 + triples[3 * i + 1]!,
        );
        expect(keys.length).toBe(ledger.header.docs);
        expect(keys.every((k, i) => i === 0 || keys[i - 1]! <= k)).toBe(true);
        expect(new Set(Array.from({ length: keys.length }, (_, i) => triples[3 * i + 2])).size).toBe(
          ledger.header.docs,
        );
      }
    } finally {
      ledger.close();
    }
  });

  it('exact copies of published documents are removed, naming the version, the document and the key', () => {
    for (const k of [5, 17, 42]) {
      const r = v2.removals.get(`b-exact-${k}`);
      expect(r?.rule).toBe('duplicate_of_earlier_version.exact');
      expect(r?.values).toMatchObject({
        version: 'v0001',
        duplicate_of: `a-${String(k).padStart(4, '0')}`,
        exact_key: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
    }
  });

  it('a URL published before is dropped even when the new capture is newer (an earlier version is immutable)', () => {
    for (let i = 0; i < 3; i++) {
      const r = v2.removals.get(`b-url-${i}`);
      expect(r?.rule).toBe('duplicate_of_earlier_version.url');
      expect(r?.values).toMatchObject({
        version: 'v0001',
        duplicate_of: `a-page-${i}`,
        url_key: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
      expect(r!.values.captured as number).toBeGreaterThan(r!.values.kept_captured as number);
    }
  });

  it('edited copies of published documents are removed as near-duplicates of that version', () => {
    for (const k of [8, 99, 250]) {
      const r = v2.removals.get(`b-near-${k}`);
      expect(r?.rule).toBe('duplicate_of_earlier_version.near');
      expect(r?.values).toMatchObject({ version: 'v0001', duplicate_of: `a-${String(k).padStart(4, '0')}` });
      expect(r!.values.estimated_jaccard as number).toBeGreaterThan(0.8);
    }
  });

  it('unrelated documents are kept; in-run duplicates keep the in-run rule; nothing else is removed', () => {
    expect(v2.removals.get('b-zz-pair')?.rule).toBe('exact_duplicate');
    expect(v2.removals.get('b-zz-pair')?.values.duplicate_of).toBe('b-new-0000');
    expect([...v2.removals.keys()].sort()).toEqual(
      [
        'b-exact-5',
        'b-exact-17',
        'b-exact-42',
        'b-url-0',
        'b-url-1',
        'b-url-2',
        'b-near-8',
        'b-near-99',
        'b-near-250',
        'b-zz-pair',
      ].sort(),
    );
    expect(v2.stats.prior_docs).toBe(v1Docs.length - 2);
    expect(v2.stats.ledger_docs).toBe(v2Docs.length - 10);
  });

  it('a third version checks against both earlier ones, oldest first, and names the right one', async () => {
    const v3 = await dedupBatch(
      await dir,
      'v3',
      [post('c-from-v1', posts[120]!), post('c-from-v2', posts[333]!), post('c-new', posts[650]!)],
      [
        { version: 'v0001', path: v1.ledger },
        { version: 'v0002', path: v2.ledger },
      ],
    );
    expect(v3.removals.get('c-from-v1')?.values).toMatchObject({ version: 'v0001', duplicate_of: 'a-0120' });
    expect(v3.removals.get('c-from-v2')?.values).toMatchObject({ version: 'v0002', duplicate_of: 'b-new-0033' });
    expect(v3.removals.has('c-new')).toBe(false);
    expect(v3.stats.prior_docs).toBe(v1Docs.length - 2 + v2Docs.length - 10);
  });

  it('a ledger made with other MinHash settings is refused, naming the file and the version', async () => {
    const other = dedupConfigSchema.parse({ minhash: { bands: 9, rows: 13 } });
    await expect(
      findDuplicates([], other, () => {}, undefined, { prior: [{ version: 'v0001', path: v1.ledger }] }),
    ).rejects.toThrow(/v1-ledger\.bin: the ledger of version v0001 made with ngram 5, 14x8/);
  });
});
