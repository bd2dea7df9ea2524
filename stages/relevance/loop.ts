import { writeFile } from 'node:fs/promises';
import { BlockedJsonlWriter } from '../../core/jsonl-blocks.js';
import { JsonlWriter } from '../../core/jsonl.js';
import type { Counters, Doc, Logger, Query } from '../../core/types.js';
import type { LlmProvider } from '../bootstrap/providers/types.js';
import { classify } from './classify.js';
import type { RelevanceConfig } from './config.js';
import { checkJudge, type RelevanceWarning, verdictTally } from './diagnostics.js';
import { type CandidateInfo, queryYields } from './evidence.js';
import type { IndexSample } from './index-sample.js';
import type { Judgement } from './judge.js';
import { judgeSamples } from './judge-samples.js';
import { packWeights, type RelevanceSummary } from './model-file.js';
import type { BoundaryDecision } from './semantic-boundary.js';

const round4 = (x: number) => Number(x.toFixed(4));

export interface RelevanceModelInputs {
  config: RelevanceConfig;
  queries: Map<string, Query>;
  /** The retrieved documents, each once. */
  candidates: AsyncIterable<Doc>;
  /** Every index document, once per call. */
  scan: () => AsyncIterable<Doc>;
  /** Documents of the whole index (the guards' shares are of these). */
  indexSize: number;
  /** `relevance.sample_docs`: the scan is every candidate and a hash sample of the index, not the whole index. */
  sample?: IndexSample;
  provider: () => LlmProvider | null;
  log: Logger;
  counters: Counters;
  signal: AbortSignal;
  /** The vector cache (`<cache_dir>/embed`) for `classifier.clean_positives: semantic`. */
  embedCacheDir?: string;
  /** The recall finds are written in `count` blocks, a document in block `of(id)` (one per shard that reads them). */
  recallBlocks: { count: number; of: (id: string) => number };
}

/** Where the model goes: the summary (JSON), the packed weights, the judgements and the recall round's finds. */
export interface RelevanceModelFiles {
  summary: string;
  weights: string;
  judgements: string;
  recall: string;
  /** The byte range of each block of `recall` (BlockRanges, JSON). */
  recallBlocks: string;
  /** The semantic judge's changes at the classifiers' boundary (stages/relevance/semantic-boundary.ts). */
  boundary: string;
}

/**
 * The relevance loop's model (docs/relevance.md): judges samples of each query's hits, computes query yields,
 * prunes, trains the per-domain classifiers and (recall round) scores the whole index.
 */
export async function buildRelevanceModel(
  inp: RelevanceModelInputs,
  files: RelevanceModelFiles,
): Promise<{ records: number; meta: Record<string, unknown> }> {
  const { config, log, counters, queries } = inp;
  const candidates: CandidateInfo[] = [];
  for await (const doc of inp.candidates)
    candidates.push({ id: doc.id, domain: doc.domain!, hits: doc.retrieval?.hits ?? [] });
  const domains = [...new Set([...queries.values()].map(q => q.domain))].sort();

  const judged = await judgeSamples({
    ...inp,
    candidates,
    domains,
    ...(inp.sample ? { controlPool: inp.sample.inSample } : {}),
  });
  const warnings: RelevanceWarning[] = [];
  const judgeWarning = checkJudge(verdictTally(judged.hits), verdictTally(judged.controls), {
    min_controls: config.guards.judge_min_controls,
    max_control_yes: config.guards.judge_max_control_yes,
    min_separation: config.guards.judge_min_separation,
  });
  if (judgeWarning) {
    warnings.push(judgeWarning);
    log.warn(`relevance: ${judgeWarning.message}; ${judgeWarning.action}`, {
      code: judgeWarning.code,
      ...judgeWarning.values,
    });
    counters.add('relevance.warning.judge_one_way');
  }
  const judgeInformative = !judgeWarning;

  // Query yields and pruning: only a judge that discriminates prunes or labels.
  const allVerdicts = new Map([...judged.hits].map(([k, j]) => [k, j.on_domain]));
  const verdicts = judgeInformative ? allVerdicts : new Map<string, boolean | null>();
  const yields = queryYields(candidates, queries, allVerdicts, config.yield).map(y =>
    judgeInformative ? y : { ...y, pruned: false },
  );
  const pruned = new Set(yields.filter(y => y.pruned).map(y => y.query_id));
  counters.add('relevance.queries.pruned', pruned.size);
  if (pruned.size)
    log.info(`relevance: ${pruned.size} of ${yields.length} queries pruned (yield under ${config.yield.floor})`);

  const classified = await classify({ ...inp, domains, candidates, pruned, verdicts });
  warnings.push(...classified.warnings);
  const semanticZ = new Map((classified.boundary?.decisions ?? []).map(d => [d.id, d.z]));
  const recallDocs = await writeRecall(config, classified.guarded.found, semanticZ, files, inp.recallBlocks);
  await writeBoundary(classified.boundary?.decisions ?? [], files.boundary);
  if (config.recall_round) counters.add('relevance.recall_round.docs', recallDocs);
  await writeJudgements(judged.hits, judged.controls, files.judgements);
  await writeFile(files.weights, packWeights(classified.ordered));

  const { hitUsage: usage, controlUsage } = judged;
  const summary: RelevanceSummary = {
    classifier: config.classifier,
    domains: Object.fromEntries(Object.entries(classified.domains).sort(([a], [b]) => a.localeCompare(b))),
    yields,
    pruned_queries: [...pruned].sort(),
    judge: {
      ...usage,
      calls: usage.calls + controlUsage.calls,
      cached: usage.cached + controlUsage.cached,
      prompt_tokens: usage.prompt_tokens + controlUsage.prompt_tokens,
      completion_tokens: usage.completion_tokens + controlUsage.completion_tokens,
      informative: judgeInformative,
      hits: verdictTally(judged.hits),
      controls: verdictTally(judged.controls),
    },
    recall_round: config.recall_round ? { docs: recallDocs } : null,
    warnings,
  };
  await writeFile(files.summary, JSON.stringify(summary, null, 1) + '\n');
  return { records: classified.ordered.length, meta: { pruned: pruned.size, recall_docs: recallDocs } };
}

