/**
 * Per-domain classifiers from judgements and weak labels, with self-training over the whole index:
 * positives = judged on-domain hits plus the top hits of kept queries; negatives = judged off-domain hits,
 * other domains' positives and random index documents. Each round scores the index and adds its most
 * confident new documents to the positives (DeepSeekMath-style), then retrains.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../core/types.js';
import type { RelevanceConfig } from './config.js';
import { Featurizer } from './features.js';
import { type LinearModel, PackedExamples, ScoringTable, trainLogistic } from './linear.js';

export interface TrainingDoc {
  id: string;
  text: string;
}

export interface DomainEvidence {
  /** Judged on-domain, or weak positives (top hits of kept queries). */
  positives: Set<string>;
  /** Judged off-domain. */
  negatives: Set<string>;
}

export interface DomainClassifier {
  domain: string;
  model: LinearModel;
  /** Margin at or above which a document is on-domain. */
  threshold: number;
  stats: {
    positives: number;
    negatives: number;
    random_negatives: number;
    /** Documents added beyond the clamped positives (self-training rounds, or EM for nb_em). */
    self_trained: number;
    holdout?: number;
    holdout_precision?: number;
    holdout_recall?: number;
    /** nb_em: index documents whose most probable class is the domain, and the domain's estimated prior. */
    em_members?: number;
    em_prior?: number;
  };
}

export type ClassifierConfig = RelevanceConfig['classifier'];

export function featurizerOf(c: ClassifierConfig): Featurizer {
  return new Featurizer({
    hashBits: c.hash_bits,
    wordNgrams: c.word_ngrams,
    charNgrams: c.char_ngrams,
    maxChars: c.max_chars,
    // Absent in a model.json written before the key existed: raw counts, as those models were trained.
    tf: c.tf ?? 'raw',
    lengthNorm: c.length_norm ?? 0,
  });
}

