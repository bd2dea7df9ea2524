import { join } from 'node:path';
import { CARD_FILE, LATEST_FILE, MANIFEST_FILE, QUERIES_FILE, WORK_DIR } from '../core/dataset-files.js';
import { MODEL_ANSWERS_FILE } from '../stages/bootstrap/providers/replay.js';

/** The layout of a dataset folder: its versions, LATEST, the lease, the runs' work folders. */
export function datasetPaths(dir: string) {
  return {
    dir,
    /** The name of the newest complete version, one line. */
    latest: join(dir, LATEST_FILE),
    /** The lease of the run in progress (pipeline/lock.ts). */
    lock: join(dir, '.lock'),
    /** A run's work folder, by run id. */
    work: (runId: string) => join(dir, WORK_DIR, runId),
  };
}

/**
 * The layout of one run's work folder (`<dataset>/.work/<run>/`): every path a step writes, named once, so a
 * step finds another's output here and not by spelling its name again.
 */
export function runPaths(datasetDir: string, runHash: string) {
  const work = datasetPaths(datasetDir).work(runHash);
  const relevance = join(work, 'relevance');
  const stream = join(work, 'stream');
  return {
    work,
    state: join(work, 'state'),
    lock: join(work, 'run.lock'),
    /** Bootstrap shards' queries, one file per seed shard. */
    queryShard: (id: string) => join(work, 'queries', `${id}.jsonl`),
    /** The unique, post-processed queries (written last: its presence means the two beside it are complete). */
    queriesFile: join(work, 'queries.jsonl'),
    removedQueriesFile: join(work, 'queries.removed.jsonl'),
    queriesStatsFile: join(work, 'queries.stats.json'),
    /** Every model answer the run was served; publishing gathers them into the version. */
    modelAnswers: join(work, 'model-answers'),
    /** Ingest shards' documents. */
    docs: (shard: string) => join(work, 'docs', `${shard}.jsonl.gz`),
    index: join(work, 'index.sqlite'),
    /** Retrieval hit rows, one file per query shard. */
    hits: (shard: string) => join(work, 'hits', `${shard}.jsonl.gz`),
    /** A document step's shards (`<shard>.jsonl.gz`) and removals (`<shard>.removed.jsonl.gz`). */
    docStep: (step: string) => ({
      shard: (id: string) => join(work, step, `${id}.jsonl.gz`),
      removed: (id: string) => join(work, step, `${id}.removed.jsonl.gz`),
    }),
    /** `retrieve.mode: stream`, per ingest shard: term statistics, top-k hits, the documents the hits name. */
    stream: {
      stats: (shard: string) => join(stream, 'stats', `${shard}.jsonl.gz`),
      /** Each query's top k scores in a floor shard (`FloorRow`), for the score floors. */
      floor: (shard: string) => join(stream, 'floor', `${shard}.jsonl.gz`),
      /**
       * A stream_score shard's files: its kept hits, the documents they name, and the byte ranges of the hits'
       * query blocks and the documents' id ranges (`ShardBlockRanges`).
       */
      scored: (shard: string) => ({
        hits: join(stream, 'hits', `${shard}.jsonl.gz`),
        docs: join(stream, 'docs', `${shard}.jsonl.gz`),
        blocks: join(stream, 'blocks', `${shard}.json`),
      }),
    },
    signatures: (shard: string) => join(work, 'dedup_signatures', `${shard}.bin`),
    dedup: { removals: join(work, 'dedup', 'removals.jsonl.gz'), ledgerKeys: join(work, 'dedup', 'dedup-keys.bin') },
    relevance: {
      summary: join(relevance, 'model.json'),
      weights: join(relevance, 'weights.f32'),
      judgements: join(relevance, 'judgements.jsonl.gz'),
      /** The model step's recall finds, in blocks by candidates shard, and the blocks' byte ranges. */
      recall: join(relevance, 'recall.jsonl.gz'),
      recallBlocks: join(relevance, 'recall.blocks.json'),
      boundary: join(relevance, 'boundary.jsonl.gz'),
      estimate: join(relevance, 'estimate.json'),
      /** One ingest shard's hash sample of the index (`relevance.sample_docs`). */
      sample: (shard: string) => join(relevance, 'sample', `${shard}.jsonl.gz`),
      /** One ingest shard's recall-round finds in blocks by candidates shard, and the blocks' byte ranges. */
      recallShard: (shard: string) => ({
        docs: join(relevance, 'recall', `${shard}.jsonl.gz`),
        blocks: join(relevance, 'recall', `${shard}.blocks.json`),
      }),
    },
  };
}
export type RunPaths = ReturnType<typeof runPaths>;

const partName = (i: number, n: number) =>
  `part-${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.jsonl.gz`;

/** The layout of a published version folder (`<dataset>/vNNNN/`). */
export function versionPaths(dir: string) {
  return {
    dir,
    /** `data/<domain>/`: the caller confines the domain (a seed domain could be `../..`). */
    data: join(dir, 'data'),
    part: (domainDir: string, i: number, n: number) => join(domainDir, partName(i, n)),
    removed: (rule: string) => join(dir, 'removed', `${rule.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl.gz`),
    queries: join(dir, QUERIES_FILE),
    modelAnswers: join(dir, MODEL_ANSWERS_FILE),
    /** The ledger: where the lineage's later versions find what this one consumed and kept. */
    ledgerInputs: join(dir, 'ledger', 'inputs.jsonl'),
    ledgerKeys: join(dir, 'ledger', 'dedup-keys.bin'),
    manifest: join(dir, MANIFEST_FILE),
    card: join(dir, CARD_FILE),
  };
}
export type VersionPaths = ReturnType<typeof versionPaths>;

/** The cache folder's layout (`cache_dir`, shared by runs): answers and downloads are content-addressed there. */
export function cachePaths(cacheDir: string) {
  return { llm: join(cacheDir, 'llm'), embed: join(cacheDir, 'embed'), inputs: join(cacheDir, 'inputs') };
}
