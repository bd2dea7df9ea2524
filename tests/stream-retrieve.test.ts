import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllJsonl } from '../core/jsonl.js';
import { Counters, type Doc, type Query } from '../core/types.js';
import { Fts5Index } from '../stages/index/fts5.js';
import { mergeShardHits } from '../stages/retrieve/stream/merge.js';
import { combineFloors, floorRows } from '../stages/retrieve/stream/floors.js';
import { QueryIndex } from '../stages/retrieve/stream/query-index.js';
import { scoreShard, type ShardHitRow } from '../stages/retrieve/stream/score-shard.js';
import { sampleShards } from '../stages/retrieve/stream/sample.js';
import { addStats, countStats, emptyStats, scaleSample } from '../stages/retrieve/stream/statistics.js';
import type { Manifest } from '../stages/write/manifest.js';
import { haveModel, haveSharedData, itSlow, newsCorpus, qcc, repo, tempDir } from './helpers.js';
import { demoEnv } from './report-helpers.js';

async function newsPosts(): Promise<Doc[]> {
  const docs: Doc[] = [];
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(newsCorpus).pipe(createGunzip()) })) {
    const post = JSON.parse(text) as { id: string; text: string };
    docs.push({
      id: post.id,
      text: post.text,
      source: { kind: 'corpus', file: newsCorpus, line: ++line, original_id: post.id },
    });
  }
  return docs;
}

