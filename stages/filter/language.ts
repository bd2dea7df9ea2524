import type { Doc } from '../../core/types.js';
import type { LanguageFilterConfig } from './config.js';
import { checkStage, type Verdict } from './verdict.js';

/** Keeps documents whose identified language (doc.lang, set at ingest) is wanted with at least min_score. */
export function languageCheck(doc: Doc, cfg: LanguageFilterConfig): Verdict | undefined {
  const code = doc.lang?.code ?? 'und';
  const score = doc.lang?.score ?? 0;
  if (!cfg.languages.includes(code)) {
    return {
      rule: 'language',
      reason: `language ${code} not in [${cfg.languages.join(', ')}]`,
      values: { code, score, languages: cfg.languages },
    };
  }
  if (score < cfg.min_score) {
    return {
      rule: 'language',
      reason: `${code} score ${score} < ${cfg.min_score}`,
      values: { code, score, min_score: cfg.min_score },
    };
  }
  return undefined;
}

export function languageStage(cfg: LanguageFilterConfig) {
  return checkStage(doc => languageCheck(doc, cfg));
}
