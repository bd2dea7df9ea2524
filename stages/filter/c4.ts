import type { Doc, StageContext } from '../../core/types.js';
import type { C4Config } from './config.js';
import { rewriteStage, type Verdict } from './verdict.js';

const END_PUNCTUATION = ['.', '?', '!', '"', "'"];
const CITATION = /\[\d*\]|\[edit\]|\[citation needed\]/gi;
const POLICY = ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'];

export interface RemovedLine {
  rule: 'too_long_word' | 'no_terminal_punct' | 'too_few_words' | 'javascript' | 'policy';
  line: string;
}

/** A document that went through the C4 line filters keeps the lines they dropped (the audit trail). */
export type C4Doc = Doc & { quality?: { c4_removed_lines?: RemovedLine[]; [k: string]: unknown } };

export type C4Result = { text: string; removed: RemovedLine[] } | Verdict;

const sentences = (line: string) => line.split(/(?<=[.!?])\s+/u).filter(s => /\p{L}/u.test(s)).length;

/** C4 line filters (Raffel et al. 2020, section 2.2), as datatrove's C4QualityFilter applies them. */
export function c4Filter(text: string, cfg: C4Config): C4Result {
  const kept: string[] = [];
  const removed: RemovedLine[] = [];
  let sentenceCount = 0;
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '') continue;
    const ws = line.split(/\s+/u);
    if (cfg.max_word_length >= 0 && ws.some(w => w.length > cfg.max_word_length)) {
      removed.push({ rule: 'too_long_word', line });
      continue;
    }
    if (cfg.remove_citations) line = line.replace(CITATION, '');
    if (cfg.filter_no_terminal_punct && (!END_PUNCTUATION.some(p => line.endsWith(p)) || line.endsWith('...'))) {
      removed.push({ rule: 'no_terminal_punct', line });
      continue;
    }
    if (ws.length < cfg.min_words_per_line) {
      removed.push({ rule: 'too_few_words', line });
      continue;
    }
    const lower = line.toLowerCase();
    if (cfg.filter_lorem_ipsum && lower.includes('lorem ipsum')) {
      return { rule: 'c4_lorem_ipsum', reason: 'contains "lorem ipsum"', values: { line: line.slice(0, 200) } };
    }
    if (cfg.filter_javascript && lower.includes('javascript')) {
      removed.push({ rule: 'javascript', line });
      continue;
    }
    if (cfg.filter_curly_bracket && line.includes('{')) {
      return { rule: 'c4_curly_bracket', reason: 'contains a curly bracket', values: { line: line.slice(0, 200) } };
    }
    if (cfg.filter_policy && POLICY.some(p => lower.includes(p))) {
      removed.push({ rule: 'policy', line });
      continue;
    }
    sentenceCount += sentences(line);
    kept.push(line);
  }
  if (sentenceCount < cfg.min_num_sentences) {
    return {
      rule: 'c4_too_few_sentences',
      reason: `${sentenceCount} sentences left after the line filters < ${cfg.min_num_sentences}`,
      values: { sentences: sentenceCount, min: cfg.min_num_sentences, lines_removed: removed.length },
    };
  }
  return { text: kept.join('\n').trim(), removed };
}

export function c4Stage(cfg: C4Config) {
  return rewriteStage((doc: Doc, ctx: StageContext<unknown>) => {
    const result = c4Filter(doc.text, cfg);
    if ('rule' in result) return result;
    if (result.removed.length === 0) return doc;
    for (const r of result.removed) ctx.counters.add(`c4.lines_removed.${r.rule}`);
    const prior = (doc as C4Doc).quality ?? {};
    const quality = cfg.record_removed_lines
      ? { ...prior, c4_removed_lines: result.removed }
      : { ...prior, c4_lines_removed: result.removed.length };
    return { ...doc, text: result.text, quality } as C4Doc;
  });
}
