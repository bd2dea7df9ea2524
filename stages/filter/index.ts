import type { Doc, Stage } from '../../core/types.js';
import { c4Stage } from './c4.js';
import type { FilterConfig } from './config.js';
import { gopherQualityStage } from './gopher-quality.js';
import { gopherRepetitionStage } from './gopher-repetition.js';
import { languageStage } from './language.js';
import { readBlocklist, urlBlocklistStage } from './url-blocklist.js';
import { chainStages } from './verdict.js';

export { filterConfigSchema, type FilterConfig } from './config.js';
export { gopherQualityCheck, gopherQualityStage } from './gopher-quality.js';
export { gopherRepetitionCheck, gopherRepetitionStage } from './gopher-repetition.js';
export { c4Filter, c4Stage, type C4Doc, type RemovedLine } from './c4.js';
export { readBlocklist, blockedBy, urlBlocklistStage } from './url-blocklist.js';
export { languageCheck, languageStage } from './language.js';
export { chainStages, checkStage, type Verdict } from './verdict.js';

/**
 * The enabled filters as one stage, cheapest first: URL blocklist, language, Gopher repetition, Gopher
 * quality, then C4 (which rewrites text, so it runs last on documents the others kept, as in FineWeb).
 * `blocklistFile` is the blocklist path already resolved against the config file's folder.
 */
export function filterStage(cfg: FilterConfig, blocklistFile = cfg.url_blocklist.file): Stage<Doc, Doc> {
  const stages: Stage<Doc, Doc>[] = [];
  if (blocklistFile) stages.push(urlBlocklistStage(readBlocklist(blocklistFile)));
  if (cfg.language.enabled) stages.push(languageStage(cfg.language));
  if (cfg.gopher_repetition.enabled) stages.push(gopherRepetitionStage(cfg.gopher_repetition));
  if (cfg.gopher_quality.enabled) stages.push(gopherQualityStage(cfg.gopher_quality));
  if (cfg.c4.enabled) stages.push(c4Stage(cfg.c4));
  return chainStages(stages);
}
