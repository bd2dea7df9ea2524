import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcquireError, downloadFile } from '../stages/acquire/index.js';
import { cachePathFor, isUrl, resolveInputs } from '../stages/acquire/inputs.js';
import { readArchive } from '../stages/ingest/archive.js';
import { ingestConfigSchema } from '../stages/ingest/config.js';
import { createS3Client, resolveEndpoint } from '../stages/storage/client.js';
import { storageConfigSchema } from '../stages/storage/config.js';
import { fetchVersionFromObjectStore } from '../stages/storage/fetch.js';
import { listVersions, publishVersionToObjectStore, readLatest } from '../stages/storage/publish.js';
import { downloadObject, headObject, openObjectStream, readObjectText } from '../stages/storage/read.js';
import { parseS3Url, S3UrlError } from '../stages/storage/s3-url.js';
import { MIB, uploadFile } from '../stages/storage/upload.js';
import type { Doc } from '../core/types.js';
import { testContext } from './stage-context.js';
import type { Manifest } from '../stages/write/manifest.js';
import { cc, haveSharedData, qcc, repo, tempDir } from './helpers.js';
import {
  haveS3Proxy,
  S3_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY,
  startFaultProxy,
  startS3Proxy,
  type S3TestServer,
} from './s3-helpers.js';

