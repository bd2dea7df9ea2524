import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlWriter, readAllJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import type { Manifest } from '../stages/write/manifest.js';
import { cc, haveSharedData, qcc, repo, tempDir } from './helpers.js';
import { dropIndices, haveElasticsearch, newsDocs, startElasticsearch, type EsNode } from './index-helpers.js';

interface Published {
  manifest: Manifest;
  records: Doc[];
  files: string[];
}

async function published(out: string, dataset: string): Promise<Published> {
  const dir = join(out, dataset);
  const version = readFileSync(join(dir, 'LATEST'), 'utf8').trim();
  const manifest = JSON.parse(readFileSync(join(dir, version, 'manifest.json'), 'utf8')) as Manifest;
  const records: Doc[] = [];
  for (const shard of manifest.shards) records.push(...(await readAllJsonl<Doc>(join(dir, version, shard.path))));
  const files = (readdirSync(join(dir, version), { recursive: true }) as string[])
    .map(f => f.replace(/part-\d+-of-\d+/, 'part'))
    .sort();
  return { manifest, records, files };
}

const keysOf = (records: object[]) => [...new Set(records.flatMap(r => Object.keys(r)))].sort();

describe.runIf(haveSharedData() && haveElasticsearch())('qcc run with index.backend elasticsearch', () => {
  let node: EsNode;
  let dir: string;
  const runs: Record<string, Published> = {};

  beforeAll(async () => {
    node = await startElasticsearch('e2e', 9203);
    dir = await tempDir('qcc-es-e2e-');
    // 1,200 real posts (every 9th) as a small corpus, plus two real crawls.
    const corpus = join(dir, 'news.jsonl.gz');
    const writer = await JsonlWriter.open(corpus);
    for await (const doc of newsDocs(1200, { every: 9 })) await writer.write({ id: doc.id, text: doc.text });
    await writer.close();
    for (const backend of ['fts5', 'elasticsearch']) {
      const config = join(dir, `${backend}.yaml`);
      await writeFile(
        config,
        `dataset: e2e-${backend}
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest:
  warc: [${cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz')}, ${cc('other/sample-0000.warc.gz')}]
  corpora: [{ path: ${corpus} }]
index: { backend: ${backend} }
retrieve: { top_k: 10, min_relative_score: 0.2 }
`,
      );
      const out = join(dir, 'out');
      const result = await qcc(['run', '--config', config, '--out', out], { QCC_ES_URL: node.url });
      expect(result.code, `${backend} run failed: ${result.stderr.slice(-1500)}`).toBe(0);
      runs[backend] = await published(out, `e2e-${backend}`);
    }
  });
  afterAll(async () => {
    if (node) await dropIndices(node.url, 'qcc-e2e-elasticsearch-*');
    await node?.stop();
  });

  it('publishes the same dataset shape as FTS5', () => {
    const fts = runs.fts5!;
    const es = runs.elasticsearch!;
    // Which filter rules removed something depends on which documents were retrieved: compare the rest.
    const kept = (files: string[]) => files.filter(f => !f.startsWith('removed/'));
    expect(kept(es.files)).toEqual(kept(fts.files));
    expect(Object.keys(es.manifest).sort()).toEqual(Object.keys(fts.manifest).sort());
    expect(Object.keys(es.manifest.counts).sort()).toEqual(Object.keys(fts.manifest.counts).sort());
    expect(Object.keys(es.manifest.domains).sort()).toEqual(Object.keys(fts.manifest.domains).sort());
    expect(es.records.length).toBeGreaterThan(0);
    expect(keysOf(es.records)).toEqual(keysOf(fts.records));
    expect(keysOf(es.records.map(r => r.retrieval!))).toEqual(keysOf(fts.records.map(r => r.retrieval!)));
    expect(es.manifest.counts.index!['index.docs']).toBe(fts.manifest.counts.index!['index.docs']);
  });

  it('publishes the same documents, byte for byte, where both backends found them', () => {
    const ftsById = new Map(runs.fts5!.records.map(r => [r.id, r]));
    const both = runs.elasticsearch!.records.filter(r => ftsById.has(r.id));
    expect(both.length / Math.max(ftsById.size, runs.elasticsearch!.records.length)).toBeGreaterThan(0.5);
    for (const r of both) {
      const f = ftsById.get(r.id)!;
      expect({ text: r.text, source: r.source, url: r.url, lang: r.lang }).toEqual({
        text: f.text,
        source: f.source,
        url: f.url,
        lang: f.lang,
      });
    }
  });
});
