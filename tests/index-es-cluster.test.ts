import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { freemem, loadavg } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlWriter, readAllJsonl } from '../core/jsonl.js';
import { connectFromEnv } from '../stages/index/elastic/connection.js';
import { ElasticIndex } from '../stages/index/elastic/elastic-index.js';
import { haveSharedData, itSlow, repo, startQcc, tempDir } from './helpers.js';
import {
  collect,
  dropIndices,
  type EsCluster,
  fromList,
  haveElasticsearch,
  indexConfig,
  newsDocs,
  startElasticsearchCluster,
} from './index-helpers.js';
import { allWorkers, onStderrLines, publishedSet } from './ops-helpers.js';
import { slowTier } from './tier.js';

// Its own cluster: name "cluster", HTTP 9211-9213, transport 9311-9313 (no other test uses these).
const CLUSTER = { port: 9211, transportPort: 9311, nodes: 3 };
const FILES = 8;

interface Event {
  time: string;
  rank: number;
  event: string;
  step?: string;
  records?: number;
  counters?: Record<string, number>;
}

const events = (stderr: string): Event[] =>
  stderr
    .split('\n')
    .filter(l => l.startsWith('{') && l.includes('"event"'))
    .map(l => JSON.parse(l) as Event);

const shardsDone = (evs: Event[], step: string) => evs.filter(e => e.event === 'shard_done' && e.step === step);
const sum = (evs: Event[], counter: string) => evs.reduce((n, e) => n + (e.counters?.[counter] ?? 0), 0);

/** The ids of every document the run's ingest wrote, from its `.work/<run>/docs/` shards. */
async function ingestedIds(datasetDir: string): Promise<string[]> {
  const work = join(datasetDir, '.work');
  const docs = join(work, readdirSync(work)[0]!, 'docs');
  const ids: string[] = [];
  for (const f of readdirSync(docs).filter(n => n.endsWith('.jsonl.gz')))
    for (const d of await readAllJsonl<{ id: string }>(join(docs, f))) ids.push(d.id);
  return ids;
}

/** What each live node says of the cluster: health, nodes, shards, pending tasks (for a run that hung). */
async function clusterState(urls: string[]): Promise<string> {
  const out: string[] = [];
  for (const url of urls)
    for (const path of ['_cat/health?v', '_cat/nodes?v', '_cat/shards?v', '_cat/pending_tasks?v']) {
      const text = await fetch(`${url}/${path}`, { signal: AbortSignal.timeout(5000) })
        .then(r => r.text())
        .catch((err: Error) => `(${err.message})`);
      out.push(`${url}/${path}:\n${text}`);
    }
  out.push(
    `machine: load ${loadavg()
      .map(l => l.toFixed(1))
      .join(' ')}, ${Math.round(freemem() / 2 ** 20)} MiB free`,
  );
  return out.join('\n');
}

