import type { Client, estypes } from '@elastic/elasticsearch';
import type { Doc } from '../../../core/types.js';
import { queryTerms } from '../../retrieve/fts-query.js';
import type { IndexConfig } from '../config.js';
import type {
  IndexedDocInfo,
  IndexHit,
  IndexStats,
  SearchFilters,
  SearchIndex,
  SearchRequest,
  ShardResult,
} from '../contract.js';
import { bulkLoadShard, type esSource } from './bulk.js';
import { connectFromEnv, describeEsError, retryTransient, TRANSIENT_STATUS, TransientItemError } from './connection.js';
import { indexBody, mappingConflicts, shardsIndexBody } from './mapping.js';

type Source = ReturnType<typeof esSource>;
const FETCH_BATCH = 1000;
const FILTER_FIELDS = { domain: 'domain', lang: 'language', crawl: 'crawl' } as const;

/**
 * The BM25 index on an Elasticsearch cluster. Documents live in `<name>` (id = document id), the
 * completion records of committed shards in `<name>.shards`. Queries are reduced to the same plain terms
 * as for FTS5 and sent as a `match` query, which has no syntax to inject.
 */
export class ElasticIndex implements SearchIndex {
  readonly backend = 'elasticsearch' as const;
  readonly url: string;
  readonly shardsIndex: string;
  private readonly client: Client;
  private ready: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly config: IndexConfig,
    private readonly opts: { readonly?: boolean; env?: NodeJS.ProcessEnv } = {},
  ) {
    const es = config.elasticsearch;
    const conn = connectFromEnv({ requestTimeoutMs: es.request_timeout_ms, maxRetries: es.max_retries }, opts.env);
    this.client = conn.client;
    this.url = conn.url;
    this.shardsIndex = `${name}.shards`;
  }

  /** A request retried with back-off while it fails transiently (index.elasticsearch.max_retries). */
  private retry<T>(request: () => Promise<T>): Promise<T> {
    return retryTransient(request, this.config.elasticsearch.max_retries);
  }

  private where(what: string) {
    return `${what} (index ${this.name})`;
  }

  /** Opens (readonly) or creates the index on first use; an existing index must match the config. */
  private open(): Promise<void> {
    return (this.ready ??= this.prepare().catch(err => {
      this.ready = undefined;
      throw err;
    }));
  }

  private async prepare(): Promise<void> {
    let exists: boolean;
    try {
      exists = await this.client.indices.exists({ index: this.name });
    } catch (err) {
      throw describeEsError(err, this.url, this.where('opening the index'));
    }
    if (this.opts.readonly) {
      if (!exists) throw new Error(`Elasticsearch at ${this.url} has no index ${this.name}: run the index stage first`);
      return;
    }
    try {
      // Every rank of a run opens the index at once: the first creates it, the others find it (or lose the
      // race to create it) and check that it is the index their config would create.
      const created = !exists && (await this.createIfAbsent(this.name, indexBody(this.config)));
      if (!created) await this.checkMapping();
      await this.createIfAbsent(this.shardsIndex, shardsIndexBody(this.config));
      // A created index has its primaries started (wait_for_active_shards); one created by another rank
      // may not yet: wait for them before the first bulk request. With replicas, wait for them too: a node lost
      // while a shard's replica is still being allocated takes the shard's only copy with it, and the index stays
      // red (seen in the cluster test: the master killed 2 s after the index was created). A cluster that cannot
      // place the replicas (fewer nodes than copies) is not green in time, and indexing goes on with the primaries.
      const timeout = `${Math.ceil(this.config.elasticsearch.request_timeout_ms / 1000)}s`;
      const index = [this.name, this.shardsIndex];
      const green =
        this.config.elasticsearch.replicas > 0 &&
        !(await this.client.cluster.health({ index, wait_for_status: 'green', timeout }, { ignore: [408] })).timed_out;
      if (!green) await this.client.cluster.health({ index, wait_for_status: 'yellow', timeout });
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('Elasticsearch')) throw err;
      throw describeEsError(err, this.url, this.where('creating the index'));
    }
  }

  private async checkMapping(): Promise<void> {
    const [settings, mapping] = await Promise.all([
      this.client.indices.getSettings({ index: this.name }),
      this.client.indices.getMapping({ index: this.name }),
    ]);
    const problems = mappingConflicts(
      { settings: settings[this.name]?.settings as never, mappings: mapping[this.name]?.mappings as never },
      this.config,
    );
    if (problems.length > 0) {
      throw new Error(
        `Elasticsearch index ${this.name} at ${this.url} exists with a different mapping: ${problems.join('; ')}. ` +
          `Delete it or set index.elasticsearch.index to another name`,
      );
    }
  }

  /** Creates the index unless it exists; true if this call created it, false if it was there (or another won). */
  private async createIfAbsent(index: string, body: object): Promise<boolean> {
    if (await this.client.indices.exists({ index })) return false;
    try {
      await this.client.indices.create({ index, ...body });
      return true;
    } catch (err) {
      const type = (err as { body?: { error?: { type?: string } } }).body?.error?.type;
      if (type !== 'resource_already_exists_exception') throw err;
      return false;
    }
  }

  async hasShard(shard: string): Promise<boolean> {
    return (await this.shard(shard)) !== undefined;
  }

  async shard(shard: string): Promise<ShardResult | undefined> {
    await this.open();
    try {
      const res = await this.retry(() =>
        this.client.get<{ indexed: number; duplicates: number }>(
          { index: this.shardsIndex, id: shard },
          { ignore: [404] },
        ),
      );
      if (!res.found || !res._source) return undefined;
      return { indexed: res._source.indexed, duplicates: res._source.duplicates };
    } catch (err) {
      throw describeEsError(err, this.url, this.where(`reading the completion of shard ${shard}`));
    }
  }

  async addShard(shard: string, docs: AsyncIterable<Doc>, batchSize = 2000): Promise<ShardResult> {
    if (this.opts.readonly) throw new Error(`${this.where('adding a shard')}: opened read-only`);
    const committed = await this.shard(shard);
    if (committed) return committed;
    const es = this.config.elasticsearch;
    const result = await bulkLoadShard(docs, {
      client: this.client,
      url: this.url,
      index: this.name,
      shard,
      batchSize,
      concurrency: es.bulk_concurrency,
      maxRetries: es.max_retries,
    });
    try {
      // Documents first, searchable and durable; only then the completion record.
      await this.retry(() => this.client.indices.refresh({ index: this.name }));
      const document = { ...result, committed: new Date().toISOString() };
      await this.retry(() => this.client.index({ index: this.shardsIndex, id: shard, document, refresh: true }));
    } catch (err) {
      throw describeEsError(err, this.url, this.where(`committing shard ${shard}`));
    }
    return result;
  }

  private body(query: string, k: number, filters?: SearchFilters): estypes.SearchRequest | undefined {
    const terms = queryTerms(query);
    if (terms.length === 0 || k <= 0) return undefined;
    const filter: estypes.QueryDslQueryContainer[] = [];
    for (const [key, field] of Object.entries(FILTER_FIELDS)) {
      const values = filters?.[key as keyof SearchFilters];
      if (!values) continue;
      if (values.length === 0) return undefined;
      filter.push({ terms: { [field]: values } });
    }
    return {
      size: k,
      _source: false,
      track_total_hits: false,
      // Equal scores in id order (FTS5 orders them by rowid): the same top k whatever order ranks indexed in.
      sort: [{ _score: { order: 'desc' } }, { id: { order: 'asc', unmapped_type: 'keyword' } }],
      track_scores: true,
      query: { bool: { must: [{ match: { text: { query: terms.join(' ') } } }], filter } },
    };
  }

  private hits(res: estypes.SearchResponse): IndexHit[] {
    return res.hits.hits.map((h, i) => ({ id: h._id!, score: h._score ?? 0, rank: i + 1 }));
  }

  async search(query: string, k: number, filters?: SearchFilters): Promise<IndexHit[]> {
    const body = this.body(query, k, filters);
    if (!body) return [];
    await this.open();
    try {
      // A search missing a shard copy (one being promoted after a node is lost) fails and is retried: partial
      // results would silently drop that shard's documents from the top k.
      return this.hits(
        await this.retry(() => this.client.search({ index: this.name, allow_partial_search_results: false, ...body })),
      );
    } catch (err) {
      throw describeEsError(err, this.url, this.where(`searching ${JSON.stringify(query.slice(0, 80))}`));
    }
  }

  /** One `_msearch` for the whole batch; a query with nothing searchable answers [] without a request. */
  async searchBatch(requests: SearchRequest[]): Promise<IndexHit[][]> {
    const bodies = requests.map(r => this.body(r.query, r.k, r.filters));
    const out: IndexHit[][] = requests.map(() => []);
    const sent = bodies.flatMap((b, i) => (b ? [{ i, b }] : []));
    if (sent.length === 0) return out;
    await this.open();
    let res: estypes.MsearchResponse;
    try {
      const searches = sent.flatMap(({ b }) => [
        { allow_partial_search_results: false },
        b as estypes.MsearchMultisearchBody,
      ]);
      res = await this.retry(async () => {
        const answer = await this.client.msearch({ index: this.name, searches });
        const busy = answer.responses.filter(r => 'error' in r && TRANSIENT_STATUS.has(r.status ?? 0)).length;
        if (busy > 0)
          throw new TransientItemError(
            `Elasticsearch at ${this.url}: ${busy} of ${sent.length} searches failed (index ${this.name}, shard copies unavailable)`,
          );
        return answer;
      });
    } catch (err) {
      throw describeEsError(err, this.url, this.where(`running ${sent.length} queries`));
    }
    res.responses.forEach((r, j) => {
      const { i } = sent[j]!;
      if ('error' in r) {
        throw new Error(
          `Elasticsearch at ${this.url} failed query ${JSON.stringify(requests[i]!.query.slice(0, 80))}: ${r.error.type}: ${r.error.reason}`,
        );
      }
      out[i] = this.hits(r as estypes.SearchResponse);
    });
    return out;
  }

  private async fetch<T>(ids: string[], fields: string[] | undefined, what: string): Promise<T[]> {
    await this.open();
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += FETCH_BATCH) {
      const chunk = ids.slice(i, i + FETCH_BATCH);
      let res: estypes.MgetResponse<T>;
      try {
        res = await this.retry(async () => {
          const answer = await this.client.mget<T>({
            index: this.name,
            ids: chunk,
            ...(fields ? { _source_includes: fields } : {}),
          });
          // A document whose shard has no copy available comes back with an error, not as "not found".
          const failed = answer.docs.filter(d => 'error' in d).length;
          if (failed > 0)
            throw new TransientItemError(
              `Elasticsearch at ${this.url}: ${failed} of ${chunk.length} documents of index ${this.name} could not be read (shard copies unavailable)`,
            );
          return answer;
        });
      } catch (err) {
        throw describeEsError(err, this.url, this.where(what));
      }
      res.docs.forEach((d, j) => {
        if (!('found' in d) || !d.found || !d._source)
          throw new Error(`Elasticsearch index ${this.name} at ${this.url}: document ${chunk[j]} is not in the index`);
        out.push(d._source);
      });
    }
    return out;
  }

  async getDocs(ids: string[]): Promise<Doc[]> {
    const sources = await this.fetch<Pick<Source, 'text' | 'record'>>(ids, ['text', 'record'], 'fetching documents');
    return sources.map(s => ({ ...s.record, text: s.text }) as Doc);
  }

  async info(ids: string[]): Promise<IndexedDocInfo[]> {
    const sources = await this.fetch<Pick<Source, 'exact_hash' | 'length'>>(
      ids,
      ['exact_hash', 'length'],
      'fetching document info',
    );
    return sources.map((s, i) => ({ id: ids[i]!, exactHash: s.exact_hash, length: s.length }));
  }

  async stats(): Promise<IndexStats> {
    await this.open();
    try {
      const [docs, shards] = await Promise.all([
        this.retry(() => this.client.count({ index: this.name })),
        this.retry(() => this.client.count({ index: this.shardsIndex })),
      ]);
      return { docs: docs.count, shards: shards.count };
    } catch (err) {
      throw describeEsError(err, this.url, this.where('counting documents'));
    }
  }

  /** Deletes the index and its shard records (tests and benchmarks). */
  async drop(): Promise<void> {
    await this.client.indices.delete({ index: [this.name, this.shardsIndex], ignore_unavailable: true });
    this.ready = undefined;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
