/** The trained relevance model on disk: a JSON summary (thresholds, yields, judge usage) and the weights. */
import type { BoundaryDomainSummary } from './semantic-boundary.js';
import { readFileSync } from 'node:fs';
import type { RelevanceConfig } from './config.js';
import type { JudgeTally, RelevanceWarning } from './diagnostics.js';
import type { JudgeUsage } from './judge.js';
import { LinearModel, ScoringTable } from './linear.js';
import type { DomainClassifier } from './train.js';
import type { QueryYield } from './yield.js';

export interface RelevanceSummary {
  classifier: RelevanceConfig['classifier'];
  /** Per domain: its classifier (threshold, training counts, offset of its weights), or why it was skipped. */
  domains: Record<
    string,
    {
      threshold: number | null;
      bias: number;
      weights_offset: number | null;
      skipped?: string;
      stats?: DomainClassifier['stats'];
      /** Set when a guard took the classifier out: the domain keeps its retrieved set. */
      fallback?: 'retrieved';
      /** Index documents the classifiers put in the domain. */
      accepted?: number;
      /** What the semantic judge changed at the classifier's boundary. */
      semantic_boundary?: BoundaryDomainSummary;
    }
  >;
  yields: QueryYield[];
  pruned_queries: string[];
  judge: JudgeUsage & { informative?: boolean; hits?: JudgeTally; controls?: JudgeTally };
  recall_round: { docs: number } | null;
  /** What the guards saw and did (docs/relevance.md, "Diagnostics"). */
  warnings?: RelevanceWarning[];
}

/** Weights of all classifiers, one after another, as little-endian float32. */
export function packWeights(classifiers: DomainClassifier[]): Uint8Array {
  const dims = classifiers[0]?.model.weights.length ?? 0;
  const all = new Float32Array(dims * classifiers.length);
  classifiers.forEach((c, i) => all.set(c.model.weights, i * dims));
  return new Uint8Array(all.buffer);
}

export interface LoadedClassifier {
  domain: string;
  model: LinearModel;
  threshold: number;
}

export function loadClassifiers(summary: RelevanceSummary, weightsFile: string): LoadedClassifier[] {
  const dims = 2 ** summary.classifier.hash_bits;
  const buf = readFileSync(weightsFile);
  const floats = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const out: LoadedClassifier[] = [];
  for (const [domain, d] of Object.entries(summary.domains)) {
    if (d.weights_offset === null || d.threshold === null) continue;
    const start = d.weights_offset * dims;
    if (start + dims > floats.length)
      throw new Error(`${weightsFile}: too short for domain ${domain}'s weights (${floats.length} floats)`);
    const scale = (summary.classifier.method ?? 'logistic') === 'nb_em' ? 'sum' : 'sqrt';
    out.push({
      domain,
      model: new LinearModel(floats.slice(start, start + dims), d.bias, scale),
      threshold: d.threshold,
    });
  }
  return out;
}

/** The classifiers as one interleaved scoring table, with their thresholds in the same order. */
export function scoringTableOf(classifiers: LoadedClassifier[]): { table: ScoringTable; thresholds: Float64Array } {
  const dims = classifiers[0]?.model.weights.length ?? 1;
  return {
    table: new ScoringTable(
      classifiers.map(c => c.domain),
      classifiers.map(c => c.model),
      dims,
    ),
    thresholds: Float64Array.from(classifiers.map(c => c.threshold)),
  };
}

/**
 * The domain a document belongs to by the classifiers: its own if it passes there (with `preferOwn`), else the
 * one it passes by the widest margin, else none. Returns the margin and threshold of that domain (or of its own when none).
 */
export function decide(
  scoring: { table: ScoringTable; thresholds: Float64Array },
  features: { indices: Int32Array; count: number; values?: Float32Array },
  own: string | undefined,
  preferOwn = true,
): { domain: string | undefined; margin: number; threshold: number } {
  return decideByMargins(
    scoring,
    scoring.table.margins(features.indices, features.count, features.values),
    own,
    preferOwn,
  );
}

/** `decide` over margins already computed (one per domain, in the table's order). */
export function decideByMargins(
  scoring: { table: ScoringTable; thresholds: Float64Array },
  margins: ArrayLike<number>,
  own: string | undefined,
  preferOwn = true,
): { domain: string | undefined; margin: number; threshold: number } {
  const { table, thresholds } = scoring;
  let best = -1;
  let mine = -1;
  for (let d = 0; d < margins.length; d++) {
    const excess = margins[d]! - thresholds[d]!;
    if (table.domains[d] === own) {
      mine = d;
      if (excess >= 0 && preferOwn) return { domain: own, margin: margins[d]!, threshold: thresholds[d]! };
    }
    if (excess >= 0 && (best < 0 || excess > margins[best]! - thresholds[best]!)) best = d;
  }
  if (best >= 0) return { domain: table.domains[best], margin: margins[best]!, threshold: thresholds[best]! };
  const at = mine >= 0 ? mine : 0;
  return { domain: undefined, margin: margins[at] ?? 0, threshold: thresholds[at] ?? 0 };
}
