import { readFile, writeFile } from 'node:fs/promises';
import { type BlockRanges, BlockedJsonlWriter, readJsonlBlock } from '../../core/jsonl-blocks.js';
import { readJsonl } from '../../core/jsonl.js';
import type { Doc } from '../../core/types.js';
import { type RelevanceModel, readRelevanceModel } from '../../stages/relevance/apply.js';
import type { RelevanceConfig } from '../../stages/relevance/config.js';
import { inIndexSample } from '../../stages/relevance/index-sample.js';
import { recallRecord } from '../../stages/relevance/loop.js';
import { decide } from '../../stages/relevance/model-file.js';
import { featurizerOf } from '../../stages/relevance/train.js';
import type { Step } from '../runner.js';
import { partOf } from './candidates.js';
import type { RunContext } from './context.js';
import type { DocStep } from './doc-steps.js';
import { listIngestShards, type IngestShard } from './ingest.js';
import { candidateIds, rateOf } from './relevance-sample.js';

export const RELEVANCE_RECALL = 'relevance_recall';

/**
 * The recall round over the documents the model step did not read (`sample_docs`), one ingest shard at a time on
 * every rank: a document no query retrieved that a classifier accepts is a find, written in blocks by candidates
 * shard (the relevance step reads its own block of every shard). The semantic boundary is the model step's alone.
 */
export function relevanceRecallStep(
  ctx: RunContext,
  config: RelevanceConfig,
  upstream: DocStep,
  after: string[],
): Step<IngestShard> {
  const files = ctx.paths.relevance;
  let shared: Promise<{ candidates: Set<string>; parts: number; model: RelevanceModel }> | undefined;
  const inputs = () =>
    (shared ??= (async () => ({
      candidates: await candidateIds(ctx, upstream),
      parts: (await upstream.listShards()).length,
      model: await readRelevanceModel(files),
    }))());
  return {
    name: RELEVANCE_RECALL,
    after,
    listShards: async () => (config.sample_docs === null || !config.recall_round ? [] : listIngestShards(ctx)),
    outputPath: shard => files.recallShard(shard.id).docs,
    sidecarPaths: shard => ({ blocks: files.recallShard(shard.id).blocks }),
    async runShard(shard, work) {
      const { candidates, parts, model } = await inputs();
      const featurizer = featurizerOf(model.summary.classifier);
      const preferOwn = (model.summary.classifier.method ?? 'logistic') !== 'nb_em';
      const rate = rateOf(ctx, config);
      const writer = new BlockedJsonlWriter(work.tempOutput!, parts);
      const seen = new Set<string>();
      try {
        for await (const doc of readJsonl<Doc>(ctx.paths.docs(shard.id))) {
          if (seen.has(doc.id)) continue;
          seen.add(doc.id);
          if (seen.size % 1024 === 0) work.signal.throwIfAborted();
          // The model step already decided the sampled documents; the candidates are the relevance step's.
          if (candidates.has(doc.id) || inIndexSample(doc.id, rate) || model.classifiers.length === 0) continue;
          work.counters.add(`${RELEVANCE_RECALL}.scored`);
          const v = decide(model.scoring, featurizer.extract(doc.text), undefined, preferOwn);
          if (!v.domain) continue;
          work.counters.add(`${RELEVANCE_RECALL}.found`);
          await writer.write(partOf(doc.id, parts), recallRecord(doc, v.domain, v.margin, v.threshold));
        }
      } catch (err) {
        await writer.discardParts();
        throw err;
      }
      const ranges = await writer.close();
      await writeFile(work.tempSidecars.blocks!, JSON.stringify(ranges) + '\n');
      return { records: writer.records };
    },
  };
}

/** The recall round's finds of candidates shard `part` from every relevance_recall shard, in no order. */
export async function* recallShardFinds(ctx: RunContext, part: number): AsyncIterable<Doc> {
  for (const marker of ctx.state.markers(RELEVANCE_RECALL)) {
    const ranges = JSON.parse(await readFile(marker.sidecars!.blocks!.path, 'utf8')) as BlockRanges;
    yield* readJsonlBlock<Doc>(marker.output!.path, ranges[part]);
  }
}