/** A TCP server that drops every connection at once, as a lost node's port does; it counts the attempts. */
async function droppingServer(): Promise<{ url: string; attempts: () => number; close: () => Promise<void> }> {
  let attempts = 0;
  const server = createServer(socket => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts: () => attempts,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

describe('QCC_ES_URL with several nodes', () => {
  it('retries at once on each other node only: the back-off retries (max_retries) are not multiplied by it', async () => {
    const nodes = [await droppingServer(), await droppingServer()];
    for (const urls of [[nodes[0]!.url], nodes.map(n => n.url)]) {
      const before = nodes.map(n => n.attempts());
      const conn = connectFromEnv({ requestTimeoutMs: 2000, maxRetries: 12 }, { QCC_ES_URL: urls.join(',') });
      await expect(conn.client.info()).rejects.toThrow();
      await conn.client.close();
      const sent = nodes.reduce((n, node, i) => n + node.attempts() - before[i]!, 0);
      expect(sent).toBe(urls.length);
    }
    await Promise.all(nodes.map(n => n.close()));
  });

  it('gives the client every node, shows them without credentials, and names a bad entry', async () => {
    const opts = { requestTimeoutMs: 1000, maxRetries: 0 };
    const conn = connectFromEnv(opts, { QCC_ES_URL: 'http://u:pw@127.0.0.1:9211, http://u:pw@127.0.0.1:9212,' });
    expect(conn.url).toBe('http://127.0.0.1:9211,http://127.0.0.1:9212');
    expect(conn.client.connectionPool.connections.map(c => c.url.port)).toEqual(['9211', '9212']);
    await conn.client.close();
    expect(() => connectFromEnv(opts, { QCC_ES_URL: 'http://127.0.0.1:9211,not a url' })).toThrow(
      /QCC_ES_URL is not a valid URL \(entry 2 of 2\)/,
    );
  });
});

// The cluster takes ~100 s to start on two shared cores, and the test runs qcc three times: the slow tier.
describe.runIf(slowTier && haveSharedData() && haveElasticsearch())(
  'index.backend elasticsearch on a 3-node cluster, indexed by 2 worker processes',
  () => {
    let cluster: EsCluster | undefined;

    beforeAll(async () => {
      if (process.env.QCC_ES_URL)
        console.warn('QCC_ES_URL is ignored here: this test starts and kills its own cluster');
      cluster = await startElasticsearchCluster('cluster', CLUSTER);
      await dropIndices(cluster.url, 'qcc-cluster-*');
    }, 400_000);
    afterAll(async () => {
      if (!cluster) return;
      await dropIndices(cluster.url, 'qcc-cluster-*').catch(() => {});
      await cluster.stop();
    }, 120_000);

    itSlow(
      'ranks that create the index at once share it; one with another mapping is refused',
      async () => {
        const docs = await collect(newsDocs(800, { every: 7 }));
        const config = indexConfig({ backend: 'elasticsearch', elasticsearch: { shards: 3, replicas: 1 } });
        const env = { QCC_ES_URL: cluster!.url };
        const ranks = Array.from({ length: 4 }, () => new ElasticIndex('qcc-cluster-race', config, { env }));
        // Each "rank" adds its own quarter, all at the same moment; the first call of each creates the index.
        const results = await Promise.all(
          ranks.map((idx, r) => idx.addShard(`s${r}`, fromList(docs.filter((_, i) => i % 4 === r)), 50)),
        );
        expect(results.reduce((n, x) => n + x.indexed, 0)).toBe(docs.length);
        expect(results.every(x => x.duplicates === 0)).toBe(true);
        expect(await ranks[0]!.stats()).toEqual({ docs: docs.length, shards: 4 });
        // A rank re-running a committed shard adds nothing.
        expect(await ranks[1]!.addShard('s1', fromList(docs), 50)).toEqual(results[1]);
        const other = new ElasticIndex(
          'qcc-cluster-race',
          indexConfig({ backend: 'elasticsearch', tokenizer: 'porter' }),
          { env },
        );
        await expect(other.addShard('s9', fromList([]))).rejects.toThrow(/qcc-cluster-race .*different mapping/);
        await Promise.all([...ranks, other].map(idx => idx.close()));
      },
      120_000,
    );

    itSlow(
      'both ranks index and retrieve; a node SIGKILLed mid-indexing loses no document and changes no result',
      async () => {
        const c = cluster!;
        const dir = await tempDir('qcc-es-cluster-');
        // Every other real 20 Newsgroups post (all 20 groups), dealt round-robin into 8 corpus files: 8 ingest shards.
        const writers = await Promise.all(
          Array.from({ length: FILES }, (_, f) => JsonlWriter.open(join(dir, `news-${f}.jsonl.gz`))),
        );
        let k = 0;
        for await (const doc of newsDocs(5700, { every: 2 }))
          await writers[k++ % FILES]!.write({ id: doc.id, text: doc.text });
        await Promise.all(writers.map(w => w.close()));
        const config = async (dataset: string) => {
          const file = join(dir, `${dataset}.yaml`);
          await writeFile(
            file,
            `dataset: ${dataset}
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest:
  corpora: [${Array.from({ length: FILES }, (_, f) => `{ path: ${join(dir, `news-${f}.jsonl.gz`)} }`).join(', ')}]
index:
  backend: elasticsearch
  batch_size: 100
  # Killing the elected master costs an election and replica promotions: on a loaded 2-core CI machine that once
  # outlasted the default 8 retries (~46 s of jittered back-off) and the run failed, as it should, naming the shard.
  # 12 retries (~106 s expected, 211 s at most) is the documented knob for a cluster that fails over slowly.
  elasticsearch: { shards: 3, replicas: 1, bulk_concurrency: 1, max_retries: 12 }
retrieve: { top_k: 10, min_relative_score: 0.2, queries_per_shard: 10 }
candidates: { shards: 4 }
`,
          );
          return file;
        };
        const env = { QCC_ES_URL: c.url };
        const out = join(dir, 'out');

        // The reference: one process on the healthy cluster.
        const watch = { deadlineMs: 240_000, diagnose: () => clusterState(c.urls) };
        const [one] = await allWorkers(
          [startQcc(['run', '--config', await config('cluster-one'), '--out', out], env)],
          watch,
        );
        expect(one!.code, one!.stderr.slice(-1500)).toBe(0);
        const reference = await publishedSet(join(out, 'cluster-one'));
        expect(reference.records.length).toBeGreaterThan(50);

        // Two ranks; the elected master is killed when the first index shard is committed.
        const { Client } = await import('@elastic/elasticsearch');
        const client = new Client({ node: c.urls });
        const master = (await client.cat.master({ format: 'json' }))[0]!.node!;
        const victim = Number(master.split('-').at(-1));
        const two = await config('cluster-two');
        const ranks = [0, 1].map(rank =>
          startQcc(['run', '--config', two, '--out', out, '--rank', String(rank), '--world', '2'], env),
        );
        let killedAt: string | undefined;
        for (const r of ranks)
          onStderrLines(r.child, line => {
            if (killedAt || !line.includes('"event":"shard_done","step":"index"')) return;
            c.kill(victim);
            killedAt = new Date().toISOString();
          });
        const results = await allWorkers(ranks, watch);
        expect(results[0]!.stdout).toMatch(/published v0001/);
        expect(results[1]!.stdout).toMatch(/rank 1 of 2: its shards are done; rank 0 publishes/);
        expect(killedAt).toBeDefined();

        const health = await client.cluster.health({ wait_for_status: 'yellow', timeout: '60s' });
        expect(health.number_of_nodes).toBe(2);

        // Counters per rank: each rank indexed ingest shards of its own and ran retrieval shards of its own.
        const perRank = results.map(r => events(r.stderr));
        for (const evs of perRank) {
          expect(shardsDone(evs, 'index').length).toBe(FILES / 2);
          // Both ranks went on indexing after the node was lost.
          expect(shardsDone(evs, 'index').filter(e => e.time > killedAt!).length).toBeGreaterThan(0);
          expect(sum(shardsDone(evs, 'index'), 'index.docs')).toBeGreaterThan(2000);
          expect(shardsDone(evs, 'retrieve').length).toBeGreaterThan(0);
          expect(shardsDone(evs, 'candidates').length).toBeGreaterThan(0);
        }
        console.log(
          `node ${master} killed at ${killedAt}; ` +
            perRank
              .map((evs, r) => {
                const idx = shardsDone(evs, 'index');
                const ret = shardsDone(evs, 'retrieve');
                return `rank ${r}: index ${idx.length} shards, ${sum(idx, 'index.docs')} docs; retrieve ${ret.length} shards, ${sum(ret, 'retrieve.queries')} queries, ${sum(ret, 'retrieve.hits')} hits; candidates ${sum(shardsDone(evs, 'candidates'), 'candidates.docs')}`;
              })
              .join('; '),
        );
        const ids = await ingestedIds(join(out, 'cluster-two'));
        expect(new Set(ids).size).toBe(ids.length);
        expect(perRank.reduce((n, evs) => n + sum(shardsDone(evs, 'index'), 'index.docs'), 0)).toBe(ids.length);

        // Every ingested document is in the index exactly once: the count, and the ids read back.
        const index = (await client.cat.indices({ index: 'qcc-cluster-two-*', format: 'json' }))
          .map(i => i.index!)
          .filter(n => !n.endsWith('.shards'));
        expect(index).toHaveLength(1);
        expect((await client.count({ index: index[0]! })).count).toBe(ids.length);
        const indexed: string[] = [];
        for await (const hit of client.helpers.scrollSearch<{ id: string }>({
          index: index[0]!,
          size: 1000,
          _source: ['id'],
          query: { match_all: {} },
        }))
          for (const h of hit.documents) indexed.push(h.id);
        expect(indexed.length).toBe(ids.length);
        expect(indexed.sort()).toEqual([...ids].sort());
        await client.close();

        // The same published documents as the single process.
        const split = await publishedSet(join(out, 'cluster-two'));
        expect(split.records).toEqual(reference.records);
        expect(split.manifest.funnel).toEqual(reference.manifest.funnel);
      },
      600_000,
    );
  },
);
