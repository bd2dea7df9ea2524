import { readFile } from 'node:fs/promises';
import { type BlockRanges, readJsonlBlock } from '../../core/jsonl-blocks.js';
import { readAllJsonl } from '../../core/jsonl.js';
import type { Doc, Query } from '../../core/types.js';
import { type RelevanceModel, readRelevanceModel, relevanceStage } from '../../stages/relevance/apply.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { buildRelevanceModel } from '../../stages/relevance/loop.js';
import type { ShardSpec, Step } from '../runner.js';
import { cachePaths } from '../paths.js';
import { finalQueriesFile } from './bootstrap-finalise.js';
import { partOf } from './candidates.js';
import type { RunContext } from './context.js';
import { type DocStep, docStageStep, shardDocs } from './doc-steps.js';
import { RELEVANCE_RECALL, recallShardFinds, relevanceRecallStep } from './relevance-recall.js';
import { RELEVANCE_SAMPLE, relevanceIndex, relevanceSampleStep } from './relevance-sample.js';
import { runProvider } from './provider.js';

export const RELEVANCE_MODEL = 'relevance_model';
export const RELEVANCE = 'relevance';
const MODEL_SHARD = 'model';

/**
 * The relevance loop, when `relevance.enabled` (stages/relevance/loop.ts): a barrier step that builds the model
 * from the candidates and the whole index; then a document step over the candidates that applies it
 * (stages/relevance/apply.ts) and adds the recall round's finds.
 */
export function relevanceSteps(
  ctx: RunContext,
  upstream: DocStep,
): { sample: Step<any>; model: Step<ShardSpec>; recall: Step<any>; docs: DocStep } | undefined {
  const config = relevanceConfigSchema.parse(ctx.loaded.config.relevance ?? {});
  if (!config.enabled) return undefined;
  const files = ctx.paths.relevance;

  const model: Step<ShardSpec> = {
    name: RELEVANCE_MODEL,
    after: [upstream.name, RELEVANCE_SAMPLE],
    barrier: true,
    listShards: async () => [{ id: MODEL_SHARD }],
    outputPath: () => files.summary,
    sidecarPaths: () => ({
      weights: files.weights,
      judgements: files.judgements,
      recall: files.recall,
      recall_blocks: files.recallBlocks,
      boundary: files.boundary,
    }),
    async runShard(_shard, work) {
      const parts = (await upstream.listShards()).length;
      const queries = await readAllJsonl<Query>(finalQueriesFile(ctx));
      const candidates = async function* () {
        for (const shard of await upstream.listShards()) yield* shardDocs(ctx, upstream.name, shard.id);
      };
      const index = await relevanceIndex(ctx, config, upstream);
      return buildRelevanceModel(
        {
          config,
          queries: new Map(queries.map(q => [q.id, q])),
          candidates: candidates(),
          scan: index.scan,
          indexSize: index.indexSize,
          ...(index.sample ? { sample: index.sample } : {}),
          provider: () => runProvider(ctx),
          log: work.log,
          counters: work.counters,
          signal: work.signal,
          embedCacheDir: cachePaths(ctx.loaded.cacheDir).embed,
          recallBlocks: { count: parts, of: id => partOf(id, parts) },
        },
        {
          summary: work.tempOutput!,
          weights: work.tempSidecars.weights!,
          judgements: work.tempSidecars.judgements!,
          recall: work.tempSidecars.recall!,
          recallBlocks: work.tempSidecars.recall_blocks!,
          boundary: work.tempSidecars.boundary!,
        },
      );
    },
  };

  let loaded: Promise<RelevanceModel> | undefined;
  const docs = docStageStep(ctx, {
    name: RELEVANCE,
    upstream,
    after: [RELEVANCE_MODEL, RELEVANCE_RECALL],
    config,
    perShard: true,
    async makeStage(shard) {
      loaded ??= readRelevanceModel(files);
      const shards = await upstream.listShards();
      const part = shards.findIndex(s => s.id === shard.id);
      const recall: Doc[] = [];
      const ranges = JSON.parse(await readFile(files.recallBlocks, 'utf8')) as BlockRanges;
      for await (const doc of readJsonlBlock<Doc>(files.recall, ranges[part])) recall.push(doc);
      for await (const doc of recallShardFinds(ctx, part)) recall.push(doc);
      // An id in two ingest shards is found in both: the first copy stands, as in the index.
      recall.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const once = recall.filter((d, i) => i === 0 || d.id !== recall[i - 1]!.id);
      // The manifest gathers the document steps' counters: the model step's (judging, pruning) ride on shard 0.
      const carried = part === 0 ? ctx.state.read(RELEVANCE_MODEL, MODEL_SHARD)!.counters : {};
      return relevanceStage(await loaded, once, carried);
    },
  });
  return {
    sample: relevanceSampleStep(ctx, config),
    model,
    recall: relevanceRecallStep(ctx, config, upstream, [RELEVANCE_MODEL]),
    docs,
  };
}
