import type { Doc } from '../../core/types.js';
import type { GopherRepetitionConfig } from './config.js';
import { windowKeys } from '../decontam/normalise.js';
import { punctuationWords, words } from './text.js';
import { round } from '../../core/round.js';
import { checkStage, type Verdict } from './verdict.js';

/** How many elements repeat an earlier one, and how many characters those repeats hold. */
function duplicates(elements: string[]): { count: number; chars: number } {
  const seen = new Set<string>();
  let count = 0;
  let chars = 0;
  for (const e of elements) {
    if (seen.has(e)) {
      count++;
      chars += e.length;
    } else seen.add(e);
  }
  return { count, chars };
}

/** Characters of each window of n words (words plus the n-1 spaces between them), from prefix sums. */
function windowChars(prefix: Float64Array, i: number, n: number): number {
  return prefix[i + n]! - prefix[i]! + n - 1;
}

/**
 * Characters of the most frequent n-gram (words joined by spaces) times its count, as datatrove's
 * find_top_duplicate: on a tie the n-gram seen first wins, and a text whose n-grams all differ counts its first.
 */
function topNgramChars(ws: string[], prefix: Float64Array, n: number): number {
  const keys = windowKeys(ws, n);
  const counts = new Map<number, { count: number; first: number }>();
  let best: { count: number; first: number } | undefined;
  for (let i = 0; i < keys.length; i++) {
    let c = counts.get(keys[i]!);
    if (!c) counts.set(keys[i]!, (c = { count: 0, first: i }));
    c.count++;
    if (!best || c.count > best.count || (c.count === best.count && c.first < best.first)) best = c;
  }
  return best ? windowChars(prefix, best.first, n) * best.count : 0;
}

/**
 * Characters in n-grams that repeat an earlier one, counting overlapping repeats once, as datatrove's
 * find_all_duplicate (which joins the words without spaces, so the spaces do not count).
 */
function duplicatedNgramChars(ws: string[], prefix: Float64Array, n: number): number {
  const keys = windowKeys(ws, n);
  const seen = new Set<number>();
  let chars = 0;
  let i = 0;
  while (i < keys.length) {
    if (seen.has(keys[i]!)) {
      chars += prefix[i + n]! - prefix[i]!;
      i += n;
    } else {
      seen.add(keys[i]!);
      i++;
    }
  }
  return chars;
}

/**
 * Gopher repetition rules (Rae et al. 2021, table A1), in datatrove's GopherRepetitionFilter order. Words are
 * as `cfg.words` says unless `tokens` gives them (the cross-check feeds datatrove's spaCy tokens here).
 */
export function gopherRepetitionCheck(
  text: string,
  cfg: GopherRepetitionConfig,
  tokens?: string[],
): Verdict | undefined {
  const total = text.length;
  if (total === 0) return undefined;
  const paragraphs = text.trim().split(/\n{2,}/);
  const para = duplicates(paragraphs);
  const paraFrac = para.count / paragraphs.length;
  if (paraFrac > cfg.dup_para_frac) {
    return {
      rule: 'gopher_dup_para_frac',
      reason: `${para.count} of ${paragraphs.length} paragraphs are duplicates (${round(paraFrac)} > ${cfg.dup_para_frac})`,
      values: { fraction: round(paraFrac), max: cfg.dup_para_frac },
    };
  }
  const paraChars = para.chars / total;
  if (paraChars > cfg.dup_para_char_frac) {
    return {
      rule: 'gopher_dup_para_char_frac',
      reason: `${para.chars} of ${total} characters are in duplicate paragraphs (${round(paraChars)} > ${cfg.dup_para_char_frac})`,
      values: { fraction: round(paraChars), max: cfg.dup_para_char_frac },
    };
  }
  const lines = text.split(/\n+/);
  const line = duplicates(lines);
  const lineFrac = line.count / lines.length;
  if (lineFrac > cfg.dup_line_frac) {
    return {
      rule: 'gopher_dup_line_frac',
      reason: `${line.count} of ${lines.length} lines are duplicates (${round(lineFrac)} > ${cfg.dup_line_frac})`,
      values: { fraction: round(lineFrac), max: cfg.dup_line_frac },
    };
  }
  const lineChars = line.chars / total;
  if (lineChars > cfg.dup_line_char_frac) {
    return {
      rule: 'gopher_dup_line_char_frac',
      reason: `${line.chars} of ${total} characters are in duplicate lines (${round(lineChars)} > ${cfg.dup_line_char_frac})`,
      values: { fraction: round(lineChars), max: cfg.dup_line_char_frac },
    };
  }
  const ws = tokens ?? (cfg.words === 'punctuation' ? punctuationWords(text) : words(text));
  // n-grams are compared by a 53-bit hash of their words (no joined strings): the same counts, much faster.
  const prefix = new Float64Array(ws.length + 1);
  for (let i = 0; i < ws.length; i++) prefix[i + 1] = prefix[i]! + ws[i]!.length;
  for (const [n, max] of cfg.top_n_grams) {
    const chars = topNgramChars(ws, prefix, n);
    const frac = chars / total;
    if (frac > max)
      return {
        rule: 'gopher_top_ngram',
        reason: `the top ${n}-gram covers ${chars} of ${total} characters (${round(frac)} > ${max})`,
        values: { n, fraction: round(frac), max },
      };
  }
  for (const [n, max] of cfg.dup_n_grams) {
    const chars = duplicatedNgramChars(ws, prefix, n);
    const frac = chars / total;
    if (frac > max)
      return {
        rule: 'gopher_dup_ngram',
        reason: `duplicated ${n}-grams cover ${chars} of ${total} characters (${round(frac)} > ${max})`,
        values: { n, fraction: round(frac), max },
      };
  }
  return undefined;
}

export function gopherRepetitionStage(cfg: GopherRepetitionConfig) {
  return checkStage((doc: Doc) => gopherRepetitionCheck(doc.text, cfg));
}
