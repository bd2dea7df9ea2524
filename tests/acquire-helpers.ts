/**
 * A local stand-in for data.commoncrawl.org and index.commoncrawl.org: serves real files with HTTP
 * Range support, injects faults on demand, and answers the CDX API (pywb) from CDXJ lines.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { surt, type CdxRecord } from '../stages/acquire/index.js';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Send the head and `bytes` body bytes, then drop the connection. */
  | { kind: 'cut'; bytes: number }
  /** Send the head and `bytes` body bytes, then stall with the connection open. */
  | { kind: 'stall'; bytes: number }
  /** Ignore the Range header: answer 200 with the whole file. */
  | { kind: 'ignore_range' };

export interface Logged {
  path: string;
  range?: string;
  status?: number;
  fault?: Fault['kind'];
}

export interface TestServer {
  url: string;
  /** route path (no leading slash) → local file */
  files: Map<string, string>;
  /** Faults to inject, in order, on requests to a path (shifted as they are used). */
  faults: Map<string, Fault[]>;
  /** crawl → sorted CDX records */
  index: Map<string, CdxRecord[]>;
  /** Lines per index page (pywb's pageSize times blocks, small here to exercise paging). */
  pageSize: number;
  log: Logged[];
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const state: TestServer = {
    url: '',
    files: new Map(),
    faults: new Map(),
    index: new Map(),
    pageSize: 3,
    log: [],
    inFlight: 0,
    maxInFlight: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>(r => server.close(() => r()));
    },
  };
  const server: Server = createServer((req, res) => {
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.on('close', () => state.inFlight--);
    handle(state, req, res);
  });
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return state;
}

function handle(state: TestServer, req: IncomingMessage, res: ServerResponse): void {
  const u = new URL(req.url ?? '/', 'http://x');
  const path = decodeURIComponent(u.pathname.slice(1));
  const entry: Logged = { path };
  if (req.headers.range) entry.range = req.headers.range;
  state.log.push(entry);
  const fault = state.faults.get(path)?.shift();
  if (fault) entry.fault = fault.kind;
  if (fault?.kind === 'hang') return;
  if (fault?.kind === 'status') {
    entry.status = fault.status;
    res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    res.end(`injected ${fault.status}`);
    return;
  }
  const index = /^(CC-MAIN-\d{4}-\d{2})-index$/.exec(path);
  if (index) {
    answerIndex(state, index[1]!, u.searchParams, res, entry);
    return;
  }
  const file = state.files.get(path);
  if (!file) {
    entry.status = 404;
    res.writeHead(404).end('not found');
    return;
  }
  serveFile(file, fault?.kind === 'ignore_range' ? undefined : req.headers.range, res, entry, fault);
}

function serveFile(
  file: string,
  range: string | undefined,
  res: ServerResponse,
  entry: Logged,
  fault: Fault | undefined,
): void {
  const size = statSync(file).size;
  let start = 0;
  let end = size - 1;
  let status = 200;
  const headers: Record<string, string | number> = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
  };
  if (range) {
    const m = /^bytes=(\d+)-(\d*)$/.exec(range);
    if (!m || Number(m[1]) >= size) {
      entry.status = 416;
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    start = Number(m[1]);
    if (m[2]) end = Math.min(Number(m[2]), size - 1);
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = end - start + 1;
  entry.status = status;
  res.writeHead(status, headers);
  if (fault?.kind === 'cut' || fault?.kind === 'stall') {
    const stream = createReadStream(file, { start, end: Math.min(end, start + fault.bytes - 1) });
    stream.on('data', c => res.write(c));
    stream.on('end', () => {
      if (fault.kind === 'cut') res.socket?.destroy();
    });
    return;
  }
  createReadStream(file, { start, end }).pipe(res);
}

/** pywb's url + matchType (or the `*.host` / `prefix*` shorthands) as a test on urlkeys. */
export function urlMatcher(url: string, matchType?: string | null): (key: string) => boolean {
  let type = matchType ?? 'exact';
  let target = url;
  if (target.startsWith('*.')) {
    type = 'domain';
    target = target.slice(2);
  } else if (target.endsWith('*')) {
    type = 'prefix';
    target = target.slice(0, -1);
  }
  const key = surt(target);
  const host = key.slice(0, key.indexOf(')'));
  switch (type) {
    case 'prefix':
      return k => k.startsWith(key);
    case 'host':
      return k => k.startsWith(`${host})`);
    case 'domain':
      return k => k.startsWith(`${host})`) || k.startsWith(`${host},`);
    default:
      return k => k === key;
  }
}

/** pywb filters: [!][=|~]field:value — exact, contains, or regex (the default). */
export function filterMatcher(spec: string): (r: CdxRecord) => boolean {
  let s = spec;
  const negate = s.startsWith('!');
  if (negate) s = s.slice(1);
  let mode: 'exact' | 'contains' | 'regex' = 'regex';
  if (s.startsWith('=')) {
    mode = 'exact';
    s = s.slice(1);
  } else if (s.startsWith('~')) {
    mode = 'contains';
    s = s.slice(1);
  }
  const colon = s.indexOf(':');
  const field = s.slice(0, colon);
  const value = s.slice(colon + 1);
  const re = mode === 'regex' ? new RegExp(value) : undefined;
  return r => {
    const v = r[field] ?? '';
    const hit = mode === 'exact' ? v === value : mode === 'contains' ? v.includes(value) : re!.test(v);
    return hit !== negate;
  };
}

function answerIndex(state: TestServer, crawl: string, q: URLSearchParams, res: ServerResponse, entry: Logged): void {
  const records = state.index.get(crawl);
  const url = q.get('url');
  if (!records || !url) {
    entry.status = 400;
    res.writeHead(400).end('bad request');
    return;
  }
  const matchUrl = urlMatcher(url, q.get('matchType'));
  const filters = q.getAll('filter').map(filterMatcher);
  const hits = records.filter(r => matchUrl(r.urlkey) && filters.every(f => f(r)));
  if (q.get('showNumPages') === 'true') {
    entry.status = 200;
    res.writeHead(200, { 'content-type': 'text/x-ndjson' });
    res.end(
      JSON.stringify({
        pages: Math.ceil(hits.length / state.pageSize),
        pageSize: state.pageSize,
        blocks: hits.length,
      }) + '\n',
    );
    return;
  }
  const page = Number(q.get('page') ?? '0');
  const slice = hits.slice(page * state.pageSize, (page + 1) * state.pageSize);
  if (slice.length === 0) {
    entry.status = 404;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('No Captures found for: ' + url);
    return;
  }
  entry.status = 200;
  res.writeHead(200, { 'content-type': 'text/x-ndjson' });
  res.end(slice.map(r => JSON.stringify(r)).join('\n') + '\n');
}
