import { type IndexOwner, openSearchIndex, type SearchIndex } from '../../stages/index/open.js';
import type { RunContext } from './context.js';

/** Whose index the run's is: its dataset and run id (the run id names its work folder too). */
export const indexOwner = (ctx: RunContext): IndexOwner => ({
  dataset: ctx.loaded.config.dataset,
  run: ctx.lineage.runId,
});

/** The run's BM25 index: the FTS5 file in its work folder, or the Elasticsearch index its owner names. */
export function openRunIndex(ctx: RunContext, opts: { readonly?: boolean } = {}): SearchIndex {
  return openSearchIndex(ctx.loaded.config.index, { path: ctx.paths.index, owner: indexOwner(ctx), ...opts });
}
