import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { readAllJsonl, readJsonl } from '../../core/jsonl.js';
import type { Doc, Query, Removal } from '../../core/types.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { type EstimateRequest, estimateRelevance } from '../../stages/relevance/estimate-run.js';
import { llmAnswers, semanticAnswers } from '../../stages/relevance/estimate-judges.js';
import type { RelevanceSummary } from '../../stages/relevance/model-file.js';
import { queryTextsByDomain } from '../../stages/relevance/semantic-judge.js';
import type { ShardSpec, ShardWork, Step } from '../runner.js';
import { finalQueriesFile } from './bootstrap-finalise.js';
import { cachePaths } from '../paths.js';
import type { RunContext } from './context.js';
import { type DocStep, REMOVED_SIDECAR, shardDocs } from './doc-steps.js';
import { controlScan } from './relevance-sample.js';
import { runProvider } from './provider.js';
import { RELEVANCE } from './relevance.js';

export const RELEVANCE_ESTIMATE = 'relevance_estimate';

/**
 * After the last document step: the estimated precision of each domain as published, and the on-domain documents
 * the relevance step removed (stages/relevance/estimate-run.ts). The judge is `relevance.estimate.judge`:
 * sentence embeddings of the run's queries (default) or the LLM.
 */
export function relevanceEstimateStep(ctx: RunContext, final: DocStep): Step<ShardSpec> | undefined {
  const config = relevanceConfigSchema.parse(ctx.loaded.config.relevance ?? {});
  const noLlm = (ctx.loaded.config.bootstrap?.provider ?? 'llama') === 'none';
  if (!config.enabled || !config.estimate.enabled || (config.estimate.judge === 'llm' && noLlm)) return undefined;

  async function* published(): AsyncIterable<Doc> {
    for (const shard of await final.listShards()) yield* shardDocs(ctx, final.name, shard.id);
  }
  async function* removed(): AsyncIterable<Removal<Doc>> {
    for (const marker of ctx.state.markers(RELEVANCE)) {
      const file = marker.sidecars?.[REMOVED_SIDECAR]?.path;
      if (file) yield* readJsonl<Removal<Doc>>(file);
    }
  }
  const judge = async (requests: EstimateRequest[], work: ShardWork) => {
    const judgeCtx = { config, log: work.log, signal: work.signal };
    if (config.estimate.judge === 'semantic') {
      const queries = queryTextsByDomain(await readAllJsonl<Query>(finalQueriesFile(ctx)));
      const index = controlScan(ctx, config);
      return semanticAnswers(
        requests,
        { queries, index, embedCacheDir: cachePaths(ctx.loaded.cacheDir).embed },
        judgeCtx,
      );
    }
    const file = ctx.paths.relevance.summary;
    const summary = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RelevanceSummary) : undefined;
    return llmAnswers(requests, { summary, provider: () => runProvider(ctx) }, judgeCtx);
  };

  return {
    name: RELEVANCE_ESTIMATE,
    after: [final.name, RELEVANCE],
    barrier: true,
    listShards: async () => [{ id: 'estimate' }],
    outputPath: () => ctx.paths.relevance.estimate,
    async runShard(_shard, work) {
      const result = await estimateRelevance({
        config,
        published: published(),
        removed: removed(),
        judge: requests => judge(requests, work),
        log: work.log,
        counters: work.counters,
      });
      await writeFile(work.tempOutput!, JSON.stringify(result, null, 1) + '\n');
      return { records: result.domains.length };
    },
  };
}
