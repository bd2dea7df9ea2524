/**
 * Scores every index document against the domain classifiers: how many each domain accepts (BM25 candidates in
 * their own domain or moved, and documents no query reached), and the recall round's finds. Guards run on the
 * counts; a domain that fails one is taken out of the table and the index is scored again without it.
 */
import type { Doc } from '../../core/types.js';
import { checkDomain, type GuardLimits, type RelevanceWarning } from './diagnostics.js';
import type { Featurizer } from './features.js';
import { decide, scoringTableOf, type LoadedClassifier } from './model-file.js';

export interface IndexScan {
  /** Documents each domain's classifier accepts over the whole index (estimated, when the scan is a sample). */
  accepted: Map<string, number>;
  /** ...and of them, those the scan holds. */
  acceptedScanned: Map<string, number>;
  /** Index documents no candidate list holds that a classifier accepts, with the domain and the margin. */
  found: { doc: Doc; domain: string; margin: number; threshold: number }[];
}

export async function scoreIndex(
  scan: () => AsyncIterable<Doc>,
  classifiers: LoadedClassifier[],
  featurizer: Featurizer,
  candidateDomain: Map<string, string>,
  preferOwn: boolean,
  signal?: AbortSignal,
  weightOf?: (id: string) => number,
): Promise<IndexScan> {
  const accepted = new Map(classifiers.map(c => [c.domain, 0]));
  const acceptedScanned = new Map(accepted);
  const found: IndexScan['found'] = [];
  if (classifiers.length === 0) return { accepted, acceptedScanned, found };
  const scoring = scoringTableOf(classifiers);
  const trained = new Set(classifiers.map(c => c.domain));
  const seen = new Set<string>();
  for await (const doc of scan()) {
    signal?.throwIfAborted();
    if (seen.has(doc.id)) continue;
    seen.add(doc.id);
    const own = candidateDomain.get(doc.id);
    // A candidate of a domain without a classifier stays in it unscored (the relevance step keeps it unfiltered).
    if (own !== undefined && !trained.has(own)) continue;
    const v = decide(scoring, featurizer.extract(doc.text), own, preferOwn);
    if (!v.domain) continue;
    accepted.set(v.domain, accepted.get(v.domain)! + (weightOf?.(doc.id) ?? 1));
    acceptedScanned.set(v.domain, acceptedScanned.get(v.domain)! + 1);
    if (own === undefined) found.push({ doc, domain: v.domain, margin: v.margin, threshold: v.threshold });
  }
  if (weightOf) for (const [d, n] of accepted) accepted.set(d, Math.round(n)); // estimates over the whole index
  return { accepted, acceptedScanned, found };
}

export interface GuardedScan extends IndexScan {
  /** Classifiers left after the guards. */
  active: LoadedClassifier[];
  warnings: RelevanceWarning[];
}

/**
 * Scores the index, checks every domain's outcome and drops the classifiers that stalled or flooded, scoring
 * again until every remaining one passes (at most once per domain).
 */
export async function guardedScoreIndex(
  scan: () => AsyncIterable<Doc>,
  classifiers: LoadedClassifier[],
  featurizer: Featurizer,
  candidateDomain: Map<string, string>,
  preferOwn: boolean,
  outcome: { positives: (domain: string) => number; retrieved: (domain: string) => number; indexSize: number },
  limits: GuardLimits,
  signal?: AbortSignal,
  weightOf?: (id: string) => number,
): Promise<GuardedScan> {
  let active = classifiers;
  const warnings: RelevanceWarning[] = [];
  for (;;) {
    const result = await scoreIndex(scan, active, featurizer, candidateDomain, preferOwn, signal, weightOf);
    const failed = active
      .map(c =>
        checkDomain(
          {
            domain: c.domain,
            positives: outcome.positives(c.domain),
            retrieved: outcome.retrieved(c.domain),
            accepted: result.accepted.get(c.domain) ?? 0,
            indexSize: outcome.indexSize,
          },
          limits,
        ),
      )
      .filter((w): w is RelevanceWarning => w !== undefined);
    if (failed.length === 0) return { ...result, active, warnings };
    warnings.push(...failed);
    const out = new Set(failed.map(w => w.domain));
    active = active.filter(c => !out.has(c.domain));
  }
}
