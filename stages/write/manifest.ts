import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../../core/dataset-files.js';
import type { FunnelWarning } from '../filter/funnel-warnings.js';
export interface FileEntry {
  /** Relative to the version folder. */
  path: string;
  records: number;
  bytes: number;
  sha256: string;
}

export interface InputFingerprint {
  path: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  dataset: string;
  version: string;
  parent: string | null;
  created: string;
  run_id: string;
  config_hash: string;
  code_version: { package: string; git?: string };
  /**
   * Versions of one lineage share a config apart from its inputs; each holds the documents of inputs
   * not consumed before. The full dataset of this version is the union of `versions`' data.
   */
  lineage?: { id: string; base: boolean; versions: string[]; inputs_total: number; inputs_new: number };
  inputs: {
    /** Common Crawl releases a crawl spec resolved to. */
    crawls?: string[];
    seeds: InputFingerprint[];
    archives: InputFingerprint[];
    corpora: InputFingerprint[];
    queries: { count: number; sha256: string };
  };
  /** Counters per stage, summed over shards. */
  counts: Record<string, Record<string, number>>;
  /** Documents in and out of each publishing step, and per removal rule. */
  funnel: { step: string; in: number; out: number; removed: Record<string, number> }[];
  domains: Record<string, { records: number; bytes: number }>;
  shards: FileEntry[];
  removed: FileEntry[];
  files: FileEntry[];
  /** With `relevance.enabled`: per-domain classifiers, query yields and pruned queries, judging cost. */
  relevance?: Record<string, unknown>;
  /**
   * Set when the run served its model answers from another version's `model-answers.jsonl.gz` (`qcc run --replay`)
   * instead of calling the model: that version, its run and the checksum of the answers.
   */
  replay?: { version: string; run_id: string; model_answers_sha256: string; answers: number };
  /** What the run noticed and did about it (a rule that removed most documents; relevance warnings are in `relevance.warnings`). */
  warnings?: FunnelWarning[];
  config: unknown;
}

/**
 * The one reader of a version's manifest.json. Without the file the error is `whenMissing(file)`, in the
 * caller's words (what it expected there); unparsable JSON names the file.
 */
export function readManifest(versionDir: string, whenMissing: (file: string) => string): Manifest {
  const file = join(versionDir, MANIFEST_FILE);
  if (!existsSync(file)) throw new Error(whenMissing(file));
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}
