/**
 * Issue 16, F2: `storage.publish_to` through `qcc run` against a real S3Proxy, with the run killed in the
 * middle of the upload and the server stopped in the middle of a publish. A loopback gate in front of the
 * server holds the request after the Nth PUT while the test kills the run or stops the server, so the
 * fault lands at the same point every time.
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../stages/storage/client.js';
import { listVersions, readLatest } from '../stages/storage/publish.js';
import { listObjects, readObjectBytes } from '../stages/storage/read.js';
import type { Manifest } from '../stages/write/manifest.js';
import { cc, haveSharedData, itSlow, qcc, tempDir } from './helpers.js';
import {
  haveS3Proxy,
  listenOnLoopback,
  S3_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY,
  startS3Proxy,
  type S3TestServer,
} from './s3-helpers.js';
import {
  expectCleanError,
  FAULT_WARCS,
  THIRD_WARC,
  versionRecords,
  watchRun,
  writeFaultConfig,
} from './faults-helpers.js';

const TARGET = 's3://qcc-out/f2/ds';
const BUCKET_PATH = '/qcc-out/f2/ds';

interface Gate {
  endpoint: string;
  upstream: string;
  /** Called for each request before it is forwarded; the request waits for the promise it returns. */
  hold?: (method: string, path: string) => Promise<void> | undefined;
  close(): Promise<void>;
}

