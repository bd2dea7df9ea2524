import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../core/types.js';
import { ElasticIndex } from '../stages/index/elastic/elastic-index.js';
import { haveSharedData, slowTier } from './helpers.js';
import {
  collect,
  dropIndices,
  esPidFile,
  esScript,
  fromList,
  haveElasticsearch,
  indexConfig,
  newsDocs,
  startElasticsearch,
  type EsNode,
} from './index-helpers.js';

const config = (extra: Record<string, unknown> = {}) =>
  indexConfig({ backend: 'elasticsearch', elasticsearch: { max_retries: 1, ...extra } });

describe('Elasticsearch absent at start', () => {
  it('fails with an error naming the URL, and no credentials', async () => {
    const env = { QCC_ES_URL: 'http://user:s3cret@127.0.0.1:9/', QCC_ES_USERNAME: 'user', QCC_ES_PASSWORD: 's3cret' };
    const index = new ElasticIndex('qcc-absent', config({ max_retries: 0 }), { env });
    const err = await index.addShard('s', fromList([])).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/Elasticsearch at http:\/\/127\.0\.0\.1:9 is not reachable/);
    expect((err as Error).message).toMatch(/QCC_ES_URL/);
    expect((err as Error).message).not.toMatch(/s3cret/);
    await expect(index.search('space shuttle', 5)).rejects.toThrow(/127\.0\.0\.1:9/);
    await index.close();
  });
});

describe.runIf(haveSharedData() && haveElasticsearch())('Elasticsearch bad input', () => {
  let node: EsNode;
  let client: Client;
  const name = (what: string) => `qcc-bad-${what}-${process.pid}`;

  beforeAll(async () => {
    node = await startElasticsearch('bad-input', 9202);
    process.env.QCC_ES_URL = node.url;
    client = new Client({ node: node.url });
  });
  afterAll(async () => {
    if (node) await dropIndices(node.url, `qcc-bad-*-${process.pid}*`);
    await client?.close();
    delete process.env.QCC_ES_URL;
    await node?.stop();
  });

  it('refuses an existing index whose mapping conflicts, naming the index and the field', async () => {
    await client.indices.create({ index: name('mapping'), mappings: { properties: { text: { type: 'keyword' } } } });
    const index = new ElasticIndex(name('mapping'), config());
    await expect(index.addShard('s', fromList([]))).rejects.toThrow(
      new RegExp(`index ${name('mapping')} .*different mapping: .*field text is keyword, expected text`),
    );
    await index.close();
  });

  it('refuses an existing index built with other BM25 parameters, naming the config key', async () => {
    const built = new ElasticIndex(name('bm25'), config());
    await built.addShard('s', fromList(await collect(newsDocs(20))));
    await built.close();
    const other = new ElasticIndex(name('bm25'), indexConfig({ backend: 'elasticsearch', bm25: { k1: 0.9, b: 0.75 } }));
    await expect(other.addShard('t', fromList([]))).rejects.toThrow(/BM25 k1 is 1.2, config index.bm25.k1 is 0.9/);
    await other.close();
  });

  it('names the shard and the reason when the node refuses a document', async () => {
    const index = new ElasticIndex(name('doc'), config());
    const bad = {
      id: 'x'.repeat(600),
      text: 'an id longer than 512 bytes',
      source: { kind: 'corpus', file: 'f', line: 1, original_id: 'x' },
    } as Doc;
    await expect(index.addShard('s', fromList([bad]))).rejects.toThrow(
      /Elasticsearch at http:\/\/127\.0\.0\.1:\d+ .*shard s .*too long/s,
    );
    expect(await index.hasShard('s')).toBe(false);
    await index.close();
  });

  it.runIf(!process.env.QCC_ES_URL && slowTier)(
    'resumes a shard after the node is killed mid-bulk: nothing lost, nothing twice',
    async () => {
      const docs = await collect(newsDocs(3000, { every: 3 }));
      const pid = Number(readFileSync(esPidFile(node.name), 'utf8').trim());
      async function* killingAt(n: number): AsyncIterable<Doc> {
        for (const [i, doc] of docs.entries()) {
          if (i === n) process.kill(pid, 'SIGKILL');
          yield doc;
        }
      }
      const first = new ElasticIndex(name('crash'), config({ bulk_concurrency: 2 }));
      const err = await first.addShard('s', killingAt(1500), 250).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/not reachable|timed out/);
      await first.close().catch(() => {});

      await esScript('start', node.name, node.port);
      const survivors = await client.count({ index: name('crash') });
      expect(survivors.count).toBeGreaterThan(0);
      expect(survivors.count).toBeLessThan(docs.length);

      const resumed = new ElasticIndex(name('crash'), config());
      expect(await resumed.hasShard('s')).toBe(false);
      expect(await resumed.addShard('s', fromList(docs), 250)).toEqual({ indexed: docs.length, duplicates: 0 });
      expect(await resumed.stats()).toEqual({ docs: docs.length, shards: 1 });
      const back = await resumed.getDocs(docs.map(d => d.id));
      expect(back).toEqual(docs);
      await resumed.close();
    },
  );
});
