import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonl } from '../../core/jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import type { Doc, Removal } from '../../core/types.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { domainEstimate, sampleIds, type DomainEstimate } from '../../stages/relevance/estimate.js';
import { judgeExcerpt, type JudgeRequest, type JudgeUsage } from '../../stages/relevance/judge.js';
import type { RunContext } from './context.js';
import { REMOVED_SIDECAR, shardDocs, type DocStep } from './doc-steps.js';
import { RELEVANCE } from './relevance.js';
import { llmAnswers, semanticAnswers } from './relevance-estimate-judges.js';

export const RELEVANCE_ESTIMATE = 'relevance_estimate';

export interface RelevanceEstimate {
  /** False when the judge did not tell hits from random documents: nothing is then estimated (samples of 0). */
  reliable: boolean;
  why_unreliable?: string;
  /** `semantic`: sentence embeddings of the run's queries; `llm`: the run's model with the judge prompt. */
  judge: 'semantic' | 'llm';
  model: string | null;
  /** Passages the semantic judge embedded (queries, controls and sampled documents), and those read from its cache. */
  embedded: number;
  embed_cache_hits: number;
  confidence: number;
  domains: DomainEstimate[];
  usage: JudgeUsage;
}

/**
 * After the last document step: a fresh judged sample of each domain's documents as they will be published
 * (estimated precision), and of the documents the relevance step removed from it (estimated on-domain documents
 * removed). The judge is `relevance.estimate.judge`: sentence embeddings of the run's queries (default) or the LLM.
 */
export function relevanceEstimateStep(ctx: RunContext, final: DocStep): Step<ShardSpec> | undefined {
  const config = relevanceConfigSchema.parse(ctx.loaded.config.relevance ?? {});
  const noLlm = (ctx.loaded.config.bootstrap?.provider ?? 'llama') === 'none';
  if (!config.enabled || !config.estimate.enabled || (config.estimate.judge === 'llm' && noLlm)) return undefined;
  const out = join(ctx.paths.work, RELEVANCE, 'estimate.json');
  return {
    name: RELEVANCE_ESTIMATE,
    after: [final.name, RELEVANCE],
    barrier: true,
    listShards: async () => [{ id: 'estimate' }],
    outputPath: () => out,
    async runShard(_shard, work) {
      const published = new Map<string, Map<string, string>>();
      const add = (sets: Map<string, Map<string, string>>, d: string, id: string, text: string) =>
        sets.set(d, (sets.get(d) ?? new Map()).set(id, text));
      for (const shard of await final.listShards())
        for await (const doc of shardDocs(ctx, final.name, shard.id))
          add(published, doc.domain ?? '', doc.id, doc.text);
      const removed = new Map<string, Map<string, string>>();
      for (const marker of ctx.state.markers(RELEVANCE)) {
        const file = marker.sidecars?.[REMOVED_SIDECAR]?.path;
        if (file)
          for await (const r of readJsonl<Removal<Doc>>(file))
            add(removed, r.record.domain ?? '', r.record.id, r.record.text);
      }
      const domains = [...new Set([...published.keys(), ...removed.keys()])].sort();
      const requests: (JudgeRequest & { set: 'published' | 'removed'; text: string })[] = [];
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
      const judged =
        config.estimate.judge === 'semantic'
          ? await semanticAnswers(ctx, config, requests, work)
          : await llmAnswers(ctx, config, requests, work);
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
        work.log.info(
          `relevance: domain ${e.domain}: estimated precision ${p.share === null ? '–' : p.share.toFixed(2)} (${p.low.toFixed(2)}–${p.high.toFixed(2)}, ${p.sample} judged of ${e.published})` +
            `; on-domain among the ${e.removed} removed: ${e.removed_on_domain.documents ?? '–'} (${e.removed_on_domain.documents_low}–${e.removed_on_domain.documents_high})`,
          { domain: e.domain },
        );
      }
      work.counters.add('relevance_estimate.judge.llm_calls', result.usage.calls);
      work.counters.add('relevance_estimate.judge.llm_cache_hits', result.usage.cached);
      work.counters.add('relevance_estimate.judge.embedded_passages', result.embedded);
      work.counters.add('relevance_estimate.judge.embed_cache_hits', result.embed_cache_hits);
      await writeFile(work.tempOutput!, JSON.stringify(result, null, 1) + '\n');
      return { records: estimates.length };
    },
  };
}
