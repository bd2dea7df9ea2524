import type { LoadedConfig } from './config.js';
import { resolveCcInputs } from '../stages/acquire/crawls.js';
import type { Logger } from '../core/types.js';

/** The archive URLs of the crawls `ingest.cc` names (newest first), from the crawl index's listings. */
export async function resolveCrawls(loaded: LoadedConfig, log?: Logger): Promise<{ crawls: string[]; urls: string[] }> {
  const { cc, acquire } = loaded.config.ingest;
  if (!cc) return { crawls: [], urls: [] };
  return resolveCcInputs(cc, { acquire, ...(log ? { log } : {}) });
}