/** Forwards to `gate.upstream` (Host header kept, so SigV4 still verifies); a dead upstream drops the connection. */
async function startGate(upstream: string): Promise<Gate> {
  const gate: Gate = { endpoint: '', upstream, close: async () => {} };
  const server = createServer(async (req, res) => {
    req.pause();
    await gate.hold?.(req.method!, decodeURIComponent((req.url ?? '/').split('?')[0]!));
    if (req.destroyed) return; // its client was killed meanwhile: nothing reaches the server
    const target = new URL(gate.upstream);
    const up = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      upRes => {
        res.writeHead(upRes.statusCode!, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  Object.assign(gate, await listenOnLoopback(server));
  return gate;
}

/** Runs `fault` once, when the (n+1)th PUT of `version`'s files arrives; that request and every later one wait for it. */
function faultAfterPuts(gate: Gate, version: string, n: number, fault: () => Promise<void>): void {
  let puts = 0;
  let fired: Promise<void> | undefined;
  gate.hold = (method, path) => {
    if (fired) return fired;
    if (method === 'PUT' && path.startsWith(`${BUCKET_PATH}/${version}/`) && ++puts > n) return (fired = fault());
    return undefined;
  };
}

describe.runIf(haveSharedData() && haveS3Proxy())('F2: the object-store copy through `qcc run` (real S3Proxy)', () => {
  let dir: string;
  let blobs: string;
  let server: S3TestServer;
  let gate: Gate;
  let client: S3Client;
  const env = () => ({
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL: gate.endpoint,
    AWS_PROFILE: '',
  });
  const startServer = async () => {
    server = await startS3Proxy(blobs);
    gate.upstream = server.endpoint;
    client = createS3Client({ endpoint: server.endpoint });
  };

  beforeAll(async () => {
    dir = await tempDir('qcc-f2-');
    blobs = join(dir, 'blobs');
    process.env.AWS_ACCESS_KEY_ID = S3_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = S3_SECRET_ACCESS_KEY;
    gate = await startGate('http://127.0.0.1:9');
    await startServer();
    await client.send(new CreateBucketCommand({ Bucket: 'qcc-out' }));
  }, 180_000);
  afterAll(async () => {
    await gate?.close();
    await server?.stop();
  });

  const storage = `storage: { publish_to: "${TARGET}", part_size_mb: 5, retries: 0 }`;
  const out = () => join(dir, 'out');
  const datasetDir = () => join(out(), 'ds');
  const status = async (config: string) =>
    JSON.parse((await qcc(['status', '--config', config, '--out', out(), '--json'], env())).stdout);
  const keysOf = async (version: string) => {
    const keys: string[] = [];
    for await (const o of listObjects(client, `${TARGET}/${version}/`)) keys.push(o.key);
    return keys;
  };
  /** Every file the local version lists is in the bucket with the same bytes. */
  const expectCompleteCopy = async (version: string) => {
    const local = join(datasetDir(), version);
    const manifest = JSON.parse(readFileSync(join(local, 'manifest.json'), 'utf8')) as Manifest;
    for (const entry of [...manifest.shards, ...manifest.removed, ...manifest.files]) {
      const bytes = await readObjectBytes(client, `${TARGET}/${version}/${entry.path}`);
      expect(bytes && createHash('sha256').update(bytes).digest('hex'), `${version}/${entry.path}`).toBe(entry.sha256);
    }
    expect(
      (await readObjectBytes(client, `${TARGET}/${version}/manifest.json`))!.equals(
        readFileSync(join(local, 'manifest.json')),
      ),
    ).toBe(true);
  };
  const run = (config: string) => qcc(['run', '--config', config, '--out', out()], env());

  it('a run killed mid-upload: the rerun says "up to date" and completes the copy; status tells an incomplete copy', async () => {
    const config = await writeFaultConfig(dir, { dataset: 'ds', name: 'v1', extra: storage });
    const started = watchRun(['--config', config, '--out', out()], () => {}, env());
    faultAfterPuts(gate, 'v0001', 3, async () => {
      started.child.kill('SIGKILL');
      await started.done;
    });
    const result = await started.done;
    gate.hold = undefined;
    expect(result.signal, result.stderr.slice(-1500)).toBe('SIGKILL');
    // Published locally, 3 objects in the bucket, no manifest, no LATEST: the state the issue found.
    expect(readFileSync(join(datasetDir(), 'LATEST'), 'utf8')).toBe('v0001\n');
    const partial = await keysOf('v0001');
    expect(partial.length).toBeGreaterThanOrEqual(3);
    expect(partial).not.toContain('f2/ds/v0001/manifest.json');
    expect(await readLatest(TARGET, { client })).toBeUndefined();
    const before = await status(config);
    expect(before.object_store).toEqual({ target: TARGET, incomplete: ['v0001'] });
    const text = (await qcc(['status', '--config', config, '--out', out()], env())).stdout;
    expect(text).toContain(`object store ${TARGET}: copy incomplete for v0001: \`qcc run\` completes it`);

    const rerun = await run(config);
    expect(rerun.code, rerun.stderr.slice(-1500)).toBe(0);
    expect(rerun.stdout).toMatch(/^up to date: v0001/);
    expect(rerun.stderr).toContain(`the copy of v0001 to ${TARGET}/v0001/ is not marked complete; copying it`);
    // The objects already there are skipped, not uploaded twice.
    expect(rerun.stderr).toMatch(
      /object store: v0001 published to s3:\/\/qcc-out\/f2\/ds\/v0001\/; LATEST = v0001".*"skipped":[1-9]/,
    );
    await expectCompleteCopy('v0001');
    expect(await readLatest(TARGET, { client })).toBe('v0001');
    expect((await status(config)).object_store.incomplete).toEqual([]);
    expect(existsSync(join(datasetDir(), '.object-store', 'v0001.json'))).toBe(true);

    // Once marked complete, a rerun does not even look at the bucket.
    const again = await run(config);
    expect(again.stdout).toMatch(/^up to date: v0001/);
    expect(again.stderr).not.toContain('object store:');
  }, 240_000);

  itSlow(
    'the server stopped mid-publish: exit 1 naming the copy; the next version first completes its parent, then LATEST moves',
    async () => {
      const v2 = await writeFaultConfig(dir, {
        dataset: 'ds',
        name: 'v2',
        warcs: [...FAULT_WARCS, THIRD_WARC],
        extra: storage,
      });
      faultAfterPuts(gate, 'v0002', 2, () => server.stop());
      const failed = await run(v2);
      gate.hold = undefined;
      expect(failed.code, failed.stderr.slice(-1500)).toBe(1);
      expect(failed.stderr).toMatch(
        /qcc: publish failed on shard publish: the object-store copy of v0002 to s3:\/\/qcc-out\/f2\/ds\/v0002\/ is incomplete \(.+\); the local version is published and safe; run `qcc run` again to complete the copy/,
      );
      expect(failed.stderr).not.toContain(S3_SECRET_ACCESS_KEY);
      expectCleanError(failed);
      expect(readFileSync(join(datasetDir(), 'LATEST'), 'utf8')).toBe('v0002\n');
      expect(existsSync(join(datasetDir(), '.lock'))).toBe(false);
      expect((await status(v2)).object_store.incomplete).toEqual(['v0002']);

      await startServer();
      expect((await keysOf('v0002')).length).toBeGreaterThanOrEqual(2);
      expect(await readLatest(TARGET, { client })).toBe('v0001');

      // A new input: v0003's run completes v0002's copy before its own, so the bucket's LATEST never names a
      // version whose parent is incomplete there.
      const v3 = await writeFaultConfig(dir, {
        dataset: 'ds',
        name: 'v3',
        warcs: [...FAULT_WARCS, THIRD_WARC, cc('other/clueweb-quirk.warc.gz')],
        extra: storage,
      });
      const next = await run(v3);
      expect(next.code, next.stderr.slice(-1500)).toBe(0);
      expect(next.stdout).toMatch(/^published v0003 \(parent: v0002\)/);
      const order = [...next.stderr.matchAll(/object store: (v\d+) published to/g)].map(m => m[1]);
      expect(order).toEqual(['v0002', 'v0003']);
      for (const v of ['v0001', 'v0002', 'v0003']) await expectCompleteCopy(v);
      expect(await listVersions(TARGET, { client })).toEqual(['v0001', 'v0002', 'v0003']);
      expect(await readLatest(TARGET, { client })).toBe('v0003');
      expect((await status(v3)).object_store.incomplete).toEqual([]);
      // Nothing lost or repeated locally either: the three versions' records are disjoint.
      const all = [
        ...(await versionRecords(datasetDir(), 'v0001')),
        ...(await versionRecords(datasetDir(), 'v0002')),
        ...(await versionRecords(datasetDir(), 'v0003')),
      ];
      expect(new Set(all.map(r => r.split(' ')[0])).size).toBe(all.length);
    },
    300_000,
  );
});
