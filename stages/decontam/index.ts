import type { Doc, Stage } from '../../core/types.js';
import { readBenchmark } from './benchmarks.js';
import type { DecontamConfig } from './config.js';
import { BenchmarkIndex, type Contamination } from './ngram-index.js';

export { decontamConfigSchema, benchmarkConfigSchema, type DecontamConfig, type BenchmarkConfig } from './config.js';
export { readBenchmark, benchmarkFiles, valuesAt, benchmarkName, type BenchmarkItem } from './benchmarks.js';
export { BenchmarkIndex, type Contamination, type MatchRule } from './ngram-index.js';
export { normaliseTokens, windowKeys } from './normalise.js';
export { numberWordsToDigits } from './number-words.js';

/** Loads every configured test set into one n-gram index (benchmark file paths already resolved). */
export async function buildBenchmarkIndex(cfg: DecontamConfig): Promise<BenchmarkIndex> {
  const index = new BenchmarkIndex(cfg);
  for (const [i, b] of cfg.benchmarks.entries()) {
    for (const item of await readBenchmark(b, `decontam.benchmarks[${i}]`)) index.add(item);
  }
  return index;
}

/** "an 8-word", "an 11-word", "a 10-word". */
const article = (n: number) => (/^8/.test(String(n)) || n === 11 || n === 18 ? 'an' : 'a');

/** ", with its 7 code symbols in place": a run told from a list of numbers by its brackets and operators. */
const code = (c: Contamination) => (c.code_symbols ? `, with its ${c.code_symbols} code symbols in place` : '');

/** What matched, in words: which rule, how much of the item, which field. */
export function contaminationReason(c: Contamination, n: number): string {
  const item = `${c.benchmark} item ${c.item_id}`;
  switch (c.rule) {
    case 'ngrams':
      return `${c.matched_ngrams} of ${c.item_ngrams} ${n}-grams of ${item}`;
    case 'whole_field':
      return `whole field \`${c.field}\` of ${item} (${c.field_words} words)${code(c)}`;
    case 'excerpt':
      return `${article(c.matched_words!)} ${c.matched_words}-word excerpt of field \`${c.field}\` (${c.field_words} words) of ${item}${code(c)}`;
    case 'fields_together':
      return `all ${c.fields} fields of ${item} within ${c.span_words} words (each too short to match alone)`;
  }
}

/** Removes documents that hold a benchmark item; the removal names the benchmark, the item and what matched. */
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
