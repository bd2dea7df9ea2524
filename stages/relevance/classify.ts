import type { Counters, Doc, Logger, Query } from '../../core/types.js';
import { cleanPositives } from './clean-positives.js';
import type { RelevanceConfig } from './config.js';
import type { RelevanceWarning } from './diagnostics.js';
import { type CandidateInfo, domainEvidence, judgedOffDomainOnly } from './evidence.js';
import type { IndexSample } from './index-sample.js';
import { type GuardedScan, guardedScoreIndex } from './index-scan.js';
import type { RelevanceSummary } from './model-file.js';
import { type BoundaryResult, semanticBoundary } from './semantic-boundary.js';
import { type DomainClassifier, featurizerOf, type TrainingDoc, trainClassifiers } from './train.js';
import { trainNaiveBayes } from './train-nb.js';

export interface ClassifyInputs {
  config: RelevanceConfig;
  domains: string[];
  candidates: CandidateInfo[];
  queries: Map<string, Query>;
  pruned: Set<string>;
  /** The judge's verdicts by judgeKey, empty when the judge did not discriminate. */
  verdicts: Map<string, boolean | null>;
  scan: () => AsyncIterable<Doc>;
  indexSize: number;
  /** The scan is the candidates and a sample of the index (`relevance.sample_docs`). */
  sample?: IndexSample;
  log: Logger;
  counters: Counters;
  signal: AbortSignal;
  /** The vector cache for `classifier.clean_positives: semantic`. */
  embedCacheDir?: string;
}

export interface Classified {
  /** The trained classifiers, by domain: their order is the weights file's. */
  ordered: DomainClassifier[];
  domains: RelevanceSummary['domains'];
  guarded: GuardedScan;
  warnings: RelevanceWarning[];
  /** What the semantic judge changed at the boundary (null: off, or nothing to compare). */
  boundary: BoundaryResult | null;
}

const skippedEntry = (why: string) => ({ threshold: null, bias: 0, weights_offset: null, skipped: why });

/**
 * Trains the per-domain classifiers (a domain whose judgements found nothing on-domain is not trained) and scores
 * every index document. The guards take out a classifier that stalled or flooded (its domain keeps its retrieved
 * set); what the remaining ones accept that no query reached is the recall round's find.
 */
