import {
  EmbedderUnavailableError,
  type Embedder,
  type EmbedderOptions,
  openEmbedder,
} from '../stages/relevance/embed.js';
import { inCI } from './helpers.js';

/** The real embedder; under CI its absence (no model folder or runtime) is a failure, elsewhere a clear skip. */
export async function openEmbedderOrSkip(opts: EmbedderOptions): Promise<Embedder | undefined> {
  try {
    return await openEmbedder(opts);
  } catch (err) {
    if (!(err instanceof EmbedderUnavailableError)) throw err;
    if (inCI) throw new Error(`CI=true but the embedder is unavailable: ${err.message}`);
    console.warn(`skipping: ${err.message}`);
    return undefined;
  }
}
