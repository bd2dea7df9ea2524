/**
 * A judge for the precision estimate that does not depend on the small LLM: sentence embeddings of the run's own
 * queries (seeds and bootstrapped) per domain. A document's score for a domain is the mean cosine of its `k`
 * nearest queries of that domain, standardised by the same score over random index documents (so a domain whose
 * queries are close to everything does not win by default); the document is on-domain when the domain it was
 * published in has the highest standardised score of the run's domains. With a single domain there is nothing to
 * compare against, and the judge does not answer (the estimate says so).
 */
import type { Query } from '../../core/types.js';
import { cachedEmbedder } from './embed-cache.js';
import { openEmbedder, type Embedder } from './embed.js';

/** The judge's references: each domain's query texts, in query order. */
export function queryTextsByDomain(queries: Iterable<Query>): Map<string, string[]> {
  const byDomain = new Map<string, string[]>();
  for (const q of queries) {
    const texts = byDomain.get(q.domain);
    if (texts) texts.push(q.text);
    else byDomain.set(q.domain, [q.text]);
  }
  return byDomain;
}

export interface SemanticJudgeOptions {
  /** Passages of `chunk_words` words embedded per document (their mean is the document's vector). */
  chunks: number;
  chunk_words: number;
  /** Nearest queries averaged for a domain's score. */
  neighbours: number;
}

export interface SemanticVerdict {
  on_domain: boolean | null;
  /** The domain with the highest standardised score. */
  nearest: string | null;
  /** Standardised scores per domain, 3 decimals (for the estimate's sidecar). */
  z: Record<string, number>;
}

/** Up to `chunks` consecutive passages of `words` words from the start of the text (one passage for a short text). */
export function passages(text: string, chunks: number, words: number): string[] {
  const all = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < all.length && out.length < chunks; i += words) out.push(all.slice(i, i + words).join(' '));
  return out.length ? out : [''];
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Mean of the `k` largest cosines between `v` and the references. */
export function nearestMean(v: Float32Array, refs: Float32Array[], k: number): number {
  const sims = refs.map(r => dot(v, r)).sort((a, b) => b - a);
  const top = sims.slice(0, Math.max(1, k));
  return top.reduce((a, b) => a + b, 0) / top.length;
}

export interface Standardiser {
  mean: number;
  sd: number;
}

export function standardiserOf(scores: number[]): Standardiser {
  const n = scores.length || 1;
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { mean, sd: sd > 1e-9 ? sd : 1e-9 };
}

/** Which domain a document belongs to by its standardised scores; ties go to the domain judged. */
export function semanticVerdict(domain: string, z: Record<string, number>): SemanticVerdict {
  const domains = Object.keys(z);
  const round = (x: number) => Number(x.toFixed(3));
  const rounded = Object.fromEntries(domains.map(d => [d, round(z[d]!)]));
  if (domains.length < 2 || !(domain in z)) return { on_domain: null, nearest: null, z: rounded };
  let nearest = domain;
  for (const d of domains) if (z[d]! > z[nearest]!) nearest = d;
  return { on_domain: nearest === domain, nearest, z: rounded };
}

export interface SemanticJudge {
  judge(domain: string, text: string): Promise<SemanticVerdict>;
  /** Passages embedded so far (queries, controls and judged documents). */
  readonly embedded: number;
  readonly model: string;
}

/**
 * Embeds each domain's queries and the control documents once; then judges documents one at a time.
 * Domains without queries take no part.
 */
export async function buildSemanticJudge(
  embedder: Embedder,
  queries: Map<string, string[]>,
  controls: string[],
  opts: SemanticJudgeOptions,
): Promise<SemanticJudge> {
  let embedded = 0;
  const docVector = async (text: string): Promise<Float32Array> => {
    const parts = passages(text, opts.chunks, opts.chunk_words);
    const vectors = await embedder.embed(parts);
    embedded += parts.length;
    if (vectors.length === 1) return vectors[0]!;
    const mean = new Float32Array(embedder.dim);
    for (const v of vectors) for (let i = 0; i < mean.length; i++) mean[i]! += v[i]!;
    const norm = Math.hypot(...mean);
    if (norm > 0) for (let i = 0; i < mean.length; i++) mean[i]! /= norm;
    return mean;
  };
  const refs = new Map<string, Float32Array[]>();
  for (const [domain, texts] of [...queries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (texts.length === 0) continue;
    refs.set(domain, await embedder.embed(texts));
    embedded += texts.length;
  }
  const raw = (v: Float32Array) =>
    Object.fromEntries([...refs].map(([d, r]) => [d, nearestMean(v, r, opts.neighbours)]));
  const controlScores: Record<string, number>[] = [];
  for (const text of controls) controlScores.push(raw(await docVector(text)));
  const std = new Map([...refs.keys()].map(d => [d, standardiserOf(controlScores.map(s => s[d]!))]));
  return {
    model: embedder.model,
    get embedded() {
      return embedded;
    },
    async judge(domain, text) {
      const scores = raw(await docVector(text));
      const z = Object.fromEntries(
        Object.entries(scores).map(([d, s]) => [d, (s - std.get(d)!.mean) / std.get(d)!.sd]),
      );
      return semanticVerdict(domain, z);
    },
  };
}

export interface SemanticSamples {
  verdicts: (boolean | null)[];
  /** Passages the model embedded, and those read from the vector cache. */
  embedded: number;
  cache_hits: number;
  model: string;
}

/** A judge over the embedding model (behind the vector cache, when given); `close` releases the model. */
export interface OpenSemanticJudge {
  judge: SemanticJudge;
  /** Passages the model embedded, and those read from the vector cache. */
  stats(): { embedded: number; hits: number };
  close(): Promise<void>;
}

/** Opens the embedding model and builds the judge; EmbedderUnavailableError when there is no model. */
export async function openSemanticJudge(
  queries: Map<string, string[]>,
  controls: string[],
  opts: SemanticJudgeOptions & { cacheDir?: string },
): Promise<OpenSemanticJudge> {
  const model = await openEmbedder({ threads: 1 });
  const cached = opts.cacheDir ? cachedEmbedder(model, opts.cacheDir) : undefined;
  const embedder = cached ?? model;
  try {
    const judge = await buildSemanticJudge(embedder, queries, controls, opts);
    return {
      judge,
      stats: () => cached?.stats ?? { embedded: judge.embedded, hits: 0 },
      close: () => embedder.close(),
    };
  } catch (err) {
    await embedder.close();
    throw err;
  }
}

/** Judges each (domain, text) and closes the model; EmbedderUnavailableError when there is no model. */
export async function judgeSemantically(
  samples: { domain: string; text: string }[],
  queries: Map<string, string[]>,
  controls: string[],
  opts: SemanticJudgeOptions & { cacheDir?: string; onProgress?: (done: number, total: number) => void },
): Promise<SemanticSamples> {
  const open = await openSemanticJudge(queries, controls, opts);
  try {
    const verdicts: (boolean | null)[] = [];
    for (const s of samples) {
      verdicts.push((await open.judge.judge(s.domain, s.text)).on_domain);
      if (verdicts.length % 50 === 0) opts.onProgress?.(verdicts.length, samples.length);
    }
    const stats = open.stats();
    return { verdicts, embedded: stats.embedded, cache_hits: stats.hits, model: open.judge.model };
  } finally {
    await open.close();
  }
}
