/**
 * A rule that removes most of what reaches it is usually a mismatch between the corpus and the defaults (a
 * corpus of short items meets `ingest.min_text_chars` or `gopher_short_doc`), not a property of the data: the
 * run says so, naming the step, rule and counts, instead of publishing a near-empty dataset silently.
 */

export interface FunnelStep {
  step: string;
  in: number;
  out: number;
  removed: Record<string, number>;
}

export interface FunnelWarning {
  code: 'rule_removed_most';
  step: string;
  rule: string;
  message: string;
  values: { removed: number; in: number; share: number };
}

/** Rules a corpus of short items trips; the hint points to the documented short-text profile. */
const SHORT_TEXT_RULES = new Set([
  'short_text',
  'gopher_short_doc',
  'gopher_quality',
  'c4_min_sentences',
  'c4_min_words_per_line',
]);
export const SHORT_TEXT_PROFILE = 'config/profiles/short-text.yaml';

/** Steps whose removals are a choice of the method, not of a quality rule. */
const EXPECTED = new Set(['retrieve', 'relevance', 'dedup_apply']);

export function funnelWarnings(
  funnel: FunnelStep[],
  opts: { max_share: number; min_in: number } = { max_share: 0.5, min_in: 20 },
): FunnelWarning[] {
  const warnings: FunnelWarning[] = [];
  for (const s of funnel) {
    if (EXPECTED.has(s.step) || s.in < opts.min_in) continue;
    for (const [rule, removed] of Object.entries(s.removed)) {
      const share = removed / s.in;
      if (share < opts.max_share) continue;
      const hint =
        SHORT_TEXT_RULES.has(rule) || rule.startsWith('gopher_')
          ? `; for a corpus of short items use the short-text settings in ${SHORT_TEXT_PROFILE}`
          : '';
      warnings.push({
        code: 'rule_removed_most',
        step: s.step,
        rule,
        message: `${s.step}: rule ${rule} removed ${removed} of ${s.in} documents (${(100 * share).toFixed(0)}%)${hint}`,
        values: { removed, in: s.in, share: Number(share.toFixed(4)) },
      });
    }
  }
  return warnings;
}
