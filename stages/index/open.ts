import type { IndexConfig } from './config.js';
import type { SearchIndex } from './contract.js';
import { ElasticIndex } from './elastic/elastic-index.js';
import { Fts5Index } from './fts5.js';

export type { SearchIndex } from './contract.js';

/** Whose index it is: the dataset (its folder name under `out`) and the run id, which name the default index. */
export interface IndexOwner {
  dataset: string;
  run: string;
}

/**
 * The Elasticsearch index name of a run: `index.elasticsearch.index`, or `<prefix>-<dataset>-<run>` (lower case,
 * the dataset's other characters outside `[a-z0-9._-]` as `-`): one index per run, the same on every worker.
 */
export function elasticIndexName(config: IndexConfig, owner?: IndexOwner): string {
  if (config.elasticsearch.index) return config.elasticsearch.index;
  if (!owner) throw new Error('index.elasticsearch.index is not set and no run names the index');
  const dataset = owner.dataset.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  return `${config.elasticsearch.index_prefix}-${dataset}-${owner.run.toLowerCase()}`;
}

/**
 * The run's BM25 index on the backend `config.backend` names: the SQLite file at `path`, or the
 * Elasticsearch index of `owner` (see elasticIndexName; connection and credentials from QCC_ES_* environment
 * variables). Elasticsearch connects lazily: errors (unreachable node, missing index) surface on the first call.
 */
export function openSearchIndex(
  config: IndexConfig,
  opts: { path: string; owner?: IndexOwner; readonly?: boolean },
): SearchIndex {
  if (config.backend === 'elasticsearch') {
    return new ElasticIndex(elasticIndexName(config, opts.owner), config, { readonly: opts.readonly ?? false });
  }
  return new Fts5Index(opts.path, { tokenizer: config.tokenizer, readonly: opts.readonly ?? false });
}
