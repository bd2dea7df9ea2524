import type { Doc } from '../../core/types.js';

/**
 * The one schema of a published record, whatever its source (web page, WET record, corpus line): every
 * key is always present, `null` when unknown, so every domain has the same columns with the same types
 * and `datasets.concatenate_datasets` of any domains works. The dataset card declares it as the
 * `features` of every config, and docs/storage.md documents it; both are generated from this table.
 */
export type Scalar = 'string' | 'int64' | 'float64' | 'bool';
export type Field =
  | { name: string; type: Scalar; about: string }
  | { name: string; struct: Field[]; about: string }
  | { name: string; list: Field[]; about: string };

export const RECORD_SCHEMA: Field[] = [
  {
    name: 'id',
    type: 'string',
    about: 'stable document id (sha1 of the WARC record id, or of corpus file and original id)',
  },
  {
    name: 'text',
    type: 'string',
    about: 'main text (HTML extracted at ingest; C4 line filters may have removed lines)',
  },
  { name: 'url', type: 'string', about: 'page URL; null for corpus lines without a URL field' },
  { name: 'domain', type: 'string', about: 'the domain (config) the document belongs to' },
  {
    name: 'source',
    about: 'provenance; web keys are null for corpus lines and corpus keys null for web records',
    struct: [
      { name: 'kind', type: 'string', about: '`warc`, `wet` or `corpus`' },
      { name: 'crawl', type: 'string', about: 'Common Crawl release, when known' },
      { name: 'timestamp', type: 'string', about: 'WARC-Date of the record' },
      {
        name: 'warc_file',
        type: 'string',
        about: 'the WARC/WET file: its URL, or its path relative to the input root',
      },
      { name: 'offset', type: 'int64', about: 'byte offset of the record in the WARC/WET file' },
      { name: 'length', type: 'int64', about: 'byte length of the (compressed) record' },
      { name: 'record_id', type: 'string', about: 'WARC-Record-ID' },
      { name: 'content_digest', type: 'string', about: 'WARC-Payload-Digest' },
      { name: 'content_type', type: 'string', about: 'HTTP (or WET) content type' },
      { name: 'file', type: 'string', about: 'the corpus file: its path relative to the input root' },
      { name: 'line', type: 'int64', about: '1-based line in the decompressed corpus file' },
      { name: 'original_id', type: 'string', about: 'the id the corpus gave the line' },
    ],
  },
  {
    name: 'lang',
    about: 'language identified at ingest',
    struct: [
      { name: 'code', type: 'string', about: 'ISO 639 code' },
      { name: 'score', type: 'float64', about: "the identifier's confidence" },
    ],
  },
  {
    name: 'retrieval',
    about: 'how BM25 found it',
    struct: [
      {
        name: 'hits',
        about: 'the queries that retrieved it (null when only the classifier found it)',
        list: [
          { name: 'query_id', type: 'string', about: 'id in `queries.jsonl.gz`' },
          { name: 'score', type: 'float64', about: 'BM25 score' },
          { name: 'rank', type: 'int64', about: '1-based rank in that query’s hits' },
        ],
      },
      { name: 'best_score', type: 'float64', about: 'best BM25 score over the hits' },
      { name: 'queries', type: 'int64', about: 'number of queries that retrieved it' },
    ],
  },
  {
    name: 'quality',
    about: 'signals the quality filters recorded on a kept document',
    struct: [
      {
        name: 'c4_lines_removed',
        type: 'int64',
        about: 'lines the C4 filters removed (when the lines themselves are not kept)',
      },
      {
        name: 'c4_removed_lines',
        about: 'the lines the C4 filters removed, with the rule (when `filters.c4.record_removed_lines`)',
        list: [
          { name: 'rule', type: 'string', about: 'C4 rule' },
          { name: 'line', type: 'string', about: 'the removed line' },
        ],
      },
    ],
  },
  {
    name: 'dedup',
    about: 'deduplication keys',
    struct: [{ name: 'exact_hash', type: 'string', about: 'sha1 of the normalised text' }],
  },
  {
    name: 'relevance',
    about: "the relevance step's verdict (all null when `relevance.enabled` is false)",
    struct: [
      {
        name: 'judge',
        about: 'the LLM judgement, when the document was sampled for judging',
        struct: [
          { name: 'on_domain', type: 'bool', about: 'null: the answer could not be read as yes or no' },
          { name: 'reason', type: 'string', about: "the judge's reason" },
          { name: 'model', type: 'string', about: 'the judging model' },
        ],
      },
      { name: 'score', type: 'float64', about: 'classifier margin' },
      { name: 'threshold', type: 'float64', about: "the domain's classifier threshold" },
      { name: 'found_by', type: 'string', about: '`bm25`, `classifier` (recall round) or `semantic` (boundary judge)' },
      {
        name: 'semantic_z',
        type: 'float64',
        about: 'standardised semantic score, when the boundary judge decided (docs/relevance.md section 4)',
      },
      { name: 'from_domain', type: 'string', about: 'the domain retrieval gave it, when the classifier moved it' },
    ],
  },
];

