import { readFileSync } from 'node:fs';
import { Client, ClusterConnectionPool, errors, type ClientOptions } from '@elastic/elasticsearch';
import { backoffDelay, sleep } from '../../acquire/retry.js';
import { withoutCredentials } from '../../shared/url.js';

export const DEFAULT_ES_URL = 'http://127.0.0.1:9200';

export interface EsConnection {
  client: Client;
  /** The URL(s) without credentials, comma-separated: the only form that appears in messages and logs. */
  url: string;
}

/** The URL with any user:password removed, safe to print. */
export function redactUrl(raw: string): string {
  return withoutCredentials(raw) ?? '<invalid QCC_ES_URL>';
}

/**
 * A client from the environment only: QCC_ES_URL (default http://127.0.0.1:9200; several nodes of one
 * cluster comma-separated, so that the client goes on through the others when one is lost), QCC_ES_API_KEY or
 * QCC_ES_USERNAME + QCC_ES_PASSWORD, QCC_ES_CA_CERT (a PEM file). Nothing of it sits in the config.
 */
export function connectFromEnv(
  opts: { requestTimeoutMs: number; maxRetries: number },
  env: NodeJS.ProcessEnv = process.env,
): EsConnection {
  const nodes = (env.QCC_ES_URL || DEFAULT_ES_URL)
    .split(',')
    .map(u => u.trim())
    .filter(u => u.length > 0);
  const shown = nodes.map(redactUrl);
  const bad = shown.findIndex(u => u.startsWith('<'));
  if (nodes.length === 0 || bad >= 0)
    throw new Error(`QCC_ES_URL is not a valid URL${nodes.length > 1 ? ` (entry ${bad + 1} of ${nodes.length})` : ''}`);
  const url = shown.join(',');
  const options: ClientOptions = {
    node: nodes.length === 1 ? nodes[0]! : nodes,
    // The default (weighted) pool marks a node dead on a 503 too, and once every node is marked, as while a lost
    // node's shards are promoted, it finds no connection at all. This pool skips dead nodes, tries them again after
    // a time-out, and uses them all when none is alive.
    ...(nodes.length > 1 ? { ConnectionPool: ClusterConnectionPool, resurrectStrategy: 'optimistic' as const } : {}),
    requestTimeout: opts.requestTimeoutMs,
    // The client's own retries are immediate, on another node: each other node once. The back-off retries
    // (max_retries) are retryTransient's and the bulk loader's; both at once multiplied them (13 × 13 requests of
    // up to request_timeout_ms each at 12, over two hours for one stuck request).
    maxRetries: Math.min(opts.maxRetries, nodes.length - 1),
    compression: false,
  };
  if (env.QCC_ES_API_KEY) options.auth = { apiKey: env.QCC_ES_API_KEY };
  else if (env.QCC_ES_USERNAME || env.QCC_ES_PASSWORD) {
    if (!env.QCC_ES_USERNAME || !env.QCC_ES_PASSWORD)
      throw new Error('QCC_ES_USERNAME and QCC_ES_PASSWORD must be set together');
    options.auth = { username: env.QCC_ES_USERNAME, password: env.QCC_ES_PASSWORD };
  }
  if (env.QCC_ES_CA_CERT) {
    try {
      options.tls = { ca: readFileSync(env.QCC_ES_CA_CERT) };
    } catch (err) {
      throw new Error(`QCC_ES_CA_CERT: cannot read ${env.QCC_ES_CA_CERT}: ${(err as Error).message}`);
    }
  }
  return { client: new Client(options), url };
}

/** A request that succeeded as a whole but failed for some of its items (a search or document) with 429/50x. */
export class TransientItemError extends Error {
  override name = 'TransientItemError';
}

export const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

/** Whether an error is worth retrying: the node is busy (429/503), restarting, or unreachable for now. */
export function isTransient(err: unknown): boolean {
  if (err instanceof TransientItemError) return true;
  if (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError
  )
    return true;
  if (err instanceof errors.ResponseError) return TRANSIENT_STATUS.has(err.statusCode ?? 0);
  return false;
}

/** The acquire stage's back-off (exponential, full jitter): 0.5 s doubling per attempt, at most 30 s. */
export const ES_BACKOFF = { backoff_ms: 500, max_backoff_ms: 30_000 };

/**
 * Runs a request again, with back-off, while it fails transiently. The client retries on another node at
 * once; this covers what lasts longer: a shard copy relocating or being promoted after a node is lost answers
 * 503 (`no_shard_available_action_exception`) for a moment on every node.
 */
export async function retryTransient<T>(request: () => Promise<T>, maxRetries: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (!isTransient(err) || attempt >= maxRetries) throw err;
      await sleep(backoffDelay(attempt + 1, ES_BACKOFF));
    }
  }
}

/** Rewrites a client error into one that names the node and what was being done, without credentials. */
export function describeEsError(err: unknown, url: string, what: string): Error {
  if (err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError) {
    return new Error(
      `Elasticsearch at ${url} is not reachable while ${what} (${err.message}): start it (node scripts/es.mjs start) or set QCC_ES_URL`,
    );
  }
  if (err instanceof errors.TimeoutError) return new Error(`Elasticsearch at ${url} timed out while ${what}`);
  if (err instanceof errors.ResponseError) {
    const reason = (err.body as { error?: { reason?: string; type?: string } } | undefined)?.error;
    return new Error(
      `Elasticsearch at ${url} answered ${err.statusCode} while ${what}: ${reason?.type ?? ''} ${reason?.reason ?? err.message}`.trim(),
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
