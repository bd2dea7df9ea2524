import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../core/types.js';
import { exactHash } from '../stages/dedup/exact.js';
import type { SearchIndex } from '../stages/index/contract.js';
import type { ElasticIndex } from '../stages/index/elastic/elastic-index.js';
import { openSearchIndex } from '../stages/index/open.js';
import { haveSharedData, tempDir } from './helpers.js';
import {
  collect,
  fromList,
  haveElasticsearch,
  indexConfig,
  newsDocs,
  startElasticsearch,
  type EsNode,
} from './index-helpers.js';

const N = 1500;
const EVERY = 7; // every 7th post: all twenty newsgroups appear

interface Backend {
  name: 'fts5' | 'elasticsearch';
  enabled: () => boolean;
  open(): Promise<SearchIndex>;
  teardown(): Promise<void>;
}

let es: EsNode | undefined;
const esIndexName = `qcc-contract-${process.pid}`;

const backends: Backend[] = [
  {
    name: 'fts5',
    enabled: haveSharedData,
    open: async () => openSearchIndex(indexConfig(), { path: join(await tempDir(), 'index.sqlite') }),
    teardown: async () => {},
  },
  {
    name: 'elasticsearch',
    enabled: () => haveSharedData() && haveElasticsearch(),
    async open() {
      es = await startElasticsearch('contract', 9201);
      process.env.QCC_ES_URL = es.url;
      const idx = openSearchIndex(indexConfig({ backend: 'elasticsearch', elasticsearch: { index: esIndexName } }), {
        path: 'unused',
      });
      await (idx as ElasticIndex).drop();
      return idx;
    },
    async teardown() {
      await es?.stop();
    },
  },
];

/** Top-k ids per query from each backend, for the cross-backend comparison at the end. */
const rankings = new Map<string, Map<string, string[]>>();
const COMPARE = [
  'space shuttle launch orbit',
  'encryption key escrow clipper chip',
  'doctor patient medicine disease',
  'hockey playoff goalie',
];

