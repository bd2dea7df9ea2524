/**
 * Checks on what the relevance loop learned, each a pure function of counts that names what it saw: a
 * classifier that stalled (kept fewer documents than its own positives), one that flooded (took a large share
 * of the index, or many times what retrieval found), a judge that answers one way. A failed domain check makes
 * the domain fall back to the safer choice: its retrieved documents, unfiltered, and no recall-round finds.
 */

export type RelevanceWarningCode = 'classifier_stalled' | 'classifier_flooded' | 'judge_one_way';

export interface RelevanceWarning {
  code: RelevanceWarningCode;
  /** null for a run-wide warning (the judge). */
  domain: string | null;
  message: string;
  /** What the run did about it. */
  action: string;
  values: Record<string, number>;
}

/** What one domain's classifier accepted over the whole index, next to what retrieval gave it. */
export interface DomainOutcome {
  domain: string;
  /** Training positives (judged on-domain and weak positives). */
  positives: number;
  /** BM25 candidates of the domain (the retrieved set). */
  retrieved: number;
  /** Index documents the classifiers put in the domain (candidates and recall-round finds). */
  accepted: number;
  /** Documents in the index. */
  indexSize: number;
}

export interface GuardLimits {
  /** Stalled: the classifier accepts fewer documents than this share of its own positives. */
  min_kept_of_positives: number;
  /** Flooded: the classifier accepts more than this share of the index... */
  max_index_share: number;
  /** ...or more than this many times the retrieved set. */
  max_growth: number;
}

export const FALLBACK_ACTION =
  'fell back to the retrieved set: its candidates are kept unfiltered and the recall round adds nothing to it';

export function checkDomain(o: DomainOutcome, limits: GuardLimits): RelevanceWarning | undefined {
  const values = { positives: o.positives, retrieved: o.retrieved, accepted: o.accepted, index: o.indexSize };
  if (o.positives > 0 && o.accepted < limits.min_kept_of_positives * o.positives) {
    return {
      code: 'classifier_stalled',
      domain: o.domain,
      message: `domain ${o.domain}: the classifier accepts ${o.accepted} documents, fewer than ${limits.min_kept_of_positives} × its ${o.positives} positives (it stalled)`,
      action: FALLBACK_ACTION,
      values,
    };
  }
  const share = o.indexSize > 0 ? o.accepted / o.indexSize : 0;
  if (share > limits.max_index_share || o.accepted > limits.max_growth * Math.max(1, o.retrieved)) {
    return {
      code: 'classifier_flooded',
      domain: o.domain,
      message:
        `domain ${o.domain}: the classifier accepts ${o.accepted} documents, ${(100 * share).toFixed(1)}% of the index and ` +
        `${(o.accepted / Math.max(1, o.retrieved)).toFixed(1)}× the ${o.retrieved} retrieved (limits ${(100 * limits.max_index_share).toFixed(0)}% and ${limits.max_growth}×): it drifted`,
      action: FALLBACK_ACTION,
      values: { ...values, share: Number(share.toFixed(4)) },
    };
  }
  return undefined;
}

export interface JudgeTally {
  on_domain: number;
  off_domain: number;
}

export interface JudgeLimits {
  /** Readable control judgements needed before the judge is checked. */
  min_controls: number;
  /** Random index documents are mostly off-domain: a judge saying yes to at least this share of them is not discriminating... */
  max_control_yes: number;
  /** ...nor is one whose yes-rate on retrieved hits exceeds its yes-rate on random documents by less than this. */
  min_separation: number;
}

/**
 * Whether the judge tells on-domain from off-domain documents, from its answers on retrieved hits and on control
 * documents drawn at random from the index (mostly off-domain for any one domain). A judge that says yes to
 * random documents as readily as to hits carries no information: its labels are then not used (no pruning, no
 * judged positives or negatives) and precision estimates from it are marked unreliable.
 */
export function checkJudge(hits: JudgeTally, controls: JudgeTally, limits: JudgeLimits): RelevanceWarning | undefined {
  const nc = controls.on_domain + controls.off_domain;
  const nh = hits.on_domain + hits.off_domain;
  if (nc < limits.min_controls || nh === 0) return undefined;
  const controlYes = controls.on_domain / nc;
  const hitYes = hits.on_domain / nh;
  if (controlYes < limits.max_control_yes && hitYes - controlYes >= limits.min_separation) return undefined;
  return {
    code: 'judge_one_way',
    domain: null,
    message:
      `the judge said yes to ${controls.on_domain} of ${nc} random index documents (${(100 * controlYes).toFixed(0)}%) and to ` +
      `${hits.on_domain} of ${nh} retrieved hits (${(100 * hitYes).toFixed(0)}%): it does not tell on-domain from off-domain documents`,
    action:
      'its judgements are not used for pruning, as training labels or (with `relevance.estimate.judge: llm`) for precision estimates',
    values: { hits_judged: nh, hits_yes: hits.on_domain, controls_judged: nc, controls_yes: controls.on_domain },
  };
}

/** Yes and no answers among judgements (unreadable ones left out). */
export function verdictTally(judgements: Map<string, { on_domain: boolean | null }>): JudgeTally {
  const t = { on_domain: 0, off_domain: 0 };
  for (const j of judgements.values()) {
    if (j.on_domain === true) t.on_domain++;
    else if (j.on_domain === false) t.off_domain++;
  }
  return t;
}
