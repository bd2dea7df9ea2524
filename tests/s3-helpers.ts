/** The real S3Proxy server of scripts/s3.mjs, started once per test file on a free loopback port. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inCI, repo } from './helpers.js';

const run = promisify(execFile);
const script = join(repo, 'scripts', 's3.mjs');

export const S3_ACCESS_KEY_ID = process.env.QCC_S3_ACCESS_KEY_ID ?? 'qcc-test';
export const S3_SECRET_ACCESS_KEY = process.env.QCC_S3_SECRET_ACCESS_KEY ?? 'qcc-test-secret';

/** True when S3Proxy is installed (`node scripts/s3.mjs install`); under CI its absence is a failure. */
export function haveS3Proxy(): boolean {
  const lib = join(repo, '.s3proxy', 'lib');
  const ok = existsSync(lib) && readdirSync(lib).some(f => /^s3proxy-.*-jar-with-dependencies\.jar$/.test(f));
  if (!ok && inCI)
    throw new Error(`CI=true but S3Proxy is not installed in ${lib}: run \`node scripts/s3.mjs install\``);
  if (!ok) console.warn(`skipping: S3Proxy is not installed in ${lib} (run \`node scripts/s3.mjs install\`)`);
  return ok;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface S3TestServer {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts a private S3Proxy (its own name, port and data folder) and returns its endpoint. */
export async function startS3Proxy(dataDir: string): Promise<S3TestServer> {
  const name = `vitest-${process.pid}`;
  const port = String(await freePort());
  const { stdout } = await run(
    process.execPath,
    [script, 'start', '--name', name, '--port', port, '--store', 'filesystem', '--data', dataDir],
    { cwd: repo },
  );
  const endpoint = stdout.trim().split('\n').at(-1)!;
  return {
    endpoint,
    async stop() {
      await run(process.execPath, [script, 'stop', '--name', name, '--port', port], { cwd: repo });
      await rm(join(repo, '.s3proxy', 'run', name), { recursive: true, force: true });
    },
  };
}

export type S3Fault =
  /** Answer with this status and an S3 error body (e.g. 503 SlowDown), without reaching the server. */
  | { kind: 'status'; status: number; code: string }
  /** Forward the request, pass on the head and `bytes` body bytes, then drop the connection. */
  | { kind: 'cut'; bytes: number };

export interface FaultProxy {
  endpoint: string;
  /** `METHOD /bucket/key` → faults to inject, in order, on the next requests that match. */
  faults: Map<string, S3Fault[]>;
  log: { method: string; path: string; range?: string; fault?: S3Fault['kind'] }[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the real server that injects faults. It keeps the Host header, so
 * the SigV4 signatures the client made for the proxy's address still verify at the server.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const state: FaultProxy = { endpoint: '', faults: new Map(), log: [], close: async () => {} };
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const fault = state.faults.get(`${req.method} ${decodeURIComponent(path)}`)?.shift();
    state.log.push({
      method: req.method!,
      path,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(fault ? { fault: fault.kind } : {}),
    });
    if (fault?.kind === 'status') {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected by the test</Message></Error>`,
      );
      return;
    }
    const up = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      upRes => {
        res.writeHead(upRes.statusCode!, upRes.headers);
        if (fault?.kind !== 'cut') return void upRes.pipe(res);
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          const room = fault.bytes - sent;
          if (room > 0) res.write(chunk.subarray(0, room));
          sent += chunk.length;
          if (sent >= fault.bytes) {
            upRes.destroy();
            res.socket?.destroy();
          }
        });
      },
    );
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  Object.assign(state, await listenOnLoopback(server));
  return state;
}

/** Listens on a free loopback port; `close` drops open connections first, so it never waits on a held request. */
export async function listenOnLoopback(
  server: import('node:http').Server,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>(r => server.close(() => r()));
    },
  };
}
