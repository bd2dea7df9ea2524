/**
 * How good each published domain is, in words, from a version's manifest: the estimated precision of the
 * published documents and the on-domain documents the relevance step removed (from a judged sample, when the
 * judge discriminates), and every warning the guards raised. Shared by the dataset card and the report.
 */
import type { RelevanceWarning } from './diagnostics.js';
import type { DomainEstimate } from './estimate.js';

export interface RelevanceEstimateRecord {
  reliable: boolean;
  why_unreliable?: string;
  judge?: 'semantic' | 'llm';
  model: string | null;
  embedded?: number;
  embed_cache_hits?: number;
  confidence: number;
  domains: DomainEstimate[];
}

export interface QualityRow {
  domain: string;
  published: number;
  /** "0.92 (0.81–0.97, 20 judged)" or why there is none. */
  precision: string;
  /** "≈ 34 (12–70) of 230" or why there is none. */
  removedOnDomain: string;
  /** The domain's guard warning, if any ("classifier_stalled: …"). */
  warning: string;
}

const pct = (x: number) => x.toFixed(2);

export function qualityRows(relevance: Record<string, unknown> | undefined): { rows: QualityRow[]; notes: string[] } {
  if (!relevance) return { rows: [], notes: [] };
  const estimate = relevance.estimate as RelevanceEstimateRecord | undefined;
  const warnings = (relevance.warnings ?? []) as RelevanceWarning[];
  const notes = warnings.filter(w => w.domain === null).map(w => `${w.message}; ${w.action}.`);
  if (!estimate) notes.push('No precision estimate: relevance.estimate is off or no LLM provider is configured.');
  else if (!estimate.reliable) {
    const judgeChecked = warnings.some(w => w.code === 'judge_one_way');
    notes.push(
      judgeChecked && estimate.judge !== 'semantic'
        ? 'No precision estimate: the judge failed the check above, so its answers would carry no information. The semantic judge (`relevance.estimate.judge: semantic`) or a capable model (`bootstrap.provider: openai`) gives one.'
        : `No precision estimate: ${estimate.why_unreliable ?? 'the judge does not discriminate'}.`,
    );
  } else {
    const judge =
      estimate.judge === 'semantic'
        ? `sentence embeddings (${estimate.model}) of the run's queries, each document going to the domain it is nearest`
        : (estimate.model ?? 'the configured model');
    const passages = (estimate.embedded ?? 0) + (estimate.embed_cache_hits ?? 0);
    const cost = passages
      ? ` Cost: ${passages} passages embedded (${estimate.embed_cache_hits ?? 0} of them from the cache).`
      : '';
    notes.push(
      `Estimated from a fresh sample of each domain judged by ${judge}, ${Math.round(100 * estimate.confidence)}% Wilson intervals.${cost}`,
    );
    if (estimate.judge === 'semantic') {
      notes.push(
        "The semantic judge compares the run's domains with each other: a document about none of them counts for the one it is nearest, so where the off-domain documents are about other topics the figures are upper bounds (docs/relevance.md, section 6).",
      );
    }
  }
  const rows = (estimate?.domains ?? []).map(e => {
    const w = warnings.find(x => x.domain === e.domain);
    const p = e.precision;
    const r = e.removed_on_domain;
    return {
      domain: e.domain,
      published: e.published,
      precision:
        !estimate!.reliable || p.share === null
          ? '–'
          : `${pct(p.share)} (${pct(p.low)}–${pct(p.high)}, ${p.sample} judged)`,
      removedOnDomain:
        !estimate!.reliable || r.documents === null
          ? `– of ${e.removed}`
          : `≈ ${r.documents} (${r.documents_low}–${r.documents_high}) of ${e.removed}`,
      warning: w ? `${w.code}: ${w.message}` : '',
    };
  });
  // A domain with a warning but no estimate row (no estimate at all) still shows its warning.
  for (const w of warnings) {
    if (w.domain !== null && !rows.some(r => r.domain === w.domain))
      rows.push({
        domain: w.domain,
        published: 0,
        precision: '–',
        removedOnDomain: '–',
        warning: `${w.code}: ${w.message}`,
      });
  }
  return { rows: rows.sort((a, b) => a.domain.localeCompare(b.domain)), notes };
}

/** The card's Markdown: one table and the notes under it. */
export function qualityMarkdown(relevance: Record<string, unknown> | undefined): string[] {
  const { rows, notes } = qualityRows(relevance);
  if (!relevance) return [];
  const cell = (s: string | number) => String(s).replace(/\|/g, '\\|');
  return [
    '| domain | published | estimated precision | on-domain among those relevance removed | warning |',
    '|---|---:|---|---|---|',
    ...rows.map(
      r =>
        `| ${cell(r.domain)} | ${r.published} | ${cell(r.precision)} | ${cell(r.removedOnDomain)} | ${cell(r.warning)} |`,
    ),
    '',
    ...notes.map(n => `- ${n}`),
  ];
}
