import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { QUERIES_FILE } from '../../core/dataset-files.js';
import { readJsonl } from '../../core/jsonl.js';
import { round } from '../../core/round.js';
import type { Doc, DocSource, Query } from '../../core/types.js';
import type { Manifest } from '../write/manifest.js';
import { Reservoir } from './reservoir.js';
import { tokenCount, TOKENIZER } from './tokens.js';
import { TopCounter } from './top-counter.js';

export interface Count {
  name: string;
  count: number;
}

export interface DomainTotals {
  docs: number;
  tokens: number;
  chars: number;
}

export interface QueryYield {
  id: string;
  domain: string;
  text: string;
  method: string;
  /** Kept documents this query retrieved. */
  docs: number;
  /** Of them, documents no other query retrieved: what the version would lose without this query. */
  exclusive: number;
  /** Mean BM25 score of its hits on kept documents. */
  mean_score: number;
}

export interface SampleDoc {
  id: string;
  url?: string;
  source: DocSource;
  lang?: { code: string; score: number };
  tokens: number;
  snippet: string;
  hits: { query: string; score: number; rank: number }[];
}

export interface ReportStats {
  tokenizer: string;
  domains: Record<string, DomainTotals>;
  sites: { top: Count[]; distinct: number; exact: boolean; withoutUrl: number };
  sources: Count[];
  months: Count[];
  crawls: Count[];
  undated: number;
  /** Documents by token count, in power-of-two bins: [lo, hi). */
  lengths: { lo: number; hi: number; count: number }[];
  languages: Count[];
  queries: { top: QueryYield[]; total: number; withDocs: number };
  /** Query lineage: which model and prompt version wrote the generated queries (count of queries). */
  models: Count[];
  prompts: Count[];
  /** Queries in the version by how they were made (lineage.method): seed, question_extension, ... */
  methods: Count[];
  samples: Record<string, SampleDoc[]>;
}

const TOP_SITES = 20;
const TOP_QUERIES = 20;
const SAMPLES_PER_DOMAIN = 3;
const SNIPPET_CHARS = 600;
const SITE_CAPACITY = 5000;

export function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

function sourceName(source: DocSource): string {
  return source.kind === 'corpus'
    ? `corpus: ${basename(source.file)}`
    : `${source.kind}: ${basename(source.warc_file)}`;
}

function lengthBin(tokens: number): number {
  return tokens < 1 ? 0 : Math.floor(Math.log2(tokens));
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

const byCount = (map: Map<string, number>): Count[] =>
  [...map].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));

/** Every month from the first to the last, so gaps show as empty bars on a real time axis. */
function monthSeries(months: Map<string, number>): Count[] {
  const keys = [...months.keys()].sort();
  if (keys.length === 0) return [];
  const out: Count[] = [];
  let [y, m] = keys[0]!.split('-').map(Number) as [number, number];
  const last = keys.at(-1)!;
  for (;;) {
    const key = `${y}-${String(m).padStart(2, '0')}`;
    out.push({ name: key, count: months.get(key) ?? 0 });
    if (key >= last) return out;
    m++;
    if (m > 12) [y, m] = [y + 1, 1];
  }
}

type QueryInfo = Pick<Query, 'domain' | 'text'> & { method: string };

async function readQueries(versionDir: string): Promise<{
  queries: Map<string, QueryInfo>;
  models: Map<string, number>;
  prompts: Map<string, number>;
  methods: Map<string, number>;
}> {
  const path = join(versionDir, QUERIES_FILE);
  const queries = new Map<string, QueryInfo>();
  const models = new Map<string, number>();
  const prompts = new Map<string, number>();
  const methods = new Map<string, number>();
  if (existsSync(path)) {
    for await (const q of readJsonl<Query>(path)) {
      queries.set(q.id, { domain: q.domain, text: q.text, method: q.lineage?.method ?? 'unknown' });
      increment(methods, q.lineage?.method ?? 'unknown');
      if (q.lineage?.model) increment(models, q.lineage.model);
      if (q.lineage?.prompt_version) increment(prompts, q.lineage.prompt_version);
    }
  }
  return { queries, models, prompts, methods };
}

/**
 * One streaming pass over a version's shards. Memory is bounded by the number of queries, domains,
 * months and languages plus a fixed number of sites and samples, never by the number of documents.
 */
