import { qualityMarkdown } from '../relevance/quality-summary.js';
import { basename } from 'node:path';
import { stringify } from 'yaml';
import type { Manifest } from './manifest.js';
import { MODEL_ANSWERS_FILE } from '../bootstrap/providers/replay.js';
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
  /** Published queries by lineage method (seed, question_extension, thought_generation). */
  methods?: { name: string; count: number }[];
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
  const codes = (stats?.languages ?? [])
    .filter(l => /^[a-z]{2,3}$/.test(l.name) && l.count >= total / 100)
    .map(l => l.name);
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
      ...domains.map(d => ({ config_name: d, data_files: [{ split: 'train', path: domainGlob(d) }] })),
    ],
    // The same features for every config, so `datasets` casts every domain to one schema and
    // `concatenate_datasets` of any of them works (a column null throughout a domain is still typed).
    dataset_info: ['all', ...domains].map(name => ({ config_name: name, features: hfFeatures() })),
  };
  return `---\n${stringify(data, { lineWidth: 0 })}---\n`;
}

function table(head: string[], rows: (string | number)[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map(r => `| ${r.map(v => (typeof v === 'number' ? fmt(v) : v)).join(' | ')} |`),
  ];
}

function composition(manifest: Manifest, stats?: CardStats): string[] {
  const domains = Object.keys(manifest.domains).sort();
  const rows = domains.map(d => {
    const tokens = stats?.domains[d]?.tokens;
    return [
      d,
      manifest.domains[d]!.records,
      ...(stats ? [tokens ?? 0] : []),
      manifest.domains[d]!.bytes,
      `\`${domainGlob(d)}\``,
    ];
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
    ...table(
      ['field', 'type', 'meaning'],
      schemaRows().map(([path, type, about]) => [`\`${path}\``, type, about]),
    ),
    '',
  ];
  if (stats) {
    lines.push(`Tokens counted with ${stats.tokenizer}.`);
    lines.push(`Languages (documents): ${stats.languages.map(l => `${l.name} ${fmt(l.count)}`).join(', ')}.`, '');
  }
  return lines;
}

function modelNames(model: unknown, stats?: CardStats): string {
  if (stats?.models?.length)
    return `, model ${stats.models.map(m => `\`${m.name}\` (${fmt(m.count)} queries)`).join(', ')}`;
  return model !== undefined ? `, model \`${basename(show(model))}\`` : ' (its default model)';
}

const METHOD_NAMES: Record<string, string> = {
  seed: 'seeds used as queries',
  question_extension: 'questions written by a language model (question extension)',
  thought_generation: 'queries from thought generation',
};

const listing = (parts: string[]) =>
  parts.length < 2 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;

/**
 * "198 in all: 24 seeds used as queries and 174 questions ...": the parts are counted in the published
 * queries (the report's figures), so they add up; the counters count queries before post-processing.
 */
function queryCounts(manifest: Manifest, stats?: CardStats): string {
  const total = manifest.inputs.queries.count;
  const b = manifest.counts.bootstrap ?? {};
  const methods =
    stats?.methods ?? Object.keys(METHOD_NAMES).map(name => ({ name, count: b[`bootstrap.queries.${name}`] ?? 0 }));
  const parts = methods
    .filter(m => m.count > 0)
    .map(m => `${fmt(m.count)} ${METHOD_NAMES[m.name] ?? `made by ${m.name}`}`);
  const written = b['bootstrap.queries'] ?? 0;
  // The post-processing counters are the finalise step's (older versions kept them with bootstrap's, or not at all).
  const rules = Object.entries({ ...b, ...(manifest.counts.bootstrap_finalise ?? {}) })
    .filter(([k, v]) => k.startsWith('bootstrap.post.') && !/\.(in|kept|normalised)$/.test(k) && v > 0)
    .map(([k, v]) => `${k.slice('bootstrap.post.'.length)} ${fmt(v)}`);
  const removed =
    written > total
      ? ` (post-processing removed ${fmt(written - total)} of the ${fmt(written)} written${rules.length ? `: ${rules.join(', ')}` : ''})`
      : '';
  const exact = stats?.methods ? '' : written > total ? ' before post-processing' : '';
  return `${fmt(total)} in all: ${listing(parts)}${exact}${removed}`;
}