const CC2020 = 'commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz';
const CC_KEY =
  'crawl-data/CC-MAIN-2020-34/segments/1596439738015.38/warc/CC-MAIN-20200808165417-20200808195417-00395.warc.gz';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('s3:// URLs and the storage config (no server)', () => {
  it('parses bucket and key, and names the URL in errors', () => {
    expect(parseS3Url(`s3://commoncrawl/${CC_KEY}`)).toEqual({ bucket: 'commoncrawl', key: CC_KEY });
    expect(parseS3Url('s3://my-bucket')).toEqual({ bucket: 'my-bucket', key: '' });
    expect(() => parseS3Url('s3://Bad_Bucket/x')).toThrow(/s3:\/\/Bad_Bucket\/x: .*bucket "Bad_Bucket"/);
    expect(() => parseS3Url('s3:///key')).toThrow(S3UrlError);
    expect(() => parseS3Url('s3://bucket/a/../b')).toThrow(/s3:\/\/bucket\/a\/\.\.\/b/);
    expect(() => parseS3Url('s3://bucket/', { requireKey: true })).toThrow(/no object key/);
    expect(() => parseS3Url('https://bucket/x')).toThrow(/must start with s3:\/\//);
  });

  it('treats s3:// as a URL input cached under s3/<bucket>/<key>', () => {
    expect(isUrl(`s3://commoncrawl/${CC_KEY}`)).toBe(true);
    expect(isUrl('https://data.commoncrawl.org/x')).toBe(true);
    expect(isUrl('/data/x.warc.gz')).toBe(false);
    expect(cachePathFor('/cache', `s3://commoncrawl/${CC_KEY}`)).toBe(join('/cache', 's3', 'commoncrawl', CC_KEY));
    expect(cachePathFor('/cache', 'https://data.commoncrawl.org/crawl-data/a.gz')).toBe(
      join('/cache', 'data.commoncrawl.org', 'crawl-data', 'a.gz'),
    );
  });

  it('validates the storage config', () => {
    expect(storageConfigSchema.parse({})).toEqual({ region: 'us-east-1', force_path_style: true, part_size_mb: 16 });
    expect(() => storageConfigSchema.parse({ publish_to: 'https://example.org/x' })).toThrow(/s3:\/\/bucket/);
    expect(() => storageConfigSchema.parse({ publish_to: 's3://B/x' })).toThrow(/not a valid s3:\/\/ URL/);
    expect(() => storageConfigSchema.parse({ part_size_mb: 1 })).toThrow();
    expect(() => storageConfigSchema.parse({ bucket: 'x' })).toThrow(/bucket/);
  });

  it('takes the endpoint from the config, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL', () => {
    expect(resolveEndpoint({ endpoint: 'http://a:1' }, { AWS_ENDPOINT_URL: 'http://c:3' })).toBe('http://a:1');
    expect(resolveEndpoint({}, { AWS_ENDPOINT_URL_S3: 'http://b:2', AWS_ENDPOINT_URL: 'http://c:3' })).toBe(
      'http://b:2',
    );
    expect(resolveEndpoint({}, { AWS_ENDPOINT_URL: 'http://c:3' })).toBe('http://c:3');
    expect(resolveEndpoint({}, {})).toBeUndefined();
  });
});

describe.runIf(haveSharedData() && haveS3Proxy())('against a real S3Proxy on 127.0.0.1', () => {
  let server: S3TestServer;
  let client: S3Client;
  let dir: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    dir = await tempDir('qcc-s3-');
    server = await startS3Proxy(join(dir, 'blobs'));
    // The SDK's default credential chain reads these, as it would on any machine.
    for (const [k, v] of Object.entries({
      AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_S3: undefined,
    })) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    client = createS3Client({ endpoint: server.endpoint });
    for (const bucket of ['commoncrawl', 'qcc-data']) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }, 120_000);

  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    client?.destroy();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('round-trips a real WARC: multipart upload, ranged read, download resumed after a cut', async () => {
    // Real WARC files are multi-member gzip, so their concatenation is itself a valid WARC; 13 MB gives
    // three parts at S3's minimum part size of 5 MiB.
    const parts = [CC2020, 'other/sample-0000.warc.gz', 'other/sample-0001.warc.gz', 'other/clueweb-quirk.warc.gz'].map(
      f => readFileSync(cc(f)),
    );
    const warc = Buffer.concat(Array.from({ length: 15 }, () => parts).flat());
    const local = join(dir, 'big.warc.gz');
    await writeFile(local, warc);
    const url = 's3://qcc-data/roundtrip/big.warc.gz';
    const up = await uploadFile(client, local, url, { partSizeBytes: 5 * MIB, metadata: { sha256: sha256(warc) } });
    expect(up.parts).toBe(Math.ceil(warc.length / (5 * MIB)));
    expect(up.parts).toBeGreaterThanOrEqual(3);
    // A multipart object's ETag is "<md5 of the part md5s>-<parts>".
    expect(up.etag).toMatch(new RegExp(`-${up.parts}"$`));
    const head = await headObject(client, url);
    expect(head).toMatchObject({ size: warc.length, metadata: { sha256: sha256(warc) } });

    const chunks: Buffer[] = [];
    for await (const c of await openObjectStream(client, url, { start: 1000, end: 1999 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(warc.subarray(1000, 2000))).toBe(true);

    const dest = join(dir, 'dl', 'big.warc.gz');
    const cut = new AbortController();
    const retry = { retries: 2, backoff_ms: 10, max_backoff_ms: 50, timeout_ms: 10_000 };
    await expect(
      downloadObject(client, url, dest, {
        ...retry,
        signal: cut.signal,
        onProgress: n => n > 4 * MIB && cut.abort(new Error('cut by the test')),
      }),
    ).rejects.toThrow('cut by the test');
    const partial = (await stat(`${dest}.part`)).size;
    expect(partial).toBeGreaterThan(4 * MIB);
    expect(partial).toBeLessThan(warc.length);
    expect(existsSync(dest)).toBe(false);

    const resumed = await downloadObject(client, url, dest, retry);
    expect(resumed).toMatchObject({ bytes: warc.length, resumedFrom: partial, skipped: false, attempts: 1 });
    expect(sha256(await readFile(dest))).toBe(sha256(warc));
    expect(existsSync(`${dest}.part`)).toBe(false);

    // The object is replaced between the cut and the resume: the ETag guard restarts the file instead of
    // splicing two objects together.
    const otherUrl = 's3://qcc-data/roundtrip/changing.warc.gz';
    await uploadFile(client, local, otherUrl, { partSizeBytes: 5 * MIB });
    const otherDest = join(dir, 'dl', 'changing.warc.gz');
    const cut2 = new AbortController();
    await expect(
      downloadObject(client, otherUrl, otherDest, {
        ...retry,
        signal: cut2.signal,
        onProgress: n => n > 4 * MIB && cut2.abort(new Error('cut')),
      }),
    ).rejects.toThrow('cut');
    const replacement = Buffer.concat(Array.from({ length: 10 }, () => parts.slice().reverse()).flat());
    await writeFile(join(dir, 'replacement.warc.gz'), replacement);
    await uploadFile(client, join(dir, 'replacement.warc.gz'), otherUrl, { partSizeBytes: 5 * MIB });
    const restarted = await downloadObject(client, otherUrl, otherDest, retry);
    expect(restarted).toMatchObject({ bytes: replacement.length, attempts: 2 });
    expect(sha256(await readFile(otherDest))).toBe(sha256(replacement));
  }, 60_000);

  it('retries throttling and a dropped connection: the download resumes by Range, an upload is repeated', async () => {
    const proxy = await startFaultProxy(server.endpoint);
    // One attempt per request in the SDK, so what is seen here is this project's own retry and resume.
    const faulty = createS3Client({ endpoint: proxy.endpoint, max_attempts: 1 });
    try {
      const url = 's3://qcc-data/roundtrip/big.warc.gz';
      const size = (await headObject(client, url))!.size;
      proxy.faults.set('GET /qcc-data/roundtrip/big.warc.gz', [
        { kind: 'status', status: 503, code: 'SlowDown' },
        { kind: 'cut', bytes: 3 * MIB },
      ]);
      const dest = join(dir, 'faults', 'big.warc.gz');
      const result = await downloadObject(faulty, url, dest, {
        retries: 3,
        backoff_ms: 10,
        max_backoff_ms: 50,
        timeout_ms: 10_000,
      });
      expect(result).toMatchObject({ bytes: size, attempts: 3, resumedFrom: 0 });
      const gets = proxy.log.filter(l => l.method === 'GET');
      expect(gets.map(l => l.fault)).toEqual(['status', 'cut', undefined]);
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[2]!.range ?? '')?.[1]);
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThanOrEqual(3 * MIB);
      expect(sha256(await readFile(dest))).toBe((await headObject(client, url))!.metadata.sha256);

      const small = cc('commoncrawl/whirlwind.warc.gz');
      proxy.faults.set('PUT /qcc-data/faults/whirlwind.warc.gz', [
        { kind: 'status', status: 500, code: 'InternalError' },
      ]);
      const put = await uploadFile(faulty, small, 's3://qcc-data/faults/whirlwind.warc.gz', {
        partSizeBytes: 5 * MIB,
        retry: { backoff_ms: 10 },
      });
      expect(put.bytes).toBe(readFileSync(small).length);
      expect(proxy.log.filter(l => l.method === 'PUT').map(l => l.fault)).toEqual(['status', undefined]);

      proxy.faults.set(
        'GET /qcc-data/roundtrip/big.warc.gz',
        Array.from({ length: 3 }, () => ({ kind: 'status', status: 503, code: 'SlowDown' }) as const),
      );
      await expect(
        downloadObject(faulty, url, join(dir, 'faults', 'never.warc.gz'), {
          retries: 2,
          backoff_ms: 10,
          max_backoff_ms: 10,
          timeout_ms: 10_000,
        }),
      ).rejects.toThrow(/^s3:\/\/qcc-data\/roundtrip\/big\.warc\.gz: .*SlowDown.*gave up after 3 attempts/);
    } finally {
      faulty.destroy();
      await proxy.close();
    }
  }, 60_000);

  it('resolves s3://commoncrawl/... inputs against the configured endpoint; the cached copy reads like the local file', async () => {
    const url = `s3://commoncrawl/${CC_KEY}`;
    await uploadFile(client, cc(CC2020), url, { partSizeBytes: 5 * MIB });
    const cacheDir = join(dir, 'cache');
    const [resolved, localPath] = await resolveInputs([url, cc('commoncrawl/whirlwind.warc.gz')], {
      cacheDir,
      storage: { endpoint: server.endpoint },
      acquire: { retries: 1 },
    });
    expect(resolved).toBe(join(cacheDir, 's3', 'commoncrawl', CC_KEY));
    expect(localPath).toBe(cc('commoncrawl/whirlwind.warc.gz'));
    expect(sha256(await readFile(resolved!))).toBe(sha256(readFileSync(cc(CC2020))));

    const read = async (file: string) => {
      const docs: Omit<Doc, 'source'>[] = [];
      for await (const { source, ...doc } of readArchive(file, testContext(ingestConfigSchema.parse({})))) {
        expect(source.kind === 'corpus' ? '' : source.warc_file).toBe(file);
        docs.push({ ...doc, offset: (source as { offset: number }).offset } as Omit<Doc, 'source'>);
      }
      return docs;
    };
    const fromS3 = await read(resolved!);
    const fromLocal = await read(cc(CC2020));
    expect(fromS3.length).toBeGreaterThan(5);
    expect(fromS3).toEqual(fromLocal);
  }, 60_000);

  it('takes the endpoint from AWS_ENDPOINT_URL; a missing object fails at once, naming its URL', async () => {
    process.env.AWS_ENDPOINT_URL = server.endpoint;
    try {
      const url = `s3://commoncrawl/${CC_KEY}`;
      const viaEnv = await downloadFile(url, join(dir, 'env', 'a.warc.gz'), {
        retries: 1,
        backoff_ms: 10,
        max_backoff_ms: 10,
        timeout_ms: 10_000,
      });
      expect(viaEnv.bytes).toBe(readFileSync(cc(CC2020)).length);
      const missing = 's3://commoncrawl/crawl-data/none.warc.gz';
      const error = await downloadFile(missing, join(dir, 'env', 'none.warc.gz'), {
        retries: 3,
        backoff_ms: 10,
        max_backoff_ms: 10,
        timeout_ms: 10_000,
      }).catch(e => e);
      expect(error).toBeInstanceOf(AcquireError);
      expect(error.message).toMatch(/^s3:\/\/commoncrawl\/crawl-data\/none\.warc\.gz: GET failed \(NoSuchKey/);
      expect(await readObjectText(client, missing)).toBeUndefined();
    } finally {
      delete process.env.AWS_ENDPOINT_URL;
    }
  }, 30_000);

  describe('publishing a real built version', () => {
    let datasetDir: string;
    const target = 's3://qcc-data/datasets/lean';
    const storage = () => ({ endpoint: server.endpoint, part_size_mb: 5 });

    /** Two real versions of one dataset folder, made by `qcc run` without the model (seeds are the queries). */
    beforeAll(async () => {
      const out = join(dir, 'out');
      for (const [name, topK] of [
        ['a', 15],
        ['b', 10],
      ] as const) {
        const config = join(dir, `lean-${name}.yaml`);
        await writeFile(
          config,
          `dataset: lean
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest: { warc: [${cc(CC2020)}, ${cc('other/sample-0000.warc.gz')}] }
retrieve: { top_k: ${topK} }
write: { records_per_part: 4 }
`,
        );
        const run = await qcc(['run', '--config', config, '--out', out]);
        expect(run.code, run.stderr.slice(-2000)).toBe(0);
      }
      datasetDir = join(out, 'lean');
      expect(existsSync(join(datasetDir, 'v0002', 'manifest.json'))).toBe(true);
    }, 120_000);

    it('uploads every file, manifest last, then LATEST; a failure before the manifest leaves LATEST old and a rerun completes', async () => {
      const first = await publishVersionToObjectStore(join(datasetDir, 'v0001'), target, 'v0001', {
        storage: storage(),
      });
      expect(first).toMatchObject({ latest: 'v0001', latestMoved: true, skipped: 0 });
      expect(await readLatest(target, { storage: storage() })).toBe('v0001');

      // Damage one shard of v0002 (its bytes no longer match its manifest): the publish stops before the manifest.
      const v2 = join(datasetDir, 'v0002');
      const manifest = JSON.parse(readFileSync(join(v2, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.shards.length).toBeGreaterThan(2);
      const victim = join(v2, manifest.shards.at(-1)!.path);
      const original = await readFile(victim);
      await writeFile(victim, Buffer.concat([original, Buffer.from('x')]));
      const failed = await publishVersionToObjectStore(v2, target, 'v0002', {
        storage: storage(),
        concurrency: 1,
      }).catch(e => e);
      expect(failed).toBeInstanceOf(Error);
      expect(failed.message).toContain(victim);
      expect(await headObject(client, `${target}/v0002/manifest.json`)).toBeUndefined();
      expect(await headObject(client, `${target}/v0002/${manifest.shards[0]!.path}`)).toBeDefined();
      expect(await readLatest(target, { storage: storage() })).toBe('v0001');
      expect(await listVersions(target, { storage: storage() })).toEqual(['v0001']);

      await writeFile(victim, original);
      const rerun = await publishVersionToObjectStore(v2, target, 'v0002', { storage: storage() });
      expect(rerun.skipped).toBeGreaterThan(0);
      expect(rerun.uploaded).toBeGreaterThan(0);
      expect(rerun).toMatchObject({ latest: 'v0002', latestMoved: true, url: `${target}/v0002/` });
      expect(await readLatest(target, { storage: storage() })).toBe('v0002');
      expect(await listVersions(target, { storage: storage() })).toEqual(['v0001', 'v0002']);

      for (const entry of [...manifest.shards, ...manifest.removed, ...manifest.files]) {
        const head = await headObject(client, `${target}/v0002/${entry.path}`);
        expect(head, entry.path).toMatchObject({ size: entry.bytes, metadata: { sha256: entry.sha256 } });
      }
      // Files a version has beside those the manifest lists: uploaded too.
      for (const extra of ['README.md', 'ledger/inputs.jsonl']) {
        expect(existsSync(join(v2, extra)), extra).toBe(true);
        expect(await headObject(client, `${target}/v0002/${extra}`), extra).toBeDefined();
      }
      const remoteManifest = await readObjectText(client, `${target}/v0002/manifest.json`);
      expect(remoteManifest).toBe(readFileSync(join(v2, 'manifest.json'), 'utf8'));

      // Publishing again uploads nothing; an older version never moves LATEST back.
      const again = await publishVersionToObjectStore(v2, target, 'v0002', { storage: storage() });
      expect(again).toMatchObject({ uploaded: 0, latestMoved: false, latest: 'v0002' });
      const older = await publishVersionToObjectStore(join(datasetDir, 'v0001'), target, 'v0001', {
        storage: storage(),
      });
      expect(older).toMatchObject({ uploaded: 0, latestMoved: false, latest: 'v0002' });
    }, 120_000);

    it('fetches a published version back into a local folder, byte for byte; refuses an unfinished one', async () => {
      // Its own prefix and version, published here: nothing depends on what the test above left in the bucket.
      const own = 's3://qcc-data/datasets/lean-fetch';
      const local = join(datasetDir, 'v0001');
      const published = await publishVersionToObjectStore(local, own, 'v0001', { storage: storage() });
      expect(published).toMatchObject({ latest: 'v0001', latestMoved: true, skipped: 0 });
      const fetched = await fetchVersionFromObjectStore(own, 'v0001', join(dir, 'fetched', 'v0001'), {
        storage: storage(),
      });
      const files = (await readdir(local, { recursive: true, withFileTypes: true }))
        .filter(e => e.isFile())
        .map(e => relative(local, join(e.parentPath, e.name)))
        .sort();
      expect(fetched.files).toBe(files.length);
      for (const f of files)
        expect(sha256(await readFile(join(fetched.dir, f))), f).toBe(sha256(await readFile(join(local, f))));
      await uploadFile(client, join(local, 'README.md'), `${own}/v0009/README.md`, { partSizeBytes: 5 * MIB });
      await expect(
        fetchVersionFromObjectStore(own, 'v0009', join(dir, 'fetched', 'v0009'), { storage: storage() }),
      ).rejects.toThrow(/v0009\/: no manifest\.json/);
      expect(existsSync(join(dir, 'fetched', 'v0009'))).toBe(false);
      expect(await listVersions(own, { storage: storage() })).toEqual(['v0001']);
    });

    it('refuses a folder whose manifest names another version', async () => {
      const copy = join(dir, 'copy-v0001');
      await cp(join(datasetDir, 'v0001'), copy, { recursive: true });
      await expect(publishVersionToObjectStore(copy, target, 'v0003', { storage: storage() })).rejects.toThrow(
        /manifest\.json: names version v0001, not v0003/,
      );
      expect(await listVersions(target, { storage: storage() })).not.toContain('v0003');
    });
  });
});