/** Fields that must not be null in any record. */
const REQUIRED = new Set(['id', 'text', 'domain', 'source.kind']);

export class RecordSchemaError extends Error {}

function fits(type: Scalar, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int64':
      return Number.isSafeInteger(v);
    case 'float64':
      return typeof v === 'number' && Number.isFinite(v);
    case 'bool':
      return typeof v === 'boolean';
  }
}

function shapeStruct(fields: Field[], value: unknown, path: string, id: string): Record<string, unknown> {
  const obj = value ?? {};
  if (typeof obj !== 'object' || Array.isArray(obj))
    throw new RecordSchemaError(`record ${id}: ${path} must be an object, got ${JSON.stringify(value)}`);
  const known = new Set(fields.map(f => f.name));
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) {
      throw new RecordSchemaError(
        `record ${id}: field ${path ? `${path}.` : ''}${key} is not in the published schema (stages/write/record-schema.ts): declare it there`,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const f of fields)
    out[f.name] = shapeField(f, (obj as Record<string, unknown>)[f.name], path ? `${path}.${f.name}` : f.name, id);
  return out;
}

function shapeField(f: Field, v: unknown, path: string, id: string): unknown {
  if ('struct' in f) return shapeStruct(f.struct, v, path, id);
  if (v === undefined || v === null) {
    if (REQUIRED.has(path)) throw new RecordSchemaError(`record ${id}: ${path} is missing`);
    return null;
  }
  if ('list' in f) {
    if (!Array.isArray(v))
      throw new RecordSchemaError(`record ${id}: ${path} must be a list, got ${JSON.stringify(v)}`);
    return v.map((item, i) => shapeStruct(f.list, item, `${path}[${i}]`, id));
  }
  if (!fits(f.type, v))
    throw new RecordSchemaError(`record ${id}: ${path} must be ${f.type}, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * A document as published: the keys of RECORD_SCHEMA in its order, every one present (null when unknown).
 * A field the schema does not declare is an error naming the record and the field, never dropped silently.
 */
export function publishedRecord(doc: Doc): Record<string, unknown> {
  return shapeStruct(RECORD_SCHEMA, doc, '', String((doc as { id?: unknown }).id ?? '(no id)'));
}

const HF_DTYPE: Record<Scalar, string> = { string: 'string', int64: 'int64', float64: 'float64', bool: 'bool' };

type HfFeature = { name: string; dtype?: string; struct?: HfFeature[]; list?: HfFeature[] };

/** RECORD_SCHEMA as the `features` list of a Hugging Face card's `dataset_info` (the YAML form `datasets` writes). */
export function hfFeatures(fields: Field[] = RECORD_SCHEMA): HfFeature[] {
  return fields.map(f => {
    if ('struct' in f) return { name: f.name, struct: hfFeatures(f.struct) };
    if ('list' in f) return { name: f.name, list: hfFeatures(f.list) };
    return { name: f.name, dtype: HF_DTYPE[f.type] };
  });
}

/** One row per field (dotted path, type, meaning): the schema table of the card and docs/storage.md. */
export function schemaRows(fields: Field[] = RECORD_SCHEMA, prefix = ''): [string, string, string][] {
  return fields.flatMap((f): [string, string, string][] => {
    const path = prefix + f.name;
    if ('struct' in f) return [[path, 'struct', f.about], ...schemaRows(f.struct, `${path}.`)];
    if ('list' in f) return [[path, 'list of struct', f.about], ...schemaRows(f.list, `${path}[].`)];
    return [[path, REQUIRED.has(path) ? f.type : `${f.type} or null`, f.about]];
  });
}
