import { basename } from 'node:path';
import { stringify } from 'yaml';
import type { Manifest } from './manifest.js';
import { hfFeatures, schemaRows } from './record-schema.js';

/** Figures only a pass over the shards knows (the report's `report/stats.json`); the card is complete without them. */
export interface CardStats {
  tokenizer: string;
  domains: Record<string, { docs: number; tokens: number }>;
  languages: { name: string; count: number }[];
  crawls: { name: string; count: number }[];
  /** Models and prompt versions named in the queries' lineage. */
  models?: { name: string; count: number }[];
  prompts?: { name: string; count: number }[];
}

const SIZE_CATEGORIES: [number, string][] = [
  [1e3, 'n<1K'],
  [1e4, '1K<n<10K'],
  [1e5, '10K<n<100K'],
  [1e6, '100K<n<1M'],
  [1e7, '1M<n<10M'],
  [1e8, '10M<n<100M'],
  [1e9, '100M<n<1B'],
];

/** Hugging Face's size category for a number of records. */
export function sizeCategory(records: number): string {
  return SIZE_CATEGORIES.find(([limit]) => records < limit)?.[1] ?? 'n>1T';
}

/** A value from the manifest's config (typed `unknown` there) by dotted key, or undefined. */
function cfg(manifest: Manifest, key: string): unknown {
  let value: unknown = manifest.config;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const show = (v: unknown): string => (v === undefined ? '(not set)' : typeof v === 'string' ? v : JSON.stringify(v));
const fmt = (n: number): string => n.toLocaleString('en-US');

/** The data_files glob of one domain, relative to the version folder (the card's folder). */
export const domainGlob = (domain: string): string => `data/${domain}/*.jsonl.gz`;

/** ISO 639-1/3 codes of at least 1% of the documents; `en` when the figures are not known. */
function languages(stats?: CardStats): string[] {
  const total = (stats?.languages ?? []).reduce((n, l) => n + l.count, 0);
  const codes = (stats?.languages ?? []).filter((l) => /^[a-z]{2,3}$/.test(l.name) && l.count >= total / 100).map((l) => l.name);
  return codes.length ? codes : ['en'];
}

function header(manifest: Manifest, stats?: CardStats): string {
  const domains = Object.keys(manifest.domains).sort();
  const total = domains.reduce((n, d) => n + manifest.domains[d]!.records, 0);
  const data = {
    pretty_name: `${manifest.dataset} ${manifest.version}`,
    license: 'other',
    license_name: 'source-content-various',
    license_link: 'https://commoncrawl.org/terms-of-use',
    language: languages(stats),
    size_categories: [sizeCategory(total)],
    task_categories: ['text-generation'],
    task_ids: ['language-modeling'],
    tags: ['common-crawl', 'domain-corpus', 'bm25', 'qcc', ...domains],
    configs: [
      { config_name: 'all', default: true, data_files: [{ split: 'train', path: 'data/*/*.jsonl.gz' }] },
      ...domains.map((d) => ({ config_name: d, data_files: [{ split: 'train', path: domainGlob(d) }] })),
    ],
    // The same features for every config, so `datasets` casts every domain to one schema and
    // `concatenate_datasets` of any of them works (a column null throughout a domain is still typed).
    dataset_info: ['all', ...domains].map((name) => ({ config_name: name, features: hfFeatures() })),
  };
  return `---\n${stringify(data, { lineWidth: 0 })}---\n`;
}

function table(head: string[], rows: (string | number)[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map((v) => (typeof v === 'number' ? fmt(v) : v)).join(' | ')} |`)];
}

function composition(manifest: Manifest, stats?: CardStats): string[] {
  const domains = Object.keys(manifest.domains).sort();
  const rows = domains.map((d) => {
    const tokens = stats?.domains[d]?.tokens;
    return [d, manifest.domains[d]!.records, ...(stats ? [tokens ?? 0] : []), manifest.domains[d]!.bytes, `\`${domainGlob(d)}\``];
  });
  const lines = [
    '## Composition',
    '',
    `One JSON object per line, gzip-compressed, one folder per domain; ${manifest.shards.length} part file(s) in all. Load one domain with`,
    '`datasets.load_dataset("<this folder or repo>", "<domain>")`; the `all` config holds every domain.',
    '',
    ...table(['domain (config)', 'documents', ...(stats ? ['tokens'] : []), 'bytes (gzip)', 'data_files'], rows),
    '',
    '### Record schema',
    '',
    'Every record has every field below, whatever its source (web page, WET record or corpus line), with the same',
    'type in every domain; a field that does not apply or is unknown is `null` (the card declares these `features`',
    'for every config, so `datasets.concatenate_datasets` of any domains works):',
    '',
    ...table(['field', 'type', 'meaning'], schemaRows().map(([path, type, about]) => [`\`${path}\``, type, about])),
    '',
  ];
  if (stats) {
    lines.push(`Tokens counted with ${stats.tokenizer}.`);
    lines.push(`Languages (documents): ${stats.languages.map((l) => `${l.name} ${fmt(l.count)}`).join(', ')}.`, '');
  }
  return lines;
}