/** A recall-round find as a document of its new domain (`semanticZ`: the semantic judge took it in at the boundary). */
export function recallRecord(doc: Doc, domain: string, margin: number, threshold: number, semanticZ?: number): Doc {
  return {
    ...doc,
    domain,
    relevance: {
      score: round4(margin),
      threshold: round4(threshold),
      ...(semanticZ !== undefined
        ? { found_by: 'semantic' as const, semantic_z: semanticZ }
        : { found_by: 'classifier' as const }),
    },
  };
}

/** The recall round's finds as documents of their new domain, in id order (none without the recall round). */
async function writeRecall(
  config: RelevanceConfig,
  found: { doc: Doc; domain: string; margin: number; threshold: number }[],
  semanticZ: Map<string, number>,
  files: Pick<RelevanceModelFiles, 'recall' | 'recallBlocks'>,
  blocks: RelevanceModelInputs['recallBlocks'],
): Promise<number> {
  const writer = new BlockedJsonlWriter(files.recall, blocks.count);
  try {
    const docs = config.recall_round
      ? found
          .map(({ doc, domain, margin, threshold }) =>
            recallRecord(doc, domain, margin, threshold, semanticZ.get(doc.id)),
          )
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      : [];
    for (const doc of docs) await writer.write(blocks.of(doc.id), doc);
    await writeFile(files.recallBlocks, JSON.stringify(await writer.close()) + '\n');
    return docs.length;
  } catch (err) {
    await writer.discardParts();
    throw err;
  }
}

/** The semantic judge's changes at the boundary, in id order (an empty file when it is off). */
async function writeBoundary(decisions: BoundaryDecision[], file: string) {
  const writer = await JsonlWriter.open(file);
  try {
    for (const d of decisions) await writer.write(d);
  } finally {
    await writer.close();
  }
}

/** Every judgement, hits then controls, each in key order. */
async function writeJudgements(hits: Map<string, Judgement>, controls: Map<string, Judgement>, file: string) {
  const writer = await JsonlWriter.open(file);
  try {
    for (const [kind, map] of [
      ['hit', hits],
      ['control', controls],
    ] as const) {
      for (const [key, j] of [...map].sort(([a], [b]) => a.localeCompare(b))) {
        const [domain, doc_id] = key.split('\u0000');
        await writer.write({
          domain,
          doc_id,
          kind,
          on_domain: j.on_domain,
          reason: j.reason,
          model: j.model,
          prompt_version: j.prompt_version,
        });
      }
    }
  } finally {
    await writer.close();
  }
}
