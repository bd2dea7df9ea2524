import type { Counters, Doc, Logger, Removal } from '../../core/types.js';
import type { RelevanceConfig } from './config.js';
import { type DomainEstimate, domainEstimate, sampleIds } from './estimate.js';
import type { EstimateAnswers } from './estimate-judges.js';
import { type JudgeRequest, judgeExcerpt } from './judge.js';

/**
 * The estimate as written to the work folder: who judged (false `reliable` when the judge did not tell hits from
 * random documents: nothing is then estimated, samples of 0), passages embedded and read from the vector cache,
 * and per domain the estimated precision and on-domain documents removed.
 */
export type RelevanceEstimate = EstimateAnswers['meta'] & { confidence: number; domains: DomainEstimate[] };

export type EstimateRequest = JudgeRequest & { set: 'published' | 'removed'; text: string };

export interface EstimateInputs {
  config: RelevanceConfig;
  /** The documents as they will be published. */
  published: AsyncIterable<Doc>;
  /** The documents the relevance step removed. */
  removed: AsyncIterable<Removal<Doc>>;
  judge: (requests: EstimateRequest[]) => Promise<EstimateAnswers>;
  log: Logger;
  counters: Counters;
}

type TextsByDomain = Map<string, Map<string, string>>;
const add = (sets: TextsByDomain, d: string, id: string, text: string) =>
  sets.set(d, (sets.get(d) ?? new Map()).set(id, text));

/**
 * A fresh judged sample of each domain's published documents (estimated precision), and of the documents the
 * relevance step removed (estimated on-domain documents removed).
 */
export async function estimateRelevance(inp: EstimateInputs): Promise<RelevanceEstimate> {
  const { config } = inp;
  const published: TextsByDomain = new Map();
  for await (const doc of inp.published) add(published, doc.domain ?? '', doc.id, doc.text);
  const removed: TextsByDomain = new Map();
  for await (const r of inp.removed) add(removed, r.record.domain ?? '', r.record.id, r.record.text);
  const domains = [...new Set([...published.keys(), ...removed.keys()])].sort();
  const requests: EstimateRequest[] = [];
  for (const d of domains) {
    for (const [set, sample, docs] of [
      ['published', config.estimate.published_sample, published.get(d)],
      ['removed', config.estimate.removed_sample, removed.get(d)],
    ] as const) {
      for (const id of sampleIds(docs?.keys() ?? [], sample, d, `estimate-${set}`)) {
        const text = docs!.get(id)!;
        requests.push({ set, domain: d, doc_id: id, text, excerpt: judgeExcerpt(text, config.judge.doc_words) });
      }
    }
  }
  const judged = await inp.judge(requests);
  const verdictsOf = (set: string, d: string) =>
    judged.verdicts.filter((_, i) => requests[i]!.set === set && requests[i]!.domain === d);
  const estimates = domains.map(d =>
    domainEstimate(
      d,
      published.get(d)?.size ?? 0,
      verdictsOf('published', d),
      removed.get(d)?.size ?? 0,
      verdictsOf('removed', d),
      config.estimate.confidence,
    ),
  );
  const result: RelevanceEstimate = { ...judged.meta, confidence: config.estimate.confidence, domains: estimates };
  for (const e of result.reliable ? estimates : []) {
    const p = e.precision;
    inp.log.info(
      `relevance: domain ${e.domain}: estimated precision ${p.share === null ? '–' : p.share.toFixed(2)} (${p.low.toFixed(2)}–${p.high.toFixed(2)}, ${p.sample} judged of ${e.published})` +
        `; on-domain among the ${e.removed} removed: ${e.removed_on_domain.documents ?? '–'} (${e.removed_on_domain.documents_low}–${e.removed_on_domain.documents_high})`,
      { domain: e.domain },
    );
  }
  inp.counters.add('relevance_estimate.judge.llm_calls', result.usage.calls);
  inp.counters.add('relevance_estimate.judge.llm_cache_hits', result.usage.cached);
  inp.counters.add('relevance_estimate.judge.embedded_passages', result.embedded);
  inp.counters.add('relevance_estimate.judge.embed_cache_hits', result.embed_cache_hits);
  return result;
}
