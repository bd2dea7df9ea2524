import type { Doc } from '../../pipeline/types.js';
import type { GopherQualityConfig } from './config.js';
import { bareWord, countOccurrences, hasLetter, hasLetterOrDigit, words } from './text.js';
import { checkStage, round, type Verdict } from './verdict.js';

/** Gopher quality rules (Rae et al. 2021, appendix A1), in datatrove's GopherQualityFilter order. */
export function gopherQualityCheck(text: string, cfg: GopherQualityConfig): Verdict | undefined {
  const all = words(text);
  const nonSymbol = all.filter(hasLetterOrDigit);
  const n = nonSymbol.length;
  if (n < cfg.min_doc_words) return { rule: 'gopher_short_doc', reason: `${n} words < ${cfg.min_doc_words}`, values: { words: n, min: cfg.min_doc_words } };
  if (n > cfg.max_doc_words) return { rule: 'gopher_long_doc', reason: `${n} words > ${cfg.max_doc_words}`, values: { words: n, max: cfg.max_doc_words } };

  const meanLength = round(nonSymbol.reduce((s, w) => s + w.length, 0) / n, 3);
  if (meanLength < cfg.min_avg_word_length || meanLength > cfg.max_avg_word_length) {
    return {
      rule: 'gopher_mean_word_length',
      reason: `mean word length ${meanLength} outside [${cfg.min_avg_word_length}, ${cfg.max_avg_word_length}]`,
      values: { mean_word_length: meanLength, min: cfg.min_avg_word_length, max: cfg.max_avg_word_length },
    };
  }

  const hashRatio = round(countOccurrences(text, '#') / all.length);
  if (hashRatio > cfg.max_symbol_word_ratio) {
    return { rule: 'gopher_symbol_ratio', reason: `hash-to-word ratio ${hashRatio} > ${cfg.max_symbol_word_ratio}`, values: { symbol: '#', ratio: hashRatio, max: cfg.max_symbol_word_ratio } };
  }
  const ellipsisRatio = round((countOccurrences(text, '...') + countOccurrences(text, '…')) / all.length);
  if (ellipsisRatio > cfg.max_symbol_word_ratio) {
    return { rule: 'gopher_symbol_ratio', reason: `ellipsis-to-word ratio ${ellipsisRatio} > ${cfg.max_symbol_word_ratio}`, values: { symbol: '...', ratio: ellipsisRatio, max: cfg.max_symbol_word_ratio } };
  }

  const lines = text.split(/\r?\n/);
  const bullets = round(lines.filter((l) => /^\s*[•\-*]/u.test(l)).length / lines.length);
  if (bullets > cfg.max_bullet_lines_ratio) {
    return { rule: 'gopher_bullet_lines', reason: `${bullets} of lines start with a bullet > ${cfg.max_bullet_lines_ratio}`, values: { ratio: bullets, max: cfg.max_bullet_lines_ratio } };
  }
  const ellipsisLines = round(lines.filter((l) => /(\.\.\.|…)\s*$/u.test(l)).length / lines.length);
  if (ellipsisLines > cfg.max_ellipsis_lines_ratio) {
    return { rule: 'gopher_ellipsis_lines', reason: `${ellipsisLines} of lines end with an ellipsis > ${cfg.max_ellipsis_lines_ratio}`, values: { ratio: ellipsisLines, max: cfg.max_ellipsis_lines_ratio } };
  }

  const alpha = round(all.filter(hasLetter).length / all.length);
  if (alpha < cfg.min_alpha_words_ratio) {
    return { rule: 'gopher_alpha_ratio', reason: `${alpha} of words have a letter < ${cfg.min_alpha_words_ratio}`, values: { ratio: alpha, min: cfg.min_alpha_words_ratio } };
  }

  const stop = new Set(cfg.stop_words);
  const stopCount = all.reduce((s, w) => s + (stop.has(bareWord(w)) ? 1 : 0), 0);
  if (stopCount < cfg.min_stop_words) {
    return { rule: 'gopher_stop_words', reason: `${stopCount} stop words < ${cfg.min_stop_words}`, values: { stop_words: stopCount, min: cfg.min_stop_words } };
  }
  return undefined;
}

export function gopherQualityStage(cfg: GopherQualityConfig) {
  return checkStage((doc: Doc) => gopherQualityCheck(doc.text, cfg));
}
