import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Doc } from '../core/types.js';
import { indexConfigSchema, type IndexConfig } from '../stages/index/config.js';
import { inCI, newsCorpus, repo } from './helpers.js';

const onPath = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * Whether an Elasticsearch node can be had: QCC_ES_URL, or java and mvn to run scripts/es.mjs. Under
 * CI=true their absence is a failure, elsewhere a clear skip.
 */
export function haveElasticsearch(): boolean {
  if (process.env.QCC_ES_URL) return true;
  const missing = ['java', 'mvn'].filter(c => !onPath(c));
  if (missing.length === 0) return true;
  const msg = `Elasticsearch tests need QCC_ES_URL or ${missing.join(' and ')} on PATH (scripts/es.mjs)`;
  if (inCI) throw new Error(`CI=true but ${msg}`);
  console.warn(`skipping: ${msg}`);
  return false;
}

export interface EsNode {
  url: string;
  /** Stops the node if this call started it; a node found running (or QCC_ES_URL) is left alone. */
  stop(): Promise<void>;
  name: string;
  port: number;
}

const run = promisify(execFile);

/**
 * Starts (or finds) a node with scripts/es.mjs; each test file uses its own node name and port.
 * Asynchronous on purpose: a blocked worker misses vitest's heartbeats during the ~30 s start.
 */
export async function startElasticsearch(name = 'default', port = 9200): Promise<EsNode> {
  if (process.env.QCC_ES_URL) return { url: process.env.QCC_ES_URL, stop: async () => {}, name, port };
  const out = (await esScript('start', name, port)).trim().split('\n');
  const url = out.at(-1)!;
  const started = out.at(-2) === 'started';
  return {
    url,
    name,
    port,
    async stop() {
      if (started) await esScript('stop', name, port);
    },
  };
}

export async function esScript(
  command: 'start' | 'stop' | 'status',
  name: string,
  port: number,
  cluster?: { nodes: number; transportPort: number; heap: string },
): Promise<string> {
  const args = [join(repo, 'scripts', 'es.mjs'), command, '--name', name, '--port', String(port)];
  args.push('--heap', cluster?.heap ?? '384m');
  if (cluster) args.push('--nodes', String(cluster.nodes), '--transport-port', String(cluster.transportPort));
  const { stdout } = await run(process.execPath, args, { encoding: 'utf8' });
  return stdout;
}

export function esPidFile(name: string, node?: number): string {
  return node === undefined
    ? join(repo, '.es', 'run', name, 'es.pid')
    : join(repo, '.es', 'run', name, `node-${node}`, 'es.pid');
}

export interface EsCluster {
  /** Every node's URL, comma-separated (QCC_ES_URL's form). */
  url: string;
  urls: string[];
  /** SIGKILLs node i's JVM (no shutdown: a lost machine); returns its pid. */
  kill(node: number): number;
  stop(): Promise<void>;
}

/**
 * Starts `nodes` nodes of one cluster with scripts/es.mjs (HTTP ports port..port+n-1, transport ports
 * transportPort..). Stopped by `stop` whether this call started it or found it running: its name is the test's own.
 */
export async function startElasticsearchCluster(
  name: string,
  opts: { port: number; transportPort: number; nodes: number; heap?: string },
): Promise<EsCluster> {
  const cluster = { nodes: opts.nodes, transportPort: opts.transportPort, heap: opts.heap ?? '320m' };
  const url = (await esScript('start', name, opts.port, cluster)).trim().split('\n').at(-1)!;
  return {
    url,
    urls: url.split(','),
    kill(node) {
      const pid = Number(readFileSync(esPidFile(name, node), 'utf8').trim());
      process.kill(pid, 'SIGKILL');
      return pid;
    },
    async stop() {
      await esScript('stop', name, opts.port, cluster);
    },
  };
}

export function indexConfig(overrides: Record<string, unknown> = {}): IndexConfig {
  return indexConfigSchema.parse(overrides);
}

const CRAWLS = ['CC-MAIN-2020-34', 'CC-MAIN-2024-22'];

/**
 * Real 20 Newsgroups posts as documents (every `every`-th line after `from`, so all groups appear). The filter fields are set from the post's line number so every
 * value occurs: domain = one of four names in turn, lang = en (de every 7th), crawl on WARC-shaped records
 * (every other one) only. The newsgroup label is not used.
 */
export async function* newsDocs(n: number, opts: { from?: number; every?: number } = {}): AsyncIterable<Doc> {
  const { from = 0, every = 1 } = opts;
  const lines = createInterface({ input: createReadStream(newsCorpus).pipe(createGunzip()) });
  let i = 0;
  let taken = 0;
  for await (const line of lines) {
    i++;
    if (i <= from || (i - from) % every !== 0) continue;
    if (taken++ >= n) break;
    const k = taken;
    const post = JSON.parse(line) as { id: string; text: string };
    const domain = ['medicine', 'space', 'electronics', 'cryptography'][k % 4]!;
    const lang = { code: k % 7 === 0 ? 'de' : 'en', score: 0.9 };
    if (k % 2 === 1) {
      yield {
        id: post.id,
        text: post.text,
        url: `https://news.example/${post.id}`,
        domain,
        lang,
        source: {
          kind: 'warc',
          crawl: CRAWLS[(k >> 1) % 2],
          warc_file: 'news.warc.gz',
          offset: i * 1000,
          length: 999,
          record_id: `<urn:uuid:${post.id}>`,
        },
      };
    } else {
      yield {
        id: post.id,
        text: post.text,
        domain,
        lang,
        source: { kind: 'corpus', file: newsCorpus, line: i, original_id: post.id },
      };
    }
  }
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

export async function* fromList<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

/**
 * Deletes the indices matching a pattern by name (Elasticsearch 8 refuses wildcard deletes by default).
 * `url`: one node, or several comma-separated.
 */
export async function dropIndices(url: string, pattern: string): Promise<void> {
  const { Client } = await import('@elastic/elasticsearch');
  const client = new Client({ node: url.split(',') });
  try {
    const names = Object.keys(await client.indices.get({ index: pattern, expand_wildcards: 'all' }));
    if (names.length > 0) await client.indices.delete({ index: names });
  } finally {
    await client.close();
  }
}
