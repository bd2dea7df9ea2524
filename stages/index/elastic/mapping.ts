import type { IndexConfig } from '../config.js';

/** Settings and mappings of a qcc document index. `record` keeps the full document minus its text. */
export function indexBody(config: IndexConfig) {
  const filter = ['lowercase', 'qcc_english_stop', ...(config.tokenizer === 'porter' ? ['porter_stem'] : [])];
  return {
    settings: {
      number_of_shards: config.elasticsearch.shards,
      number_of_replicas: config.elasticsearch.replicas,
      refresh_interval: '30s',
      similarity: { qcc_bm25: { type: 'BM25', k1: config.bm25.k1, b: config.bm25.b } },
      analysis: {
        filter: { qcc_english_stop: { type: 'stop', stopwords: '_english_' } },
        analyzer: { qcc_text: { type: 'custom', tokenizer: 'standard', filter } },
      },
    },
    mappings: {
      dynamic: 'strict' as const,
      properties: {
        text: { type: 'text' as const, analyzer: 'qcc_text', similarity: 'qcc_bm25' },
        // The document id again, as a sortable keyword: equal scores are ordered by it, so the top k does not
        // depend on the order in which ranks indexed (Lucene's tie order is insertion order).
        id: { type: 'keyword' as const },
        url: { type: 'keyword' as const, ignore_above: 4096 },
        crawl: { type: 'keyword' as const },
        domain: { type: 'keyword' as const },
        language: { type: 'keyword' as const },
        shard: { type: 'keyword' as const },
        exact_hash: { type: 'keyword' as const, index: false },
        length: { type: 'integer' as const, index: false },
        record: { type: 'object' as const, enabled: false },
      },
    },
  };
}

/**
 * The completion records of committed shards live in their own small index, replicated as the documents are:
 * losing a node must not lose the record that a shard is committed.
 */
export const shardsIndexBody = (config: IndexConfig) => ({
  settings: { number_of_shards: 1, number_of_replicas: config.elasticsearch.replicas },
  mappings: {
    dynamic: 'strict' as const,
    properties: {
      indexed: { type: 'long' as const },
      duplicates: { type: 'long' as const },
      committed: { type: 'date' as const },
    },
  },
});

interface ExistingIndex {
  settings?: { index?: { similarity?: Record<string, { k1?: string; b?: string }>; analysis?: unknown } };
  mappings?: { properties?: Record<string, { type?: string; analyzer?: string; similarity?: string }> };
}

/**
 * Differences between an existing index and what this config would create, each naming the field or
 * setting and the config key: indexing into it would silently mix two rankings or fail per document.
 */
export function mappingConflicts(existing: ExistingIndex, config: IndexConfig): string[] {
  const want = indexBody(config);
  const problems: string[] = [];
  const props = existing.mappings?.properties ?? {};
  for (const [field, spec] of Object.entries(want.mappings.properties)) {
    const have = props[field];
    if (!have) problems.push(`field ${field} is missing`);
    else if ((have.type ?? 'object') !== spec.type)
      problems.push(`field ${field} is ${have.type ?? 'object'}, expected ${spec.type}`);
  }
  const text = props.text;
  if (text?.type === 'text') {
    if (text.analyzer !== 'qcc_text')
      problems.push(`field text uses analyzer ${text.analyzer ?? 'standard'}, expected qcc_text`);
    if (text.similarity !== 'qcc_bm25')
      problems.push(`field text uses similarity ${text.similarity ?? 'BM25 defaults'}, expected qcc_bm25`);
  }
  const sim = existing.settings?.index?.similarity?.qcc_bm25;
  if (sim) {
    if (Number(sim.k1) !== config.bm25.k1)
      problems.push(`BM25 k1 is ${sim.k1}, config index.bm25.k1 is ${config.bm25.k1}`);
    if (Number(sim.b) !== config.bm25.b) problems.push(`BM25 b is ${sim.b}, config index.bm25.b is ${config.bm25.b}`);
  }
  const filters = JSON.stringify(
    (existing.settings?.index?.analysis as { analyzer?: { qcc_text?: { filter?: unknown } } } | undefined)?.analyzer
      ?.qcc_text?.filter ?? null,
  );
  const wantFilters = JSON.stringify(want.settings.analysis.analyzer.qcc_text.filter);
  if (text?.analyzer === 'qcc_text' && filters !== wantFilters)
    problems.push(`analyzer qcc_text has filters ${filters}, config index.tokenizer needs ${wantFilters}`);
  return problems;
}
