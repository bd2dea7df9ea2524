/**
 * Language identification with eld (Efficient Language Detector, n-gram based, pure JS): its
 * 'medium' database (about 2 MB of JS, loads in ~0.6 s, ~70 MB heap), scored by eld-scorer.ts (the
 * same results as eld.detect, faster). eld itself only reads about the first 350 bytes of what it is
 * given, so it judges a window in the middle of the first ~2000 characters: a page that opens with a
 * stray English menu line is still judged on its body. When eld finds that window unreliable, up to
 * three windows spread over the sample are scored and their scores averaged.
 */
import { round } from '../../core/round.js';
import { eldDetect } from './eld-scorer.js';

export interface LanguageGuess {
  /** ISO 639-1 code, or 'und' when unknown. */
  code: string;
  /** Mean eld score of the winning language over the windows, in [0, 1]; 0 when unknown. */
  score: number;
}

const SAMPLE_CHARS = 2000;
const WINDOW_CHARS = 400;
const MAX_WINDOWS = 3;

const UNKNOWN: LanguageGuess = { code: 'und', score: 0 };

/**
 * Up to MAX_WINDOWS pieces of about WINDOW_CHARS spread evenly over the sample, cut at spaces where
 * possible. Pieces shorter than a few words carry little signal and are used only when alone.
 */
function windows(text: string): string[] {
  if (text.length <= WINDOW_CHARS) return [text];
  const count = Math.min(MAX_WINDOWS, Math.ceil(text.length / WINDOW_CHARS));
  const stride = (text.length - WINDOW_CHARS) / Math.max(1, count - 1);
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let from = Math.round(k * stride);
    if (from > 0) {
      const space = text.indexOf(' ', from);
      if (space >= 0 && space < from + 40) from = space + 1;
    }
    let end = Math.min(text.length, from + WINDOW_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > from + WINDOW_CHARS / 2) end = space;
    }
    const piece = text.slice(from, end).trim();
    if (piece.length >= 40) out.push(piece);
  }
  return out.length > 0 ? out : [text.slice(0, WINDOW_CHARS)];
}

export function identifyLanguage(text: string): LanguageGuess {
  const sample = text.slice(0, SAMPLE_CHARS).replace(/\s+/g, ' ').trim();
  if (!sample) return UNKNOWN;
  const pieces = windows(sample);
  // The middle window alone when eld finds it reliable (most pages): one eld call instead of three.
  const middle = pieces[pieces.length >> 1]!;
  const first = eldDetect(middle);
  if (pieces.length > 1 && first.language && first.reliable) {
    const score = first.scores[0]![1];
    if (Number.isFinite(score)) {
      return { code: first.language, score: round(Math.min(1, Math.max(0, score))) };
    }
  }
  const totals = new Map<string, number>();
  let counted = 0;
  let reliable = false;
  for (const w of pieces) {
    const result = w === middle ? first : eldDetect(w);
    if (!result.language) continue;
    counted++;
    if (result.reliable) reliable = true;
    for (const [code, score] of result.scores) {
      if (Number.isFinite(score)) totals.set(code, (totals.get(code) ?? 0) + score);
    }
  }
  if (counted === 0) return UNKNOWN;
  let best = '';
  let bestTotal = 0;
  for (const [code, total] of totals) {
    if (total > bestTotal) {
      best = code;
      bestTotal = total;
    }
  }
  if (!best) return UNKNOWN;
  // eld calls a guess unreliable on very short or ambiguous text: halve the score then.
  const score = Math.min(1, Math.max(0, bestTotal / counted)) * (reliable ? 1 : 0.5);
  return { code: best, score: round(score) };
}
