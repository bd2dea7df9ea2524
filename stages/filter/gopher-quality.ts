import type { Doc } from '../../core/types.js';
import type { GopherQualityConfig } from './config.js';
import { bareWord, countOccurrences, hasLetter, hasLetterOrDigit, punctuationWords, words } from './text.js';
import { round } from '../../core/round.js';
import { checkStage, type Verdict } from './verdict.js';

/** "1 of 3 lines end with an ellipsis": the counts behind a ratio, for the removal reason. */
const share = (part: number, whole: number, what: string) => `${part} of ${whole} ${what}`;

/**
 * Gopher quality rules (Rae et al. 2021, appendix A1), in datatrove's GopherQualityFilter order. Words are
 * as `cfg.words` says unless `tokens` gives them (the cross-check feeds datatrove's spaCy tokens here).
 */
export function gopherQualityCheck(text: string, cfg: GopherQualityConfig, tokens?: string[]): Verdict | undefined {
  const all = tokens ?? (cfg.words === 'punctuation' ? punctuationWords(text) : words(text));
  const nonSymbol = all.filter(hasLetterOrDigit);
  const n = nonSymbol.length;
  if (n < cfg.min_doc_words)
    return {
      rule: 'gopher_short_doc',
      reason: `${n} words < ${cfg.min_doc_words}`,
      values: { words: n, min: cfg.min_doc_words },
    };
  if (n > cfg.max_doc_words)
    return {
      rule: 'gopher_long_doc',
      reason: `${n} words > ${cfg.max_doc_words}`,
      values: { words: n, max: cfg.max_doc_words },
    };

  const meanLength = nonSymbol.reduce((s, w) => s + w.length, 0) / n;
  if (meanLength < cfg.min_avg_word_length || meanLength > cfg.max_avg_word_length) {
    return {
      rule: 'gopher_mean_word_length',
      reason: `mean word length ${round(meanLength)} outside [${cfg.min_avg_word_length}, ${cfg.max_avg_word_length}]`,
      values: { mean_word_length: round(meanLength), min: cfg.min_avg_word_length, max: cfg.max_avg_word_length },
    };
  }

  const hashes = countOccurrences(text, '#');
  const hashRatio = hashes / all.length;
  if (hashRatio > cfg.max_symbol_word_ratio) {
    return {
      rule: 'gopher_symbol_ratio',
      reason: `${hashes} '#' for ${all.length} words (ratio ${round(hashRatio)} > ${cfg.max_symbol_word_ratio})`,
      values: { symbol: '#', ratio: round(hashRatio), max: cfg.max_symbol_word_ratio },
    };
  }
  const ellipses = countOccurrences(text, '...') + countOccurrences(text, '…');
  const ellipsisRatio = ellipses / all.length;
  if (ellipsisRatio > cfg.max_symbol_word_ratio) {
    return {
      rule: 'gopher_symbol_ratio',
      reason: `${ellipses} ellipses for ${all.length} words (ratio ${round(ellipsisRatio)} > ${cfg.max_symbol_word_ratio})`,
      values: { symbol: '...', ratio: round(ellipsisRatio), max: cfg.max_symbol_word_ratio },
    };
  }

  // biome-ignore lint/suspicious/noControlCharactersInRegex: Python's str.splitlines() boundaries, \v \f and \x1c-\x1e included
  const lines = text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/u);
  if (lines.at(-1) === '') lines.pop(); // as Python's str.splitlines: a final line break ends the last line
  const bulletLines = lines.filter(l => /^\s*[•-]/u.test(l)).length;
  const bullets = bulletLines / lines.length;
  if (bullets > cfg.max_bullet_lines_ratio) {
    return {
      rule: 'gopher_bullet_lines',
      reason: `${share(bulletLines, lines.length, 'lines start with a bullet')} (${round(bullets)} > ${cfg.max_bullet_lines_ratio})`,
      values: { ratio: round(bullets), max: cfg.max_bullet_lines_ratio },
    };
  }
  const ellipsisLineCount = lines.filter(l => /(\.\.\.|…)\s*$/u.test(l)).length;
  const ellipsisLines = ellipsisLineCount / lines.length;
  if (ellipsisLines > cfg.max_ellipsis_lines_ratio) {
    return {
      rule: 'gopher_ellipsis_lines',
      reason: `${share(ellipsisLineCount, lines.length, 'lines end with an ellipsis')} (${round(ellipsisLines)} > ${cfg.max_ellipsis_lines_ratio})`,
      values: { ratio: round(ellipsisLines), max: cfg.max_ellipsis_lines_ratio },
    };
  }

  const withLetter = all.filter(hasLetter).length;
  const alpha = withLetter / all.length;
  if (alpha < cfg.min_alpha_words_ratio) {
    return {
      rule: 'gopher_alpha_ratio',
      reason: `${share(withLetter, all.length, 'words have a letter')} (${round(alpha)} < ${cfg.min_alpha_words_ratio})`,
      values: { ratio: round(alpha), min: cfg.min_alpha_words_ratio },
    };
  }

  // Gopher: "at least two of the following English words": distinct words, not occurrences.
  const stop = new Set(cfg.stop_words);
  const present = new Set<string>();
  for (const w of all) {
    const b = bareWord(w);
    if (stop.has(b)) present.add(b);
  }
  if (present.size < cfg.min_stop_words) {
    return {
      rule: 'gopher_stop_words',
      reason: `${present.size} distinct stop words < ${cfg.min_stop_words}`,
      values: { stop_words: present.size, found: [...present], min: cfg.min_stop_words },
    };
  }
  return undefined;
}

export function gopherQualityStage(cfg: GopherQualityConfig) {
  return checkStage((doc: Doc) => gopherQualityCheck(doc.text, cfg));
}
