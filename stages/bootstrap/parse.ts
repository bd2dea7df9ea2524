/** Turn a completion into candidate questions, with a reason for every line left out. */

export type DropReason =
  | 'empty'
  | 'refusal'
  | 'template_echo'
  | 'not_question'
  | 'too_short'
  | 'too_long'
  | 'truncated'
  | 'off_topic';

export interface ParsedLine {
  /** The cleaned text (whitespace normalised); for drops, what was looked at. */
  text: string;
  drop?: DropReason;
}

export interface ParseOptions {
  minWords: number;
  maxWords: number;
  /** The completion hit its token limit: a last line without `?` is cut off. */
  truncated?: boolean;
}

const LIST_MARKER = /^(?:\(?\d{1,3}[.):](?!\d)\s*|\(?[a-z][.)]\s+|[-*•·–]\s+|q\d*[.):]\s*|question\s*\d*\s*[.):]\s*)/i;
const REFUSAL =
  /\b(?:i(?:'m| am) (?:sorry|unable|not able)|i can(?:'|no)t (?:help|assist|provide|answer)|as an ai\b|as a language model|i cannot (?:help|assist|provide|answer))/i;
const ECHO = /^(?:topic|questions?|answer|answers)\s*:/i;
/** Starts of a search-style question or request that need not end in `?`. */
const QUESTION_START =
  /^(?:what|why|how|when|where|which|who|whom|whose|is|are|was|were|do|does|did|can|could|should|would|will|may|might|has|have|had|explain|describe|compare|list|name|define|outline|summari[sz]e|discuss)\b/i;

export function normaliseQueryText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function wordCount(text: string): number {
  return text.split(' ').filter(w => /[\p{L}\p{N}]/u.test(w)).length;
}

/** Strip list markers, markdown emphasis and wrapping quotes from one line. */
export function cleanLine(line: string): string {
  let s = normaliseQueryText(line);
  for (let i = 0; i < 2; i++) s = s.replace(LIST_MARKER, '');
  s = normaliseQueryText(s.replace(/\*\*|__/g, ''));
  s = s.replace(LIST_MARKER, ''); // `**1.** What ...`
  s = s.replace(/^["'“‘`]+|["'”’`]+$/g, '');
  return normaliseQueryText(s);
}

/** Classify one cleaned candidate. */
export function classify(text: string, opts: Pick<ParseOptions, 'minWords' | 'maxWords'>): DropReason | undefined {
  if (!text || !/[\p{L}\p{N}]/u.test(text)) return 'empty';
  if (REFUSAL.test(text)) return 'refusal';
  if (ECHO.test(text)) return 'template_echo';
  if (!text.endsWith('?') && !QUESTION_START.test(text)) return 'not_question';
  const words = wordCount(text);
  if (words < opts.minWords) return 'too_short';
  if (words > opts.maxWords) return 'too_long';
  return undefined;
}

/**
 * Split a completion into lines and classify each. Accepted lines have no `drop`.
 * Numbered (`1.`, `2)`), bulleted (`-`, `*`, `•`) and plain lines are all read.
 */
export function parseQuestions(completion: string, opts: ParseOptions): ParsedLine[] {
  const lines = completion.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && !lines[lines.length - 1]!.trim()) lines.pop();
  const out: ParsedLine[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const text = cleanLine(line);
    const isLast = i === lines.length - 1;
    if (opts.truncated && isLast && !text.endsWith('?')) {
      out.push({ text, drop: 'truncated' });
      return;
    }
    const drop = classify(text, opts);
    out.push(drop ? { text, drop } : { text });
  });
  return out;
}
