import type { Doc } from '../../core/types.js';
import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { RelevanceConfig } from '../../stages/relevance/config.js';
import { type IndexSample, inIndexSample, indexSample, sampleRate } from '../../stages/relevance/index-sample.js';
import type { Step } from '../runner.js';
import type { RunContext } from './context.js';
import { type DocStep, shardDocs } from './doc-steps.js';
import { INGEST, ingestedDocs, listIngestShards, type IngestShard } from './ingest.js';

export const RELEVANCE_SAMPLE = 'relevance_sample';

/** What the relevance model reads as its index: every ingest document, or (`sample_docs`) the candidates and a sample. */
export interface RelevanceIndex {
  scan: () => AsyncIterable<Doc>;
  /** Documents of the whole index. */
  indexSize: number;
  sample?: IndexSample;
}

const rates = new WeakMap<RunContext, number>();
/** The sample's rate: once per process, since it reads every ingest marker (the ingest step is complete by then). */
export function rateOf(ctx: RunContext, config: RelevanceConfig): number {
  if (config.sample_docs === null) return 1;
  let rate = rates.get(ctx);
  if (rate === undefined) rates.set(ctx, (rate = sampleRate(config.sample_docs, ingestedDocs(ctx).size)));
  return rate;
}

/** Every ingest shard's sample, in shard order. */
async function* sampledDocs(ctx: RunContext): AsyncIterable<Doc> {
  for (const s of listIngestShards(ctx)) yield* readJsonl<Doc>(ctx.paths.relevance.sample(s.id));
}

/**
 * `relevance.sample_docs` (docs/scale.md, "Relevance at crawl scale"): each ingest shard writes its hash sample of
 * the index, on every rank, so the model step on one rank reads a bounded number of documents.
 */
export function relevanceSampleStep(ctx: RunContext, config: RelevanceConfig): Step<IngestShard> {
  return {
    name: RELEVANCE_SAMPLE,
    after: [INGEST],
    listShards: async () => (config.sample_docs === null ? [] : listIngestShards(ctx)),
    outputPath: shard => ctx.paths.relevance.sample(shard.id),
    async runShard(shard, work) {
      const rate = rateOf(ctx, config);
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        for await (const doc of readJsonl<Doc>(ctx.paths.docs(shard.id))) {
          work.counters.add(`${RELEVANCE_SAMPLE}.read`);
          if (inIndexSample(doc.id, rate)) await writer.write(doc);
        }
      } finally {
        await writer.close();
      }
      work.counters.add(`${RELEVANCE_SAMPLE}.sampled`, writer.records);
      return { records: writer.records, meta: { rate } };
    },
  };
}

export async function candidateIds(ctx: RunContext, upstream: DocStep): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const shard of await upstream.listShards())
    for await (const doc of shardDocs(ctx, upstream.name, shard.id)) ids.add(doc.id);
  return ids;
}

/** The model step's index: the whole index, or the shards' samples followed by the candidates not among them. */
export async function relevanceIndex(
  ctx: RunContext,
  config: RelevanceConfig,
  upstream: DocStep,
): Promise<RelevanceIndex> {
  const whole = ingestedDocs(ctx);
  if (config.sample_docs === null) return { scan: whole.scan, indexSize: whole.size };
  const candidates = await candidateIds(ctx, upstream);
  const sampled = new Set<string>();
  for await (const doc of sampledDocs(ctx)) sampled.add(doc.id);
  let sampledNonCandidates = 0;
  for (const id of sampled) if (!candidates.has(id)) sampledNonCandidates++;
  const scanned = sampled.size + [...candidates].filter(id => !sampled.has(id)).length;
  const scan = async function* () {
    yield* sampledDocs(ctx);
    for (const shard of await upstream.listShards())
      for await (const doc of shardDocs(ctx, upstream.name, shard.id)) if (!sampled.has(doc.id)) yield doc;
  };
  const rate = rateOf(ctx, config);
  ctx.log.info(
    `relevance: the model reads ${scanned} documents: ${candidates.size} candidates and a sample of ${sampled.size} of the ${whole.size} index documents (rate ${rate.toPrecision(3)})`,
  );
  return {
    scan,
    indexSize: whole.size,
    sample: indexSample({ rate, indexSize: whole.size, candidates, sampledNonCandidates, scanned }),
  };
}

/** The random index documents the estimate's semantic judge standardises by: the sample's, when there is one. */
export function controlScan(ctx: RunContext, config: RelevanceConfig): AsyncIterable<Doc> {
  return config.sample_docs === null ? ingestedDocs(ctx).scan() : sampledDocs(ctx);
}
