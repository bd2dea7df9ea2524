import type { Doc, Stage } from '../../pipeline/types.js';
import { readBenchmark } from './benchmarks.js';
import type { DecontamConfig } from './config.js';
import { BenchmarkIndex, type Contamination } from './ngram-index.js';

export { decontamConfigSchema, benchmarkConfigSchema, type DecontamConfig, type BenchmarkConfig } from './config.js';
export { readBenchmark, valuesAt, benchmarkName, type BenchmarkItem } from './benchmarks.js';
export { BenchmarkIndex, type Contamination } from './ngram-index.js';
export { normaliseTokens, windowKeys } from './normalise.js';

/** Loads every configured test set into one n-gram index (benchmark file paths already resolved). */
export async function buildBenchmarkIndex(cfg: DecontamConfig): Promise<BenchmarkIndex> {
  const index = new BenchmarkIndex(cfg);
  for (const [i, b] of cfg.benchmarks.entries()) {
    for (const item of await readBenchmark(b, `decontam.benchmarks[${i}]`)) index.add(item);
  }
  return index;
}

export function contaminationReason(c: Contamination, n: number): string {
  return `shares ${c.matched_ngrams} of ${c.item_ngrams} ${n}-grams with ${c.benchmark} item ${c.item_id}`;
}

/** Removes documents that share n-grams with a benchmark item; the removal names the benchmark and item. */
export function decontamStage(index: BenchmarkIndex, n: number): Stage<Doc, Doc> {
  return async function* (input, ctx) {
    for await (const doc of input) {
      const hit = index.match(doc.text);
      if (!hit) {
        yield doc;
        continue;
      }
      if (!ctx.remove) throw new Error('decontam: the stage context has no remove() to record removals');
      ctx.remove({ rule: 'decontam', reason: contaminationReason(hit, n), values: { ...hit, n }, record: doc });
    }
  };
}