export async function collectStats(
  versionDir: string,
  manifest: Manifest,
  onProgress?: (docs: number) => void,
): Promise<ReportStats> {
  const { queries, models, prompts, methods } = await readQueries(versionDir);
  const domains: Record<string, DomainTotals> = {};
  const sites = new TopCounter(SITE_CAPACITY);
  let withoutUrl = 0;
  const sources = new Map<string, number>();
  const months = new Map<string, number>();
  const crawls = new Map<string, number>();
  let undated = 0;
  const lengths = new Map<number, number>();
  const languages = new Map<string, number>();
  const queryDocs = new Map<string, number>();
  const queryExclusive = new Map<string, number>();
  const queryScores = new Map<string, number>();
  const reservoirs = new Map<string, Reservoir<SampleDoc>>();
  let seen = 0;

  const missing = manifest.shards.filter(s => !existsSync(join(versionDir, s.path)));
  if (missing.length)
    throw new Error(`${versionDir}: manifest lists ${missing.map(s => s.path).join(', ')} but the file is missing`);
  for (const shard of manifest.shards) {
    const path = join(versionDir, shard.path);
    const shardDomain = shard.path.split('/')[1] ?? 'unknown';
    let line = 0;
    for await (const doc of readJsonl<Doc>(path)) {
      line++;
      if (typeof doc.text !== 'string' || !doc.source)
        throw new Error(`${path}: record ${line} has no text or no source`);
      const domain = doc.domain ?? shardDomain;
      const tokens = tokenCount(doc.text);
      const totals = (domains[domain] ??= { docs: 0, tokens: 0, chars: 0 });
      totals.docs++;
      totals.tokens += tokens;
      totals.chars += doc.text.length;

      const host = hostOf(doc.url);
      if (host) sites.add(host);
      else withoutUrl++;
      increment(sources, sourceName(doc.source));
      if (doc.source.kind !== 'corpus' && doc.source.timestamp) {
        increment(months, doc.source.timestamp.slice(0, 7));
        increment(crawls, doc.source.crawl ?? '(no crawl id)');
      } else {
        undated++;
      }
      increment(lengths, lengthBin(tokens));
      increment(languages, doc.lang?.code ?? 'unknown');
      const hits = doc.retrieval?.hits ?? [];
      for (const hit of hits) {
        increment(queryDocs, hit.query_id);
        increment(queryScores, hit.query_id, hit.score);
      }
      if (hits.length === 1) increment(queryExclusive, hits[0]!.query_id);

      let reservoir = reservoirs.get(domain);
      if (!reservoir)
        reservoirs.set(
          domain,
          (reservoir = new Reservoir<SampleDoc>(SAMPLES_PER_DOMAIN, `${manifest.version}/${domain}`)),
        );
      reservoir.offer(() => ({
        id: doc.id,
        ...(doc.url ? { url: doc.url } : {}),
        source: doc.source,
        // Published records carry every key, null when unknown (stages/write/record-schema.ts).
        ...(doc.lang?.code && doc.lang.score != null ? { lang: doc.lang } : {}),
        tokens,
        snippet: doc.text.length > SNIPPET_CHARS ? doc.text.slice(0, SNIPPET_CHARS) + '…' : doc.text,
        hits: [...(doc.retrieval?.hits ?? [])]
          .sort((a, b) => b.score - a.score)
          .slice(0, 3)
          .map(h => ({ query: queries.get(h.query_id)?.text ?? h.query_id, score: h.score, rank: h.rank })),
      }));
      if (++seen % 10_000 === 0) onProgress?.(seen);
    }
  }

  const maxBin = Math.max(-1, ...lengths.keys());
  const lengthBins = Array.from({ length: maxBin + 1 }, (_, b) => ({
    lo: b === 0 ? 0 : 2 ** b,
    hi: 2 ** (b + 1),
    count: lengths.get(b) ?? 0,
  }));
  const firstNonEmpty = lengthBins.findIndex(b => b.count > 0);

  const yields: QueryYield[] = [...queryDocs].map(([id, docs]) => {
    const q = queries.get(id);
    const exclusive = queryExclusive.get(id) ?? 0;
    const meanScore = round((queryScores.get(id) ?? 0) / docs);
    return {
      id,
      domain: q?.domain ?? '?',
      text: q?.text ?? '(not in queries.jsonl.gz)',
      method: q?.method ?? '?',
      docs,
      exclusive,
      mean_score: meanScore,
    };
  });
  // Kept documents alone rank little: many queries keep exactly retrieve.top_k. What a query adds that no
  // other query found ranks first, then its kept documents, then how well they match (mean BM25).
  yields.sort(
    (a, b) => b.exclusive - a.exclusive || b.docs - a.docs || b.mean_score - a.mean_score || (a.id < b.id ? -1 : 1),
  );

  return {
    tokenizer: TOKENIZER,
    domains: Object.fromEntries(
      Object.keys(domains)
        .sort()
        .map(d => [d, domains[d]!]),
    ),
    sites: { top: sites.top(TOP_SITES), distinct: sites.size, exact: sites.exact, withoutUrl },
    sources: byCount(sources),
    months: monthSeries(months),
    crawls: byCount(crawls),
    undated,
    lengths: firstNonEmpty < 0 ? [] : lengthBins.slice(firstNonEmpty),
    languages: byCount(languages),
    queries: { top: yields.slice(0, TOP_QUERIES), total: queries.size, withDocs: queryDocs.size },
    models: byCount(models),
    prompts: byCount(prompts),
    methods: byCount(methods),
    samples: Object.fromEntries([...reservoirs.keys()].sort().map(d => [d, reservoirs.get(d)!.items])),
  };
}
