import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonl } from '../../core/jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import type { Doc, Removal } from '../../core/types.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { domainEstimate, sampleIds, type DomainEstimate } from '../../stages/relevance/estimate.js';
import { emptyUsage, judgeAll, judgeExcerpt, loadJudgeTemplate, tallyUsage, type JudgeRequest, type JudgeUsage } from '../../stages/relevance/judge.js';
import type { RelevanceSummary } from '../../stages/relevance/model-file.js';
import type { RunContext } from './context.js';
import { REMOVED_SIDECAR, shardDocs, type DocStep } from './doc-steps.js';
import { RELEVANCE, RELEVANCE_MODEL } from './relevance.js';
import { runProvider } from './provider.js';

export const RELEVANCE_ESTIMATE = 'relevance_estimate';

export interface RelevanceEstimate {
  /** False when the judge did not tell hits from random documents: nothing is then estimated (samples of 0). */
  reliable: boolean;
  why_unreliable?: string;
  model: string | null;
  confidence: number;
  domains: DomainEstimate[];
  usage: JudgeUsage;
}

/**
 * After the last document step: a fresh judged sample of each domain's documents as they will be published
 * (estimated precision), and of the documents the relevance step removed from it (estimated on-domain documents
 * removed). Runs when relevance and `relevance.estimate` are enabled and an LLM provider is configured.
 */
export function relevanceEstimateStep(ctx: RunContext, final: DocStep): Step<ShardSpec> | undefined {
  const config = relevanceConfigSchema.parse(ctx.loaded.config.relevance ?? {});
  if (!config.enabled || !config.estimate.enabled || (ctx.loaded.config.bootstrap?.provider ?? 'llama') === 'none') return undefined;
  const out = join(ctx.paths.work, RELEVANCE, 'estimate.json');
  return {
    name: RELEVANCE_ESTIMATE,
    after: [final.name, RELEVANCE],
    barrier: true,
    listShards: async () => [{ id: 'estimate' }],
    outputPath: () => out,
    async runShard(_shard, work) {
      const published = new Map<string, Map<string, string>>();
      for (const shard of await final.listShards()) {
        for await (const doc of shardDocs(ctx, final.name, shard.id)) {
          const d = doc.domain ?? '';
          if (!published.has(d)) published.set(d, new Map());
          published.get(d)!.set(doc.id, doc.text);
        }
      }
      const removed = new Map<string, Map<string, string>>();
      for (const marker of ctx.state.markers(RELEVANCE)) {
        const file = marker.sidecars?.[REMOVED_SIDECAR]?.path;
        if (!file) continue;
        for await (const r of readJsonl<Removal<Doc>>(file)) {
          const d = r.record.domain ?? '';
          if (!removed.has(d)) removed.set(d, new Map());
          removed.get(d)!.set(r.record.id, r.record.text);
        }
      }
      const model = ctx.state.read(RELEVANCE_MODEL, 'model');
      const summary = model?.output ? (JSON.parse(readFileSync(model.output.path, 'utf8')) as RelevanceSummary) : undefined;
      const domains = [...new Set([...published.keys(), ...removed.keys()])].sort();

      const requests: (JudgeRequest & { set: 'published' | 'removed' })[] = [];
      for (const d of domains) {
        const pub = published.get(d) ?? new Map<string, string>();
        const rem = removed.get(d) ?? new Map<string, string>();
        for (const id of sampleIds(pub.keys(), config.estimate.published_sample, d, 'estimate-published')) requests.push({ set: 'published', domain: d, doc_id: id, excerpt: judgeExcerpt(pub.get(id)!, config.judge.doc_words) });
        for (const id of sampleIds(rem.keys(), config.estimate.removed_sample, d, 'estimate-removed')) requests.push({ set: 'removed', domain: d, doc_id: id, excerpt: judgeExcerpt(rem.get(id)!, config.judge.doc_words) });
      }
      // A judge that does not tell hits from random documents would only put noise in the figures: none are asked.
      const judgeWarning = summary?.warnings?.find((w) => w.code === 'judge_one_way');
      const provider = judgeWarning ? null : runProvider(ctx);
      if (judgeWarning) work.log.warn(`relevance: no precision estimate: ${judgeWarning.message}`, { code: 'no_estimate' });
      const usage = emptyUsage();
      const verdicts = new Map<string, (boolean | null)[]>();
      if (provider && requests.length > 0) {
        try {
          const template = loadJudgeTemplate(provider.name === 'openai' ? config.judge.chat_prompt : config.judge.prompt);
          work.log.info(`relevance: judging ${requests.length} sampled documents to estimate each domain's precision`);
          const answers = await judgeAll(provider, template, requests, (d) => config.judge.topics[d] ?? d, { maxTokens: config.judge.max_tokens, seed: 1, signal: work.signal });
          tallyUsage(usage, answers);
          answers.forEach((j, i) => {
            const key = `${requests[i]!.set}\u0000${requests[i]!.domain}`;
            verdicts.set(key, [...(verdicts.get(key) ?? []), j.on_domain]);
          });
        } finally {
          await provider.close();
        }
      }
      const estimates = domains.map((d) =>
        domainEstimate(d, published.get(d)?.size ?? 0, verdicts.get(`published\u0000${d}`) ?? [], removed.get(d)?.size ?? 0, verdicts.get(`removed\u0000${d}`) ?? [], config.estimate.confidence),
      );
      const result: RelevanceEstimate = {
        reliable: !judgeWarning,
        ...(judgeWarning ? { why_unreliable: judgeWarning.message } : {}),
        model: usage.model,
        confidence: config.estimate.confidence,
        domains: estimates,
        usage,
      };
      for (const e of result.reliable ? estimates : []) {
        const p = e.precision;
        work.log.info(
          `relevance: domain ${e.domain}: estimated precision ${p.share === null ? '–' : p.share.toFixed(2)} (${p.low.toFixed(2)}–${p.high.toFixed(2)}, ${p.sample} judged of ${e.published})` +
            `; on-domain among the ${e.removed} removed: ${e.removed_on_domain.documents ?? '–'} (${e.removed_on_domain.documents_low}–${e.removed_on_domain.documents_high})`,
          { domain: e.domain },
        );
      }
      work.counters.add('relevance_estimate.judge.llm_calls', usage.calls);
      work.counters.add('relevance_estimate.judge.llm_cache_hits', usage.cached);
      await writeFile(work.tempOutput!, JSON.stringify(result, null, 1) + '\n');
      return { records: estimates.length };
    },
  };
}
