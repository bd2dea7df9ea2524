/** Records that flow between stages, and the context every stage receives. */

export type SeedType = 'keyword' | 'question' | 'excerpt';

export interface Seed {
  id: string;
  domain: string;
  subdomain?: string;
  type: SeedType;
  text: string;
  /** Where the seed came from: file and 1-based row (header excluded). */
  source: { file: string; row: number };
}

export interface QueryLineage {
  seed_id: string;
  parent_query_id?: string;
  round: number;
  method: 'seed' | 'question_extension' | 'thought_generation';
  prompt_version?: string;
  model?: string;
  sampling_seed?: number;
}

export interface Query {
  id: string;
  domain: string;
  text: string;
  lineage: QueryLineage;
}

/** Where a document came from: enough to go back to the original record. */
export interface WarcSource {
  kind: 'warc' | 'wet';
  crawl?: string;
  timestamp?: string;
  warc_file: string;
  offset: number;
  length: number;
  record_id: string;
  content_digest?: string;
  content_type?: string;
}

export interface CorpusSource {
  kind: 'corpus';
  file: string;
  /** 1-based line number in the (decompressed) corpus file. */
  line: number;
  original_id: string;
}

export type DocSource = WarcSource | CorpusSource;

export interface RetrievalHit {
  query_id: string;
  score: number;
  rank: number;
}

export interface Doc {
  id: string;
  text: string;
  url?: string;
  domain?: string;
  source: DocSource;
  lang?: { code: string; score: number };
  retrieval?: { hits: RetrievalHit[]; best_score: number; queries: number };
  /** Signals quality filters recorded on a kept document (e.g. lines C4 removed). */
  quality?: Record<string, unknown>;
  dedup?: { exact_hash: string };
  /** The relevance step's verdict: LLM judgement if sampled, classifier score, how the document was found. */
  relevance?: DocRelevance;
}

export interface DocRelevance {
  judge?: { on_domain: boolean | null; reason: string; model: string };
  score?: number;
  threshold?: number;
  found_by: 'bm25' | 'classifier' | 'semantic';
  /** Its standardised semantic score for its domain, when the semantic judge decided at the classifier's boundary. */
  semantic_z?: number;
  /** The domain retrieval gave it, when the classifiers moved it to another. */
  from_domain?: string;
}

/** A document a stage removed, and why. Nothing is dropped silently. */
export interface Removal<T = unknown> {
  rule: string;
  reason: string;
  record: T;
  values?: Record<string, unknown>;
}

export interface Logger {
  /** Per-item detail (one line per model completion, per dedup band): in the JSON log, not on a terminal. */
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Named counters: the filter funnel and the report read them. */
export class Counters {
  private readonly values = new Map<string, number>();
  add(name: string, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }
  get(name: string): number {
    return this.values.get(name) ?? 0;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
  merge(other: Record<string, number>): void {
    for (const [k, v] of Object.entries(other)) this.add(k, v);
  }
}

export interface StageContext<C = unknown> {
  /** The stage's slice of the run config. */
  config: C;
  log: Logger;
  counters: Counters;
  signal: AbortSignal;
  /** Called with each removed record; the runner writes it to `removed/`. */
  remove?: (removal: Removal) => void;
}

export type Stage<I, O, C = unknown> = (input: AsyncIterable<I>, ctx: StageContext<C>) => AsyncIterable<O>;

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