function modelNames(model: unknown, stats?: CardStats): string {
  if (stats?.models?.length) return `, model ${stats.models.map((m) => `\`${m.name}\` (${fmt(m.count)} queries)`).join(', ')}`;
  return model !== undefined ? `, model \`${basename(show(model))}\`` : ' (its default model)';
}

function collection(manifest: Manifest, stats?: CardStats): string[] {
  const b = manifest.counts.bootstrap ?? {};
  const provider = show(cfg(manifest, 'bootstrap.provider'));
  const model = cfg(manifest, 'bootstrap.model');
  const prompt = cfg(manifest, 'bootstrap.prompt');
  const inputs = [
    ...manifest.inputs.seeds.map((i) => ['seeds', `\`${basename(i.path)}\``, i.bytes, `\`${i.sha256.slice(0, 16)}…\``]),
    ...manifest.inputs.archives.map((i) => ['WARC/WET', `\`${basename(i.path)}\``, i.bytes, `\`${i.sha256.slice(0, 16)}…\``]),
    ...manifest.inputs.corpora.map((i) => ['corpus', `\`${basename(i.path)}\``, i.bytes, `\`${i.sha256.slice(0, 16)}…\``]),
  ];
  return [
    '## Collection process',
    '',
    `- **Seeds**: ${fmt(b['bootstrap.seeds'] ?? 0)} seed(s) over ${Object.keys(manifest.domains).length} domain(s) from ${manifest.inputs.seeds.map((s) => `\`${basename(s.path)}\``).join(', ')}.`,
    `- **Queries**: ${fmt(manifest.inputs.queries.count)} in all: ${fmt(b['bootstrap.queries.seed'] ?? 0)} seeds used as queries and ` +
      `${fmt(b['bootstrap.queries.question_extension'] ?? 0)} questions written by a language model (question extension); ` +
      'each keeps its lineage (seed, method, prompt version, model, sampling seed) in `queries.jsonl.gz`.',
    `- **Model**: provider \`${provider}\`${modelNames(model, stats)}; ` +
      `${show(cfg(manifest, 'bootstrap.samples_per_seed'))} sample(s) per seed, temperature ${show(cfg(manifest, 'bootstrap.temperature'))}, ` +
      `max ${show(cfg(manifest, 'bootstrap.max_tokens'))} tokens, base seed ${show(cfg(manifest, 'bootstrap.base_seed'))}.`,
    `- **Prompt**: ${prompt !== undefined ? `\`${basename(show(prompt))}\`` : 'the default template'} (few-shot question extension)` +
      `${stats?.prompts?.length ? `; versions in the lineage: ${stats.prompts.map((p) => `${p.name} (${fmt(p.count)} queries)`).join(', ')}` : ''}.`,
    `- **Crawls**: ${stats?.crawls.length ? stats.crawls.map((c) => `${c.name} (${fmt(c.count)} documents)`).join(', ') : 'see the WARC files below'}; ` +
      'documents were retrieved by BM25 (SQLite FTS5) from these inputs:',
    '',
    ...table(['kind', 'file', 'bytes', 'sha256'], inputs),
    '',
  ];
}

const MEANINGS: Record<string, string> = {
  'ingest.max_page_bytes': 'larger records skipped',
  'ingest.min_text_chars': 'shorter main texts skipped',
  'ingest.on_error': 'malformed input',
  'index.backend': 'BM25 index',
  'index.tokenizer': 'index tokenizer',
  'retrieve.top_k': 'hits kept per query',
  'retrieve.min_score': 'absolute BM25 floor',
  'retrieve.min_relative_score': "floor as a fraction of the query's best hit",
  'dedup.exact': 'exact duplicates of normalised text removed',
};

/** Sections of the config that decide which documents are kept; operational keys (batching, concurrency, endpoints) are left out. */
const PREPROCESSING_SECTIONS = ['ingest', 'index', 'retrieve', 'filters', 'decontam', 'dedup'];
const OPERATIONAL = /(^ingest\.(warc|corpora)$)|elasticsearch|batch_size|concurrency|queries_per_shard|timeout|retries|shards$/;

function settings(value: unknown, prefix: string, out: [string, unknown][] = []): [string, unknown][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) settings(v, `${prefix}.${k}`, out);
  } else if (!OPERATIONAL.test(prefix)) {
    out.push([prefix, value]);
  }
  return out;
}

function preprocessing(manifest: Manifest): string[] {
  const rows = PREPROCESSING_SECTIONS.flatMap((section) => settings(cfg(manifest, section), section)).filter(([, v]) => v !== undefined);
  const funnel = manifest.funnel.map((f) => [f.step, f.in, f.out, Object.entries(f.removed).map(([k, v]) => `${k}: ${fmt(v)}`).join(', ') || '-']);
  return [
    '## Preprocessing',
    '',
    'Main text is extracted from HTML at ingest and its language identified; then these filters and thresholds applied',
    '(from `manifest.json` → `config`):',
    '',
    ...table(['setting', 'value', 'meaning'], rows.map(([k, v]) => [`\`${k}\``, `\`${show(v).replaceAll('|', '\\|')}\``, MEANINGS[k] ?? ''])),
    '',
    'Documents in and out of each step:',
    '',
    ...table(['step', 'in', 'out', 'removed'], funnel),
    '',
    manifest.removed.length
      ? `Removed documents are kept with their rule and reason in ${manifest.removed.map((r) => `\`${r.path}\``).join(', ')}.`
      : 'No removed documents are kept in this version.',
    '',
  ];
}

/**
 * The dataset card (`README.md`): a YAML header Hugging Face `datasets` reads (an `all` config and one
 * config per domain, each with data_files globs relative to the version folder) and a datasheet.
 */
export function datasetCard(manifest: Manifest, stats?: CardStats): string {
  const domains = Object.keys(manifest.domains).sort();
  return [
    header(manifest, stats),
    `# ${manifest.dataset} ${manifest.version}`,
    '',
    'Built by qcc (Query of CC): domain seeds were extended into queries by a language model, the queries',
    'retrieved documents by BM25 from Common Crawl records and pre-extracted corpora, and the hits were',
    'deduplicated and written as compressed JSONL, one folder per domain.',
    'Open `report/index.html` (when present) for charts of this version.',
    '',
    '## Motivation',
    '',
    `A domain corpus for ${domains.join(', ')}, mined from web crawls with queries grown from a few seeds, so that`,
    'a small, auditable set of seeds (not a classifier trained on labels) decides what is in the corpus. Every record',
    'can be traced back to the crawl record and the queries that selected it.',
    '',
    ...composition(manifest, stats),
    ...collection(manifest, stats),
    ...preprocessing(manifest),
    '## Uses',
    '',
    '- Continued pre-training or fine-tuning of language models on the domains above.',
    '- Studying retrieval-based corpus construction: compare versions with `qcc diff`.',
    '- Not for: inferring facts about the people named in the documents; any use the sources’ terms forbid.',
    '',
    '## Limitations',
    '',
    '- BM25 hits are lexical matches: some documents are off-domain (a query word in an unrelated context).',
    '- Coverage is bounded by the inputs listed above; small samples say little about the web at large.',
    '- Text extraction and language id are heuristic; boilerplate and mixed-language text remain.',
    cfg(manifest, 'dedup.minhash.enabled') === true
      ? '- Near-duplicates are removed by MinHash (thresholds above): pairs just below the threshold remain.'
      : '- Only exact duplicates are removed; near-duplicates remain.',
    /pii|toxic/i.test(JSON.stringify(cfg(manifest, 'filters') ?? {})) ? '- PII and toxicity filters are heuristic: some remain.' : '- No PII or toxicity filtering is applied.',
    '- Content belongs to its original authors and sites; check the terms of the underlying sources before use.',
    '',
    '## Provenance',
    '',
    'Every record keeps `source` (crawl, WARC file, offset and length, record id; or corpus file and line)',
    'and `retrieval.hits` (the queries that found it, with BM25 score and rank).',
    '',
    `- version \`${manifest.version}\`, parent \`${manifest.parent ?? 'none'}\`, created ${manifest.created}`,
    `- run id (config hash) \`${manifest.run_id}\`, code qcc ${manifest.code_version.package}${manifest.code_version.git ? ` (\`${manifest.code_version.git}\`)` : ''}`,
    '- checksums of every file in `manifest.json`',
    '',
  ].join('\n');
}
