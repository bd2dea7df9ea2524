/** Thought generation: read a step-by-step answer plan into its reasoning, concepts and sub-questions. */
import { parseQuestions, type ParsedLine, type ParseOptions } from './parse.js';

export interface ThoughtParse {
  /** The reasoning line(s) before `Concepts:`, if any. */
  thinking: string;
  /** The concepts named on the `Concepts:` line (split on `;` or `,`). */
  concepts: string[];
  /** Sub-question candidates, classified like question-extension lines. */
  questions: ParsedLine[];
  /** The completion had a `Sub-questions:` header (the few-shot shape was followed). */
  structured: boolean;
}

const CONCEPTS = /^\s*concepts?\s*:\s*(.*)$/i;
const SUBQ = /^\s*(?:sub-?\s*questions?|questions?)\s*:\s*(.*)$/i;
const THINKING = /^\s*thinking\s*:\s*/i;

/**
 * The completion continues after `Thinking:`. Lines up to `Concepts:` are reasoning; the concepts
 * may sit on the same line or the next; list lines after `Sub-questions:` are candidates. Without
 * that header, every line that is not reasoning or concepts is a candidate (and most are dropped
 * as `not_question`).
 */
export function parseThought(completion: string, opts: ParseOptions): ThoughtParse {
  const lines = completion.replace(/\r\n?/g, '\n').split('\n');
  const thinking: string[] = [];
  const concepts: string[] = [];
  const candidates: string[] = [];
  let part: 'thinking' | 'concepts' | 'questions' = 'thinking';
  let structured = false;
  for (const raw of lines) {
    const concept = CONCEPTS.exec(raw);
    const subq = SUBQ.exec(raw);
    if (subq && part !== 'questions') {
      part = 'questions';
      structured = true;
      if (subq[1]!.trim()) candidates.push(subq[1]!);
      continue;
    }
    if (concept && part === 'thinking') {
      part = 'concepts';
      concepts.push(...splitConcepts(concept[1]!));
      continue;
    }
    if (part === 'thinking') thinking.push(raw.replace(THINKING, ''));
    else if (part === 'concepts') {
      // A concept list wrapped onto the next line; a list marker means the questions started unannounced.
      if (/^\s*(?:\d{1,3}[.)]|[-*•])\s/.test(raw)) {
        part = 'questions';
        candidates.push(raw);
      } else concepts.push(...splitConcepts(raw));
    } else candidates.push(raw);
  }
  const questionText = structured || candidates.length > 0 ? candidates.join('\n') : '';
  return {
    thinking: thinking.join(' ').replace(/\s+/g, ' ').trim(),
    concepts,
    questions: questionText ? parseQuestions(questionText, opts) : [],
    structured,
  };
}

function splitConcepts(text: string): string[] {
  return text
    .split(/[;,]/)
    .map(c => c.replace(/\s+/g, ' ').trim())
    .filter(c => /[\p{L}\p{N}]/u.test(c));
}