export async function classify(inp: ClassifyInputs): Promise<Classified> {
  const { config, log, verdicts } = inp;
  const domainSummary: RelevanceSummary['domains'] = {};
  const trainable: string[] = [];
  for (const d of inp.domains) {
    const offOnly = judgedOffDomainOnly(d, verdicts);
    if (!config.classifier.enabled) domainSummary[d] = skippedEntry('relevance.classifier.enabled is false');
    else if (offOnly > 0) {
      const why = `no positive judgements (${offOnly} judged, all off-domain): classifier skipped, its documents are kept unfiltered`;
      log.warn(`relevance: domain ${d}: ${why}`, { domain: d });
      domainSummary[d] = skippedEntry(why);
    } else trainable.push(d);
  }
  const expand = config.classifier.clean_positives === 'expand';
  const evidence = domainEvidence(
    trainable,
    inp.candidates,
    inp.queries,
    inp.pruned,
    verdicts,
    expand
      ? { ...config.classifier, positive_min_queries: Math.max(1, config.classifier.positive_min_queries - 1) }
      : config.classifier,
  );
  if (config.classifier.clean_positives !== 'off')
    await cleanPositives({
      config,
      evidence,
      queries: inp.queries,
      scan: inp.scan,
      ...(inp.sample ? { controlPool: inp.sample.inSample } : {}),
      embedCacheDir: inp.embedCacheDir,
      log,
      counters: inp.counters,
    });
  for (const d of trainable.filter(x => evidence.get(x)!.positives.size === 0)) {
    const why =
      'no positives (no on-domain judgement and no weak positive): classifier skipped, its documents are kept unfiltered';
    log.warn(`relevance: domain ${d}: ${why}`, { domain: d });
    domainSummary[d] = skippedEntry(why);
  }
  const candidateDomain = new Map(inp.candidates.map(c => [c.id, c.domain]));
  const train = config.classifier.method === 'nb_em' ? trainNaiveBayes : trainClassifiers;
  const trained = await train({
    domains: trainable.filter(d => evidence.get(d)!.positives.size > 0),
    evidence,
    candidateDomain,
    scan: inp.scan as () => AsyncIterable<TrainingDoc>,
    indexSize: inp.sample?.scanned ?? inp.indexSize,
    ...(inp.sample ? { weightOf: inp.sample.weightOf } : {}),
    config: config.classifier,
    log,
    signal: inp.signal,
  });
  const ordered: DomainClassifier[] = [...trained.values()].sort((a, b) => a.domain.localeCompare(b.domain));
  ordered.forEach((c, i) => {
    domainSummary[c.domain] = {
      threshold: Number.isFinite(c.threshold) ? c.threshold : null,
      bias: c.model.bias,
      weights_offset: i,
      stats: c.stats,
    };
    if (!Number.isFinite(c.threshold))
      domainSummary[c.domain]!.skipped =
        `no threshold reaches target_precision ${config.classifier.target_precision}: nothing passes`;
  });

  const retrievedOf = new Map<string, number>();
  for (const c of inp.candidates) retrievedOf.set(c.domain, (retrievedOf.get(c.domain) ?? 0) + 1);
  const usable = ordered
    .filter(c => Number.isFinite(c.threshold))
    .map(c => ({ domain: c.domain, model: c.model, threshold: c.threshold }));
  const featurizer = featurizerOf(config.classifier);
  const guarded = await guardedScoreIndex(
    inp.scan,
    usable,
    featurizer,
    candidateDomain,
    config.classifier.method !== 'nb_em',
    {
      positives: d => evidence.get(d)?.positives.size ?? 0,
      retrieved: d => retrievedOf.get(d) ?? 0,
      indexSize: inp.indexSize,
    },
    config.guards,
    inp.signal,
    inp.sample?.weightOf,
  );
  const warnings: RelevanceWarning[] = [];
  for (const w of guarded.warnings) {
    warnings.push(w);
    log.warn(`relevance: ${w.message}; ${w.action}`, { code: w.code, domain: w.domain, ...w.values });
    const entry = domainSummary[w.domain!]!;
    entry.threshold = null;
    entry.skipped = `${w.code}: ${w.action}`;
    entry.fallback = 'retrieved';
    inp.counters.add(`relevance.warning.${w.code}`);
  }
  for (const c of guarded.active) domainSummary[c.domain]!.accepted = guarded.accepted.get(c.domain) ?? 0;
  const boundary = config.semantic_boundary.enabled
    ? await semanticBoundary({
        config,
        classifiers: guarded.active,
        featurizer,
        candidateDomain,
        preferOwn: config.classifier.method !== 'nb_em',
        accepted: guarded.acceptedScanned,
        positives: d => evidence.get(d)?.positives ?? new Set(),
        queries: inp.queries,
        scan: inp.scan,
        ...(inp.sample ? { controlPool: inp.sample.inSample } : {}),
        embedCacheDir: inp.embedCacheDir,
        log,
        signal: inp.signal,
      })
    : null;
  if (boundary) applyBoundary(boundary, guarded, domainSummary, inp.counters, log);
  return { ordered, domains: domainSummary, guarded, warnings, boundary };
}

/** The recall round's finds with the boundary's changes; the counts and the per-domain summary. */
function applyBoundary(
  boundary: BoundaryResult,
  guarded: GuardedScan,
  domainSummary: RelevanceSummary['domains'],
  counters: Counters,
  log: Logger,
) {
  const taken = new Set(boundary.decisions.filter(d => d.domain === null).map(d => d.id));
  guarded.found = guarded.found.filter(f => !taken.has(f.doc.id));
  for (const d of boundary.decisions) {
    const doc = d.domain === null ? undefined : boundary.addedDocs.get(d.id);
    if (doc) guarded.found.push({ doc, domain: d.domain!, margin: d.excess, threshold: 0 });
  }
  for (const [domain, s] of Object.entries(boundary.domains)) {
    domainSummary[domain]!.semantic_boundary = s;
    counters.add('relevance.semantic_boundary.added', s.added);
    counters.add('relevance.semantic_boundary.removed', s.removed);
    log.info(
      `relevance: domain ${domain}: the semantic judge took in ${s.added} of ${s.examined_rejected} rejected and took out ${s.removed} of ${s.examined_accepted} accepted documents at the boundary`,
      { domain, ...s },
    );
  }
  counters.add('relevance.semantic_boundary.embedded', boundary.embedded);
  counters.add('relevance.semantic_boundary.embed_cache_hits', boundary.cache_hits);
}