for (const backend of backends) {
  describe.runIf(backend.enabled())(`SearchIndex contract: ${backend.name}`, () => {
    let index: SearchIndex;
    let docs: Doc[];
    let first: { indexed: number; duplicates: number };

    beforeAll(async () => {
      docs = await collect(newsDocs(N, { every: EVERY }));
      index = await backend.open();
      // A duplicate id inside the shard counts once.
      first = await index.addShard('shard-a', fromList([...docs.slice(0, 1000), docs[10]!]), 300);
    });
    afterAll(async () => {
      if (backend.name === 'elasticsearch') await (index as ElasticIndex)?.drop();
      await index?.close();
      delete process.env.QCC_ES_URL;
      await backend.teardown();
    });

    it('adds a shard idempotently by document id', async () => {
      expect(first).toEqual({ indexed: 1000, duplicates: 1 });
      expect(await index.hasShard('shard-a')).toBe(true);
      expect(await index.hasShard('shard-b')).toBe(false);
      expect(await index.shard('shard-a')).toEqual(first);
      // The same shard again: already committed, nothing happens.
      expect(await index.addShard('shard-a', fromList(docs.slice(0, 1000)), 300)).toEqual(first);
      // Another shard overlapping the first by 200 ids adds only the new ones.
      const second = await index.addShard('shard-b', fromList(docs.slice(800)), 250);
      expect(second).toEqual({ indexed: N - 1000, duplicates: 200 });
      expect(await index.stats()).toEqual({ docs: N, shards: 2 });
    });

    it('searches: ranks 1..k, scores non-increasing, every hit holds a query term', async () => {
      const hits = await index.search('space shuttle launch', 10);
      expect(hits).toHaveLength(10);
      expect(hits.map(h => h.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
      expect(hits[0]!.score).toBeGreaterThan(0);
      for (const doc of await index.getDocs(hits.map(h => h.id)))
        expect(doc.text.toLowerCase()).toMatch(/space|shuttle|launch/);
    });

    it('filters on domain, lang and crawl', async () => {
      const byId = new Map(docs.map(d => [d.id, d]));
      const check = async (filters: Parameters<SearchIndex['search']>[2], ok: (d: Doc) => boolean) => {
        const hits = await index.search('computer software program', 30, filters);
        expect(hits.length).toBeGreaterThan(0);
        for (const h of hits) expect(ok(byId.get(h.id)!), `${h.id} against ${JSON.stringify(filters)}`).toBe(true);
        return hits;
      };
      await check({ domain: ['space'] }, d => d.domain === 'space');
      await check({ domain: ['space', 'medicine'] }, d => d.domain === 'space' || d.domain === 'medicine');
      await check({ lang: ['de'] }, d => d.lang?.code === 'de');
      await check(
        { crawl: ['CC-MAIN-2024-22'] },
        d => d.source.kind === 'warc' && d.source.crawl === 'CC-MAIN-2024-22',
      );
      await check({ domain: ['space'], lang: ['en'] }, d => d.domain === 'space' && d.lang?.code === 'en');
      expect(await index.search('computer software program', 30, { domain: [] })).toEqual([]);
      expect(await index.search('computer software program', 30, { domain: ['no-such-domain'] })).toEqual([]);
    });

    it('gets full records by id, in the order asked, and names an unknown id', async () => {
      const ids = [docs[5]!.id, docs[1200]!.id, docs[0]!.id];
      expect(await index.getDocs(ids)).toEqual([docs[5], docs[1200], docs[0]]);
      const infos = await index.info(ids);
      expect(infos[1]).toEqual({
        id: docs[1200]!.id,
        exactHash: exactHash(docs[1200]!.text),
        length: docs[1200]!.text.length,
      });
      await expect(async () => index.getDocs([docs[0]!.id, 'no/such/doc'])).rejects.toThrow(/no\/such\/doc/);
    });

    it('treats query syntax as text; only stop words or only operators find nothing', async () => {
      const plain = (await index.search('shuttle orbit', 5)).map(h => h.id);
      expect(plain.length).toBe(5);
      expect((await index.search('"shuttle" AND (orbit*)', 5)).map(h => h.id)).toEqual(plain);
      expect((await index.search('shuttle" orbit:', 5)).map(h => h.id)).toEqual(plain);
      expect((await index.search('text:shuttle^5 OR orbit~2', 5)).length).toBeGreaterThan(0);
      expect(await index.search('AND OR ( ) * " : ^ ~ {} - + || &&', 5)).toEqual([]);
      // NOT and NEAR are English words here, searched as such.
      for (const doc of await index.getDocs((await index.search('NEAR', 5)).map(h => h.id)))
        expect(doc.text).toMatch(/\bnear\b/i);
      expect(await index.search('the of and which would', 5)).toEqual([]);
      expect(await index.search('', 5)).toEqual([]);
    });

    it('answers a batch like the single queries, in order', async () => {
      const queries = [...COMPARE, 'the and of', 'graphics card driver'];
      const batch = await index.searchBatch(queries.map(query => ({ query, k: 10 })));
      expect(batch).toHaveLength(queries.length);
      expect(batch[4]).toEqual([]);
      for (const [i, query] of queries.entries()) expect(batch[i]).toEqual(await index.search(query, 10));
      const perBackend = new Map(COMPARE.map((q, i) => [q, batch[i]!.map(h => h.id)]));
      rankings.set(backend.name, perBackend);
    });
  });
}

describe.runIf(backends.every(b => b.enabled()))('FTS5 and Elasticsearch agree', () => {
  it('on most of the top 10 for the same queries (both BM25 k1 1.2, b 0.75)', () => {
    const fts = rankings.get('fts5');
    const el = rankings.get('elasticsearch');
    expect(fts && el, 'both contract suites must have run').toBeTruthy();
    let shared = 0;
    for (const q of COMPARE) {
      const a = new Set(fts!.get(q));
      shared += el!.get(q)!.filter(id => a.has(id)).length;
    }
    expect(shared / (COMPARE.length * 10)).toBeGreaterThanOrEqual(0.6);
  });
});

describe('FTS5 refuses BM25 parameters it cannot honour', () => {
  it('names the config key', () => {
    expect(() => indexConfig({ bm25: { k1: 0.9 } })).toThrow(/bm25.*k1|k1 = 1.2/s);
    expect(indexConfig({ backend: 'elasticsearch', bm25: { k1: 0.9, b: 0.4 } }).bm25).toEqual({ k1: 0.9, b: 0.4 });
  });
});
