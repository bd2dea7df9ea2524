import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { IndexConfig } from './config.js';
import type { SearchIndex } from './contract.js';
import { ElasticIndex } from './elastic/elastic-index.js';
import { Fts5Index } from './fts5.js';

export type { SearchIndex } from './contract.js';

/**
 * The Elasticsearch index name of a run. A run's index path is `<out>/<dataset>/.work/<run hash>/index.sqlite`,
 * so the default is `<prefix>-<dataset>-<run hash>`: one index per run, the same on every worker.
 */
export function elasticIndexName(config: IndexConfig, path: string): string {
  if (config.elasticsearch.index) return config.elasticsearch.index;
  const prefix = config.elasticsearch.index_prefix;
  const full = resolve(path);
  const runDir = dirname(full);
  const workDir = dirname(runDir);
  if (basename(workDir) === '.work') {
    const dataset = basename(dirname(workDir))
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-');
    return `${prefix}-${dataset}-${basename(runDir).toLowerCase()}`;
  }
  return `${prefix}-${createHash('sha1').update(full).digest('hex').slice(0, 16)}`;
}

/**
 * The run's BM25 index on the backend `config.backend` names: the SQLite file at `path`, or the
 * Elasticsearch index named after it (connection and credentials from QCC_ES_* environment variables).
 * Elasticsearch connects lazily: errors (unreachable node, missing index) surface on the first call.
 */
export function openSearchIndex(config: IndexConfig, opts: { path: string; readonly?: boolean }): SearchIndex {
  if (config.backend === 'elasticsearch') {
    return new ElasticIndex(elasticIndexName(config, opts.path), config, { readonly: opts.readonly ?? false });
  }
  return new Fts5Index(opts.path, { tokenizer: config.tokenizer, readonly: opts.readonly ?? false });
}