function collection(manifest: Manifest, stats?: CardStats): string[] {
  const b = manifest.counts.bootstrap ?? {};
  const provider = show(cfg(manifest, 'bootstrap.provider'));
  const model = cfg(manifest, 'bootstrap.model');
  const prompt = cfg(manifest, 'bootstrap.prompt');
  const inputs = [
    ...manifest.inputs.seeds.map(i => ['seeds', `\`${basename(i.path)}\``, i.bytes, `\`${i.sha256.slice(0, 16)}…\``]),
    ...manifest.inputs.archives.map(i => [
      'WARC/WET',
      `\`${basename(i.path)}\``,
      i.bytes,
      `\`${i.sha256.slice(0, 16)}…\``,
    ]),
    ...manifest.inputs.corpora.map(i => [
      'corpus',
      `\`${basename(i.path)}\``,
      i.bytes,
      `\`${i.sha256.slice(0, 16)}…\``,
    ]),
  ];
  return [
    '## Collection process',
    '',
    `- **Seeds**: ${fmt(b['bootstrap.seeds'] ?? 0)} seed(s) over ${Object.keys(manifest.domains).length} domain(s) from ${manifest.inputs.seeds.map(s => `\`${basename(s.path)}\``).join(', ')}.`,
    `- **Queries**: ${queryCounts(manifest, stats)}; ` +
      'each keeps its lineage (seed, method, prompt version, model, sampling seed) in `queries.jsonl.gz`.',
    `- **Model**: provider \`${provider}\`${modelNames(model, stats)}; ` +
      `${show(cfg(manifest, 'bootstrap.samples_per_seed'))} sample(s) per seed, temperature ${show(cfg(manifest, 'bootstrap.temperature'))}, ` +
      `max ${show(cfg(manifest, 'bootstrap.max_tokens'))} tokens, base seed ${show(cfg(manifest, 'bootstrap.base_seed'))}.`,
    `- **Prompt**: ${prompt !== undefined ? `\`${basename(show(prompt))}\`` : 'the default template'} (few-shot question extension)` +
      `${stats?.prompts?.length ? `; versions in the lineage: ${stats.prompts.map(p => `${p.name} (${fmt(p.count)} queries)`).join(', ')}` : ''}.`,
    `- **Crawls**: ${stats?.crawls.length ? stats.crawls.map(c => `${c.name} (${fmt(c.count)} documents)`).join(', ') : 'see the WARC files below'}; ` +
      'documents were retrieved by BM25 (SQLite FTS5) from these inputs:',
    '',
    ...table(['kind', 'file', 'bytes', 'sha256'], inputs),
    '',
  ];
}

/** What each preprocessing setting does, for the card's table (keys as flattened from `manifest.config`). */
const MEANINGS: Record<string, string> = {
  'ingest.max_page_bytes': 'larger records skipped',
  'ingest.min_text_chars': 'shorter main texts skipped',
  'ingest.on_error': 'malformed input: fail stops the run, skip counts it and goes on',
  'index.backend': 'BM25 index',
  'index.tokenizer': 'index tokenizer',
  'index.bm25.k1': 'BM25 term-frequency saturation',
  'index.bm25.b': 'BM25 document-length normalisation',
  'retrieve.mode':
    '`index`: search a BM25 index; `stream`: score each ingest shard against the queries (docs/scale.md)',
  'retrieve.stream.statistics':
    'stream mode: BM25 statistics from every ingest shard (`exact`) or a share of them (`sampled`)',
  'retrieve.stream.sample_fraction': 'stream mode, sampled statistics: share of the ingest shards read',
  'retrieve.stream.keep_min_score': 'stream mode: hits at or above this BM25 score kept beyond the top k',
  'retrieve.top_k': 'hits kept per query',
  'retrieve.min_score': 'absolute BM25 floor',
  'retrieve.min_relative_score': "floor as a fraction of the query's best hit",
  'filters.url_blocklist': 'no URL blocklist',
  'filters.url_blocklist.file': 'URLs of these domains and prefixes removed',
  'filters.language.enabled': 'language filter on',
  'filters.language.languages': 'languages kept',
  'filters.language.min_score': 'language id confidence needed',
  'filters.gopher_repetition.enabled': 'Gopher repetition rules on',
  'filters.gopher_repetition.words': 'how words are split',
  'filters.gopher_repetition.dup_line_frac': 'max share of duplicate lines',
  'filters.gopher_repetition.dup_para_frac': 'max share of duplicate paragraphs',
  'filters.gopher_repetition.dup_line_char_frac': 'max share of characters in duplicate lines',
  'filters.gopher_repetition.dup_para_char_frac': 'max share of characters in duplicate paragraphs',
  'filters.gopher_repetition.top_n_grams': '[n, max share of characters] covered by the most frequent n-gram',
  'filters.gopher_repetition.dup_n_grams': '[n, max share of characters] covered by duplicated n-grams',
  'filters.gopher_quality.enabled': 'Gopher quality rules on',
  'filters.gopher_quality.words': 'how words are split',
  'filters.gopher_quality.min_doc_words': 'fewer words removed',
  'filters.gopher_quality.max_doc_words': 'more words removed',
  'filters.gopher_quality.min_avg_word_length': 'shorter mean word length removed',
  'filters.gopher_quality.max_avg_word_length': 'longer mean word length removed',
  'filters.gopher_quality.max_symbol_word_ratio': 'max # or ellipses per word',
  'filters.gopher_quality.max_bullet_lines_ratio': 'max share of lines starting with a bullet',
  'filters.gopher_quality.max_ellipsis_lines_ratio': 'max share of lines ending with an ellipsis',
  'filters.gopher_quality.min_alpha_words_ratio': 'min share of words with a letter',
  'filters.gopher_quality.min_stop_words': 'min distinct stop words present',
  'filters.gopher_quality.stop_words': 'the stop words counted',
  'filters.c4.enabled': 'C4 line filters on',
  'filters.c4.filter_no_terminal_punct': 'lines without terminal punctuation dropped',
  'filters.c4.min_words_per_line': 'shorter lines dropped',
  'filters.c4.max_word_length': 'lines with a longer word dropped',
  'filters.c4.min_num_sentences': 'documents with fewer sentences removed',
  'filters.c4.remove_citations': 'citation markers like [1] removed',
  'filters.c4.filter_lorem_ipsum': 'documents with lorem ipsum removed',
  'filters.c4.filter_javascript': 'lines mentioning javascript dropped',
  'filters.c4.filter_curly_bracket': 'documents with a curly bracket removed',
  'filters.c4.filter_policy': 'cookie, privacy and terms lines dropped',
  'filters.c4.record_removed_lines': 'dropped lines kept in `quality.c4_removed_lines`',
  'decontam.enabled': 'benchmark decontamination on',
  'decontam.n': 'word n-gram length compared with benchmark items',
  'decontam.min_matches': 'distinct n-grams of one item a document must share to be removed',
  'decontam.min_short_words': 'fields shorter than n words matched whole from this many words',
  'decontam.benchmarks': 'benchmarks whose items are removed',
  'decontam.excerpts': 'a run of min_short_words or more words (3+ content words) from a field also counts as a match',
  'dedup.exact': 'exact duplicates of normalised text removed',
  'dedup.url': 'older captures of the same URL removed',
  'dedup.minhash.enabled': 'near-duplicates removed (MinHash LSH)',
  'dedup.minhash.ngram': 'word shingle length',
  'dedup.minhash.bands': 'LSH bands',
  'dedup.minhash.rows': 'rows per band: implied Jaccard threshold (1/bands)^(1/rows)',
  'dedup.minhash.seed': 'hash seed',
  'dedup.minhash.verify_min_jaccard': 'candidate pairs kept apart below this estimated Jaccard',
};

/** Sections of the config that decide which documents are kept; operational keys (batching, concurrency, endpoints) are left out. */
const PREPROCESSING_SECTIONS = ['ingest', 'index', 'retrieve', 'filters', 'decontam', 'dedup'];
const OPERATIONAL =
  /(^ingest\.(warc|corpora|workers|input_root)$)|^ingest\.acquire\.|elasticsearch|batch_size|concurrency|queries_per_shard|timeout|retries|shards$/;

function settings(value: unknown, prefix: string, out: [string, unknown][] = []): [string, unknown][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) settings(v, `${prefix}.${k}`, out);
  } else if (!OPERATIONAL.test(prefix)) {
    out.push([prefix, value]);
  }
  return out;
}

function preprocessing(manifest: Manifest): string[] {
  const rows = PREPROCESSING_SECTIONS.flatMap(section => settings(cfg(manifest, section), section)).filter(
    ([, v]) => v !== undefined,
  );
  const funnel = manifest.funnel.map(f => [
    f.step,
    f.in,
    f.out,
    Object.entries(f.removed)
      .map(([k, v]) => `${k}: ${fmt(v)}`)
      .join(', ') || '-',
  ]);
  return [
    '## Preprocessing',
    '',
    'Main text is extracted from HTML at ingest and its language identified; then these filters and thresholds applied',
    '(from `manifest.json` → `config`):',
    '',
    ...table(
      ['setting', 'value', 'meaning'],
      rows.map(([k, v]) => [`\`${k}\``, `\`${show(v).replaceAll('|', '\\|')}\``, MEANINGS[k] ?? '']),
    ),
    '',
    'Documents in and out of each step:',
    '',
    ...table(['step', 'in', 'out', 'removed'], funnel),
    '',
    manifest.removed.length
      ? `Removed documents are kept with their rule and reason in ${manifest.removed.map(r => `\`${r.path}\``).join(', ')}.`
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
    ...(manifest.relevance ? ['## How on-domain it is', '', ...qualityMarkdown(manifest.relevance), ''] : []),
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
    /pii|toxic/i.test(JSON.stringify(cfg(manifest, 'filters') ?? {}))
      ? '- PII and toxicity filters are heuristic: some remain.'
      : '- No PII or toxicity filtering is applied.',
    '- Content belongs to its original authors and sites; check the terms of the underlying sources before use.',
    '',
    '## Provenance',
    '',
    'Every record keeps `source` (crawl, WARC file, offset and length, record id; or corpus file and line)',
    'and `retrieval.hits` (the queries that found it, with BM25 score and rank).',
    '',
    `- version \`${manifest.version}\`, parent \`${manifest.parent ?? 'none'}\`, created ${manifest.created}`,
    `- run id \`${manifest.run_id}\`, config hash \`${manifest.config_hash}\`, code qcc ${manifest.code_version.package}${manifest.code_version.git ? ` (\`${manifest.code_version.git}\`)` : ''}`,
    '- checksums of every file in `manifest.json`',
    ...reproduceLines(manifest),
    '',
  ].join('\n');
}

/** How to make this version again: its recorded model answers stand in for the model (stages/bootstrap/providers/replay.ts). */
function reproduceLines(manifest: Manifest): string[] {
  const answers = manifest.files.find(f => f.path === MODEL_ANSWERS_FILE);
  if (!answers) return [];
  return [
    `- reproduce: \`qcc run --config <config> --replay <this folder>\`, with the config that made it (in full under \`config\` in ` +
      `\`manifest.json\`) and the same inputs (checksums above): the ${fmt(answers.records)} model answers in \`${MODEL_ANSWERS_FILE}\` ` +
      '(query bootstrap, relevance judgements, precision estimate) stand in for the model, so no model is called and the shards come out byte for byte the same on any machine',
    ...(manifest.replay
      ? [
          `- replayed: this version's model answers came from ${manifest.replay.version} (run id \`${manifest.replay.run_id}\`); no model was called`,
        ]
      : []),
  ];
}
