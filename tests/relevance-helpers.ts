import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repo, sharedData } from './helpers.js';

/** The LLM cache shared by the model tests (as the demo test's): reruns of the suite make no model calls. */
export const sharedCacheDir = () => process.env.QCC_CACHE_DIR ?? join(repo, 'out', '.cache');

/**
 * A run config over the 20 Newsgroups posts with the demo seeds and the seeds alone as queries (no bootstrap
 * calls), the relevance loop on with a handful of judgements, written to `dir/run.yaml`.
 */
export async function writeRelevanceConfig(dir: string, relevance: string): Promise<string> {
  const file = join(dir, 'run.yaml');
  await writeFile(
    file,
    `dataset: rel-test
out: ${join(dir, 'out')}
cache_dir: ${sharedCacheDir()}
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: llama, samples_per_seed: 0, threads: 1 }
ingest:
  corpora: [{ path: ${join(sharedData, 'corpora', '20news-bydate-train.jsonl.gz')}, id_field: id, text_field: text }]
retrieve: { top_k: 25, min_relative_score: 0.3 }
filters: { gopher_quality: { enabled: false }, gopher_repetition: { enabled: false } }
relevance:
${relevance}
`,
  );
  return file;
}
