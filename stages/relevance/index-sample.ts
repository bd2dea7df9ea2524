import { unitHash } from './train.js';

/**
 * `relevance.sample_docs` (docs/scale.md, "Relevance at crawl scale"): the relevance model reads every candidate and
 * a hash sample of the whole index, not the whole index. The sample is drawn by a hash of the id, so each ingest
 * shard picks its part alone and every run picks the same documents.
 */
export interface IndexSample {
  /** Drawn at random from the whole index (a candidate may be too): controls are picked among these only. */
  inSample(id: string): boolean;
  /** Index documents a scanned one stands for: 1 for a candidate, the unsampled rest's share for the others. */
  weightOf(id: string): number;
  /** Distinct documents the model's scan holds (candidates and sample). */
  scanned: number;
}

const SALT = 'relevance-sample';

/** The share of the index to sample for about `sampleDocs` documents (1: all of it). */
export function sampleRate(sampleDocs: number, indexSize: number): number {
  return indexSize <= sampleDocs ? 1 : sampleDocs / indexSize;
}

export function inIndexSample(id: string, rate: number): boolean {
  return rate >= 1 || unitHash(id, SALT) < rate;
}

/**
 * The weights of a scan of `candidates` and a sample: a sampled non-candidate stands for
 * (index documents − candidates) / (sampled non-candidates), so weighted counts are estimates over the whole index.
 */
export function indexSample(opts: {
  rate: number;
  indexSize: number;
  candidates: Set<string>;
  sampledNonCandidates: number;
  scanned: number;
}): IndexSample {
  const rest = Math.max(0, opts.indexSize - opts.candidates.size);
  const weight = opts.sampledNonCandidates > 0 ? rest / opts.sampledNonCandidates : 1;
  return {
    inSample: id => inIndexSample(id, opts.rate),
    weightOf: id => (opts.candidates.has(id) ? 1 : weight),
    scanned: opts.scanned,
  };
}
