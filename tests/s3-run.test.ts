import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../stages/storage/client.js';
import { readObjectBytes, readObjectText } from '../stages/storage/read.js';
import { listVersions, readLatest } from '../stages/storage/publish.js';
import { uploadFile } from '../stages/storage/upload.js';
import type { Manifest } from '../stages/write/manifest.js';
import type { Doc } from '../core/types.js';
import { readAllJsonl } from '../core/jsonl.js';
import { cc, haveSharedData, qcc, repo, tempDir } from './helpers.js';
import { haveS3Proxy, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3Proxy, type S3TestServer } from './s3-helpers.js';

const INPUT_KEY = 'crawl-data/CC-MAIN-2024-10/segments/1/warc/sample-0000.warc.gz';

describe.runIf(haveSharedData() && haveS3Proxy())('qcc run with s3:// input and output (real S3Proxy)', () => {
  let server: S3TestServer;
  let client: S3Client;
  let dir: string;
  const env = () => ({
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_PROFILE: '',
  });

  beforeAll(async () => {
    dir = await tempDir('qcc-s3-run-');
    server = await startS3Proxy(join(dir, 'blobs'));
    process.env.AWS_ACCESS_KEY_ID = S3_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = S3_SECRET_ACCESS_KEY;
    client = createS3Client({ endpoint: server.endpoint });
    for (const bucket of ['commoncrawl', 'qcc-out']) await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await uploadFile(client, cc('other/sample-0000.warc.gz'), `s3://commoncrawl/${INPUT_KEY}`, {
      partSizeBytes: 5 * 1024 * 1024,
    });
  }, 180_000);
  afterAll(async () => server?.stop());

  it('reads an s3:// WARC, publishes locally and to the bucket (shards, manifest, then LATEST), and a rerun only checks', async () => {
    const config = join(dir, 's3.yaml');
    await writeFile(
      config,
      `dataset: s3demo
cache_dir: ${join(dir, 'cache')}
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest:
  warc: [ "s3://commoncrawl/${INPUT_KEY}", ${cc('other/clueweb-quirk.warc.gz')} ]
retrieve: { top_k: 25, min_relative_score: 0.1 }
storage: { publish_to: "s3://qcc-out/datasets/s3demo", part_size_mb: 5 }
`,
    );
    const out = join(dir, 'out');
    const first = await qcc(['run', '--config', config, '--out', out], env());
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    expect(first.stdout).toMatch(/published v0001/);
    expect(first.stderr).not.toContain(S3_SECRET_ACCESS_KEY);

    const local = join(out, 's3demo', 'v0001');
    const manifest = JSON.parse(readFileSync(join(local, 'manifest.json'), 'utf8')) as Manifest;
    const docs: Doc[] = [];
    for (const s of manifest.shards) docs.push(...(await readAllJsonl<Doc>(join(local, s.path))));
    const fromS3 = docs.filter(d => (d.source as { warc_file?: string }).warc_file === `s3://commoncrawl/${INPUT_KEY}`);
    expect(fromS3.length).toBeGreaterThan(0);

    const target = 's3://qcc-out/datasets/s3demo';
    expect(await readLatest(target, { client })).toBe('v0001');
    expect(await listVersions(target, { client })).toEqual(['v0001']);
    expect(JSON.parse((await readObjectText(client, `${target}/v0001/manifest.json`))!)).toEqual(manifest);
    for (const entry of [...manifest.shards, ...manifest.files]) {
      const bytes = (await readObjectBytes(client, `${target}/v0001/${entry.path}`))!;
      expect(createHash('sha256').update(bytes).digest('hex'), entry.path).toBe(entry.sha256);
    }

    const again = await qcc(['run', '--config', config, '--out', out], env());
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(again.stdout).toMatch(/up to date: v0001/);
  }, 300_000);
});