/** A stable number in [0, 1) for an id and a purpose: random but reproducible choices. */
export function unitHash(id: string, salt: string): number {
  return createHash('sha1').update(`${salt}\u0000${id}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The deepest cut of the held-back examples (sorted by margin, best first) whose precision still reaches
 * the target; Infinity when none does (then nothing passes and the caller says so).
 */
export function thresholdFor(
  margins: number[],
  labels: number[],
  weights: number[],
  target: number,
): { threshold: number; precision: number; recall: number } {
  const order = margins.map((_, i) => i).sort((a, b) => margins[b]! - margins[a]! || a - b);
  const totalPos = labels.reduce((n, y, i) => n + y * weights[i]!, 0);
  let tp = 0;
  let fp = 0;
  let best = { threshold: Infinity, precision: 0, recall: 0 };
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i]) tp += weights[i]!;
    else fp += weights[i]!;
    // only cut between distinct margins
    if (k + 1 < order.length && margins[order[k + 1]!] === margins[i]) continue;
    const precision = tp / (tp + fp);
    if (precision >= target && tp > 0)
      best = { threshold: margins[i]!, precision, recall: totalPos ? tp / totalPos : 0 };
  }
  return best;
}

interface Role {
  label: 0 | 1;
  kind: 'pos' | 'neg' | 'random';
}

export interface TrainInput {
  domains: string[];
  evidence: Map<string, DomainEvidence>;
  /** Every BM25 candidate and its domain: kept out of other domains' random negatives only when positive. */
  candidateDomain: Map<string, string>;
  /** Every indexed document, in a stable order; called once per pass. */
  scan: () => AsyncIterable<TrainingDoc>;
  /** How many documents the scan holds (for the random negative rate). */
  indexSize: number;
  /** How many index documents a scanned one stands for, when the scan is a sample (`relevance.sample_docs`). */
  weightOf?: (id: string) => number;
  config: ClassifierConfig;
  log: Logger;
  signal?: AbortSignal;
}

/** Classifiers for the domains that have positives; a domain without any is skipped with a warning. */
export async function trainClassifiers(input: TrainInput): Promise<Map<string, DomainClassifier>> {
  const { config, log } = input;
  const featurizer = featurizerOf(config);
  const positives = new Map(input.domains.map(d => [d, new Set(input.evidence.get(d)?.positives ?? [])]));
  const selfTrained = new Map(input.domains.map(d => [d, 0]));
  let result = new Map<string, DomainClassifier>();

  for (let round = 0; round <= config.self_training_rounds; round++) {
    const active = input.domains.filter(d => positives.get(d)!.size > 0);
    // Whose positive is each document (for other domains' negatives)?
    const positiveOf = new Map<string, string[]>();
    for (const d of active) for (const id of positives.get(d)!) positiveOf.set(id, [...(positiveOf.get(id) ?? []), d]);
    const rate = new Map(
      active.map(d => [
        d,
        Math.min(1, (config.negatives_per_positive * positives.get(d)!.size) / Math.max(1, input.indexSize)),
      ]),
    );
    const train = new Map(active.map(d => [d, new PackedExamples()]));
    const held = new Map(active.map(d => [d, new PackedExamples()]));
    const counts = new Map(active.map(d => [d, { positives: 0, negatives: 0, random_negatives: 0 }]));

    const seen = new Set<string>();
    for await (const doc of input.scan()) {
      input.signal?.throwIfAborted();
      if (seen.has(doc.id)) continue;
      seen.add(doc.id);
      let features: { indices: Int32Array; count: number } | undefined;
      const holdout = unitHash(doc.id, `holdout/${config.seed}`) < config.holdout;
      for (const d of active) {
        const role = roleOf(
          doc.id,
          d,
          positives.get(d)!,
          input.evidence.get(d)?.negatives,
          positiveOf,
          input.candidateDomain,
          rate.get(d)!,
          config.seed,
        );
        if (!role) continue;
        features ??= featurizer.extract(doc.text);
        // A held-back random negative stands for the 1/rate index documents it was drawn from, so the
        // threshold is chosen for precision over the index, not over a balanced sample.
        if (holdout) held.get(d)!.add(features, role.label, role.kind === 'random' ? 1 / rate.get(d)! : 1);
        else train.get(d)!.add(features, role.label);
        const c = counts.get(d)!;
        if (role.kind === 'pos') c.positives++;
        else if (role.kind === 'neg') c.negatives++;
        else c.random_negatives++;
      }
    }

    result = new Map();
    for (const d of active) {
      const examples = train.get(d)!;
      const model = trainLogistic(examples, featurizer.dims, {
        epochs: config.epochs,
        learningRate: config.learning_rate,
        l2: config.l2,
        seed: config.seed,
      });
      const h = held.get(d)!;
      const margins: number[] = [];
      for (let i = 0; i < h.size; i++) {
        const f = h.features(i);
        margins.push(model.margin(f.indices, f.count));
      }
      const cut = thresholdFor(margins, h.labels, h.weights, config.target_precision);
      if (!Number.isFinite(cut.threshold)) {
        log.warn(
          `relevance: domain ${d}: no threshold reaches the target precision ${config.target_precision} on ${h.size} held-back examples; nothing passes its classifier`,
          { domain: d },
        );
      }
      result.set(d, {
        domain: d,
        model,
        threshold: cut.threshold,
        stats: {
          ...counts.get(d)!,
          self_trained: selfTrained.get(d)!,
          holdout: h.size,
          holdout_precision: Number(cut.precision.toFixed(4)),
          holdout_recall: Number(cut.recall.toFixed(4)),
        },
      });
      log.info(`relevance: domain ${d}: classifier round ${round}`, {
        domain: d,
        round,
        ...result.get(d)!.stats,
        threshold: cut.threshold,
      });
    }
    if (round === config.self_training_rounds || result.size === 0) break;

    // Self-training: the most confident documents above the threshold join the positives.
    const found = new Map(active.map(d => [d, [] as { id: string; margin: number }[]]));
    const scored = [...result.values()];
    const table = new ScoringTable(
      scored.map(c => c.domain),
      scored.map(c => c.model),
      featurizer.dims,
    );
    for await (const doc of input.scan()) {
      input.signal?.throwIfAborted();
      const { indices, count } = featurizer.extract(doc.text);
      const margins = table.margins(indices, count);
      let bestDomain: string | undefined;
      let bestExcess = 0;
      for (let k = 0; k < scored.length; k++) {
        const excess = margins[k]! - scored[k]!.threshold;
        if (excess >= 0 && (bestDomain === undefined || excess > bestExcess))
          [bestDomain, bestExcess] = [scored[k]!.domain, excess];
      }
      if (
        bestDomain &&
        !positives.get(bestDomain)!.has(doc.id) &&
        !input.evidence.get(bestDomain)?.negatives.has(doc.id)
      ) {
        found.get(bestDomain)!.push({ id: doc.id, margin: bestExcess });
      }
    }
    for (const d of active) {
      const limit = Math.ceil(config.self_training_growth * positives.get(d)!.size);
      const add = found
        .get(d)!
        .sort((a, b) => b.margin - a.margin || a.id.localeCompare(b.id))
        .slice(0, limit);
      for (const { id } of add) positives.get(d)!.add(id);
      selfTrained.set(d, selfTrained.get(d)! + add.length);
    }
  }
  return result;
}

function roleOf(
  id: string,
  domain: string,
  positives: Set<string>,
  judgedNegatives: Set<string> | undefined,
  positiveOf: Map<string, string[]>,
  candidateDomain: Map<string, string>,
  rate: number,
  seed: number,
): Role | undefined {
  if (judgedNegatives?.has(id)) return { label: 0, kind: 'neg' };
  if (positives.has(id)) return { label: 1, kind: 'pos' };
  if (positiveOf.has(id)) return { label: 0, kind: 'neg' };
  // A BM25 candidate of this domain that is not a positive is unknown: neither label.
  if (candidateDomain.get(id) === domain) return undefined;
  if (unitHash(id, `negative/${domain}/${seed}`) < rate) return { label: 0, kind: 'random' };
  return undefined;
}
