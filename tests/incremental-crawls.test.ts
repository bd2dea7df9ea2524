import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../stages/write/manifest.js';
import type { Doc } from '../core/types.js';
import { readAllJsonl } from '../core/jsonl.js';
import { startTestServer, type TestServer } from './acquire-helpers.js';
import { cc, haveSharedData, qcc, repo, tempDir } from './helpers.js';

const OLD = 'CC-MAIN-2024-10';
const NEW = 'CC-MAIN-2024-18';
const fileOf = (crawl: string) => `crawl-data/${crawl}/segments/1/warc/${crawl}-00000.warc.gz`;

/** A stand-in for the Common Crawl index server and bucket: collinfo.json, listings and real WARC samples. */
async function publishCrawls(server: TestServer, dir: string, crawls: [string, string][]): Promise<void> {
  const collinfo = join(dir, `collinfo-${crawls.length}.json`);
  await writeFile(
    collinfo,
    JSON.stringify(
      crawls.map(([id]) => ({ id, name: id, timegate: '', 'cdx-api': `${server.url}${id}-index` })).reverse(),
    ),
  );
  server.files.set('collinfo.json', collinfo);
  for (const [crawl, sample] of crawls) {
    const listing = join(dir, `${crawl}.warc.paths.gz`);
    await writeFile(listing, gzipSync(fileOf(crawl) + '\n'));
    server.files.set(`crawl-data/${crawl}/warc.paths.gz`, listing);
    server.files.set(fileOf(crawl), sample);
  }
}

describe.runIf(haveSharedData())('a scheduled run that follows new Common Crawl releases', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it('reads the newest crawl, publishes the next version when a new crawl appears, and records the crawls', async () => {
    const dir = await tempDir('qcc-crawls-run-');
    const out = join(dir, 'out');
    const config = join(dir, 'latest.yaml');
    await writeFile(
      config,
      `dataset: weekly
cache_dir: ${join(dir, 'cache')}
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest:
  cc: { crawls: latest, kind: warc, files_per_crawl: 1 }
  acquire: { base_url: "${server.url}", index_url: "${server.url}", retries: 1, backoff_ms: 10 }
retrieve: { top_k: 25, min_relative_score: 0.1 }
`,
    );
    await publishCrawls(server, dir, [[OLD, cc('other/sample-0000.warc.gz')]]);
    const first = await qcc(['run', '--config', config, '--out', out]);
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    expect(first.stdout).toMatch(/published v0001/);

    await publishCrawls(server, dir, [
      [OLD, cc('other/sample-0000.warc.gz')],
      [NEW, cc('other/sample-0001.warc.gz')],
    ]);
    const second = await qcc(['run', '--config', config, '--out', out]);
    expect(second.code, second.stderr.slice(-2000)).toBe(0);
    expect(second.stdout).toMatch(/published v0002 \(parent: v0001\)/);
    const third = await qcc(['run', '--config', config, '--out', out]);
    expect(third.stdout).toMatch(/up to date: v0002/);

    const manifest = (v: string) =>
      JSON.parse(readFileSync(join(out, 'weekly', v, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest('v0001').inputs.crawls).toEqual([OLD]);
    expect(manifest('v0002').inputs.crawls).toEqual([NEW]);
    expect(manifest('v0002').lineage).toMatchObject({ versions: ['v0001', 'v0002'], inputs_new: 1 });
    const docs: Doc[] = [];
    for (const shard of manifest('v0002').shards)
      docs.push(...(await readAllJsonl<Doc>(join(out, 'weekly', 'v0002', shard.path))));
    expect(docs.length).toBeGreaterThan(0);
    // Provenance names the crawl file by its URL, not the local cache copy.
    for (const d of docs) expect((d.source as { warc_file: string }).warc_file).toBe(`${server.url}${fileOf(NEW)}`);
    // The old crawl's file was downloaded once, by the first run only.
    expect(server.log.filter(l => l.path === fileOf(OLD) && l.status === 200)).toHaveLength(1);
  }, 300_000);
});
