/** A response cache in front of any provider: one JSON file per request, so reruns cost nothing. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requestKey } from './answers.js';
import { replaceFile } from '../../../core/atomic.js';
import type { CompletionRequest, CompletionResult, LlmProvider } from './types.js';

export interface CacheStats {
  /** Requests passed to the wrapped provider. */
  calls: number;
  /** Requests answered from the cache. */
  hits: number;
}

interface CacheEntry {
  key: string;
  request: {
    provider: string;
    model: string;
    prompt: string;
    maxTokens: number;
    temperature: number;
    seed: number;
    stop: string[];
  };
  response: Omit<CompletionResult, 'cached'>;
  created_at: string;
}

export class CachedProvider implements LlmProvider {
  readonly stats: CacheStats = { calls: 0, hits: 0 };
  private readonly inflight = new Map<string, Promise<CompletionResult>>();

  constructor(
    readonly inner: LlmProvider,
    readonly dir: string,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get model(): string {
    return this.inner.model;
  }

  /** The identity of a request (everything that can change the answer). */
  keyOf(req: CompletionRequest): { key: string; request: CacheEntry['request'] } {
    return requestKey(this.inner.name, this.inner.model, req);
  }

  pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  complete(req: CompletionRequest): Promise<CompletionResult> {
    const { key, request } = this.keyOf(req);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = this.lookupOrCall(key, request, req).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async lookupOrCall(
    key: string,
    request: CacheEntry['request'],
    req: CompletionRequest,
  ): Promise<CompletionResult> {
    const file = this.pathOf(key);
    const hit = await this.read(file, key);
    if (hit) {
      this.stats.hits += 1;
      return { ...hit, cached: true };
    }
    this.stats.calls += 1;
    const res = await this.inner.complete(req);
    const { cached: _c, ...response } = res;
    const entry: CacheEntry = { key, request, response, created_at: new Date().toISOString() };
    await replaceFile(file, JSON.stringify(entry, null, 1) + '\n');
    return { ...response, cached: false };
  }

  /** A readable entry for this key, or undefined (missing, or unreadable: then it is rewritten). */
  private async read(file: string, key: string): Promise<CacheEntry['response'] | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const entry = JSON.parse(text) as CacheEntry;
      if (entry.key === key && entry.response && typeof entry.response.text === 'string') return entry.response;
    } catch {
      // a torn or foreign file: fall through and recompute
    }
    return undefined;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