/** The seed texts of every domain list in data/seeds/: real queries, written by people. */
function seedQueries(): Query[] {
  const dir = join(repo, 'data', 'seeds', 'domains');
  return readdirSync(dir).flatMap(f =>
    readFileSync(join(dir, f), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((row, i) => {
        const cells = row.split(',');
        return {
          id: `${f}-${i}`,
          domain: cells[0]!,
          text: cells.slice(3).join(','),
          lineage: { seed_id: `${f}-${i}`, round: 0, method: 'seed' as const },
        };
      }),
  );
}

async function* each<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

describe.runIf(haveSharedData())('streaming BM25 against the FTS5 index, on real posts split into shards', () => {
  const k = 25;
  let shards: Doc[][];
  let queries: Query[];
  let index: Fts5Index;

  beforeAll(async () => {
    const posts = (await newsPosts()).slice(0, 4000);
    // Uneven shards, one holding a repeated id (the index keeps the first copy; so does a shard).
    shards = [posts.slice(0, 700), posts.slice(700, 2500), [...posts.slice(2500, 4000), posts[2600]!]];
    // Real seed queries, and subject lines of posts outside the shards (short texts, many ties of equal length).
    const subjects = (await newsPosts()).slice(4000, 4200).map((p, i) => ({
      id: `subject-${i}`,
      domain: 'news',
      text: p.text.split('\t')[0]!,
      lineage: { seed_id: 's', round: 0, method: 'seed' as const },
    }));
    queries = [...seedQueries(), ...subjects];
    index = new Fts5Index(join(await tempDir('qcc-stream-'), 'index.sqlite'));
    for (const [i, docs] of shards.entries()) await index.addShard(`shard-${i}`, each(docs));
  });

  /** The shards' kept hits merged into each query's top k, as the stream-mode retrieve step merges them. */
  const mergedTopK = async (kept: ShardHitRow[][]) => {
    const config = { top_k: k, min_score: 0, min_relative_score: 0 };
    const rows = [];
    for await (const row of mergeShardHits(queries, each(kept.map(h => each(h))), config, new Counters()))
      rows.push(row);
    return rows;
  };
  /** Each query's top k from the FTS5 index, as hit rows. */
  const indexTopK = () =>
    queries.flatMap(q =>
      index
        .search(q.text, k)
        .map(h => ({ query_id: q.id, domain: q.domain, doc_id: h.id, score: h.score, rank: h.rank })),
    );

  it('gives every query the index top k: the same documents, ranks and bit-identical scores', async () => {
    const qi = new QueryIndex(queries);
    const stats = emptyStats();
    for (const docs of shards) addStats(stats, await countStats(qi, each(docs)));
    expect(stats.docs).toBe(index.stats().docs);
    const kept: ShardHitRow[][] = [];
    for (const docs of shards)
      kept.push((await scoreShard(qi, stats, each(docs), { topK: k, keepMinScore: Infinity })).hits);
    const rows = await mergedTopK(kept);
    const expected = indexTopK();
    expect(expected.length).toBeGreaterThan(queries.length * 10);
    expect(rows).toEqual(expected);
  });

  it('with score floors from two shards keeps fewer hits and still merges to the index top k', async () => {
    const qi = new QueryIndex(queries);
    const stats = emptyStats();
    for (const docs of shards) addStats(stats, await countStats(qi, each(docs)));
    const local = { topK: k, keepMinScore: Infinity };
    // The floor shards: the first and the one with a repeated id (a document in both would count once).
    const floorShards = [shards[0]!, shards[2]!];
    const floorHits = [];
    // Each writes only its best 13 hits per query (any subset of documents gives a valid floor).
    for (const docs of floorShards)
      floorHits.push(floorRows((await scoreShard(qi, stats, each(docs), local)).hits, Math.ceil(k / 2)));
    const floors = await combineFloors(
      qi.queries.map(q => q.id),
      each(floorHits.map(rows => each(rows))),
      k,
    );
    expect(floors.filter(f => f > 0).length).toBeGreaterThan(queries.length / 3);
    const kept: ShardHitRow[][] = [];
    let plainHits = 0;
    for (const docs of shards) {
      kept.push((await scoreShard(qi, stats, each(docs), { ...local, floors })).hits);
      plainHits += (await scoreShard(qi, stats, each(docs), local)).hits.length;
    }
    expect(kept.flat().length).toBeLessThan(plainHits * 0.85);
    const rows = await mergedTopK(kept);
    const expected = indexTopK();
    expect(rows).toEqual(expected);
  });

  it('estimates the statistics from a sample of shards: N exact, most of each top k the same', async () => {
    const qi = new QueryIndex(queries);
    const all = shards.flat();
    // 20 shards of posts spread by id, as a crawl's files spread its pages; the sample reads 5 of them.
    const spread = Array.from({ length: 20 }, (_, i) => ({
      id: `shard-${i}`,
      docs: all.filter((_, j) => j % 20 === i),
    }));
    const chosen = sampleShards(spread, 0.25);
    expect(chosen.map(s => s.id)).toEqual(sampleShards(spread, 0.25).map(s => s.id));
    expect(chosen.length).toBe(5);
    const exact = emptyStats();
    for (const s of spread) addStats(exact, await countStats(qi, each(s.docs)));
    const sample = emptyStats();
    for (const s of chosen) addStats(sample, await countStats(qi, each(s.docs)));
    const estimated = scaleSample(sample, exact.docs);
    expect(estimated.docs).toBe(exact.docs);
    const top = async (stats: typeof exact) =>
      (await scoreShard(qi, stats, each(all), { topK: k, keepMinScore: Infinity })).hits;
    const exactHits = await top(exact);
    const sampledHits = new Set((await top(estimated)).map(h => `${h.query_id} ${h.doc_id}`));
    const overlap = exactHits.filter(h => sampledHits.has(`${h.query_id} ${h.doc_id}`)).length / exactHits.length;
    expect(overlap).toBeGreaterThan(0.8);
    expect(overlap).toBeLessThan(1);
  });

  it('keeps every hit above the keep floor as well as the top k, and the merge still cuts at k', async () => {
    const qi = new QueryIndex(queries);
    const stats = await countStats(qi, each(shards[1]!));
    const plain = await scoreShard(qi, stats, each(shards[1]!), { topK: 3, keepMinScore: Infinity });
    const floored = await scoreShard(qi, stats, each(shards[1]!), { topK: 3, keepMinScore: 8 });
    expect(floored.hits.length).toBeGreaterThan(plain.hits.length);
    const byQuery = new Map<string, ShardHitRow[]>();
    for (const h of floored.hits) byQuery.set(h.query_id, [...(byQuery.get(h.query_id) ?? []), h]);
    for (const hits of byQuery.values())
      expect(hits.length).toBeLessThanOrEqual(3 + hits.filter(h => h.score >= 8).length);
    const rows = [];
    for await (const row of mergeShardHits(
      queries,
      each([each(floored.hits)]),
      { top_k: 3, min_score: 0, min_relative_score: 0 },
      new Counters(),
    ))
      rows.push(row);
    const plainRows = [];
    for await (const row of mergeShardHits(
      queries,
      each([each(plain.hits)]),
      { top_k: 3, min_score: 0, min_relative_score: 0 },
      new Counters(),
    ))
      plainRows.push(row);
    expect(rows).toEqual(plainRows);
  });
});

/** Every (query, rank, document, score) row a run's retrieve step wrote. */
async function hitRows(out: string): Promise<unknown[]> {
  const work = join(out, 'qcc-demo', '.work');
  const hits = join(work, readdirSync(work)[0]!, 'hits');
  const rows = [];
  for (const f of readdirSync(hits).sort()) rows.push(...(await readAllJsonl(join(hits, f))));
  return rows;
}

async function published(out: string): Promise<string[]> {
  const dir = join(out, 'qcc-demo', 'v0001');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const ids = [];
  for (const shard of manifest.shards)
    for (const doc of await readAllJsonl<Doc>(join(dir, shard.path))) ids.push(`${doc.domain} ${doc.id}`);
  return ids.sort();
}

describe.runIf(haveSharedData() && haveModel())('retrieve.mode: stream on the demo inputs (relevance off)', () => {
  let root: string;
  const variant = async (name: string, change: (c: Record<string, any>) => void) => {
    const config = parse(readFileSync(join(repo, 'config', 'demo.yaml'), 'utf8')) as Record<string, any>;
    config.seeds.files = config.seeds.files.map((f: string) => join(repo, 'config', f));
    config.relevance = { enabled: false };
    change(config);
    const file = join(root, `${name}.yaml`);
    await writeFile(file, stringify(config));
    return file;
  };

  beforeAll(async () => {
    root = await tempDir('qcc-stream-demo-');
  });

  itSlow(
    'with exact statistics retrieves the same hits and publishes the same documents as the index',
    async () => {
      const indexed = await qcc(
        ['run', '--config', await variant('index', () => {}), '--out', join(root, 'index')],
        demoEnv(),
      );
      expect(indexed.code, indexed.stderr.slice(-2000)).toBe(0);
      const streamed = await qcc(
        ['run', '--config', await variant('stream', c => (c.retrieve.mode = 'stream')), '--out', join(root, 'stream')],
        demoEnv(),
      );
      expect(streamed.code, streamed.stderr.slice(-2000)).toBe(0);
      expect(streamed.stdout).toMatch(/published v0001/);
      const rows = await hitRows(join(root, 'stream'));
      expect(rows.length).toBeGreaterThan(1000);
      expect(rows).toEqual(await hitRows(join(root, 'index')));
      const docs = await published(join(root, 'stream'));
      expect(docs.length).toBeGreaterThan(1000);
      expect(docs).toEqual(await published(join(root, 'index')));
    },
    1_800_000,
  );

  it('refuses a tokenizer it cannot match, naming the keys', async () => {
    const r = await qcc(
      [
        'run',
        '--config',
        await variant('porter', c => {
          c.retrieve.mode = 'stream';
          c.index.tokenizer = 'porter';
        }),
        '--out',
        join(root, 'porter'),
      ],
      demoEnv(),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/retrieve\.mode: stream .* index\.tokenizer: unicode61/);
  }, 600_000);
});
