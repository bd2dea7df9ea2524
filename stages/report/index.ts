import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File, writeFileAtomic } from '../../core/atomic.js';
import type { CardStats } from '../write/card.js';
import type { FileEntry, Manifest } from '../write/manifest.js';
import { renderReport } from './html.js';
import { collectStats, type ReportStats } from './stats.js';

export { collectStats, type ReportStats } from './stats.js';
export { TOKENIZER } from './tokens.js';

/** Where the report lives inside a version folder. */
export const REPORT_PATH = 'report/index.html';
/** The report's figures as JSON (no sample texts), for the dataset card and other tools. */
export const REPORT_STATS_PATH = 'report/stats.json';

/**
 * Streams the version's shards once and writes `report/index.html` (a self-contained page: inline SVG
 * and CSS, no script, no network) and `report/stats.json`. Returns the page's path. The same version
 * gives the same bytes, so regenerating a report leaves the manifest's checksums valid.
 */
export async function writeReport(
  versionDir: string,
  manifest: Manifest,
  onProgress?: (docs: number) => void,
): Promise<string> {
  const stats = await collectStats(versionDir, manifest, onProgress);
  const { samples: _samples, ...figures } = stats;
  await writeFileAtomic(join(versionDir, REPORT_STATS_PATH), JSON.stringify(figures, null, 2) + '\n');
  const path = join(versionDir, REPORT_PATH);
  await writeFileAtomic(path, renderReport(manifest, stats));
  return path;
}

/** The figures `writeReport` saved, for `datasetCard(manifest, stats)`; undefined when there is no report. */
export function readReportStats(versionDir: string): CardStats | undefined {
  const path = join(versionDir, REPORT_STATS_PATH);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as Omit<ReportStats, 'samples'>;
}

/** The report's entries for `manifest.files` (records: 0, they are not data files). */
export async function reportFileEntries(versionDir: string): Promise<FileEntry[]> {
  return Promise.all(
    [REPORT_PATH, REPORT_STATS_PATH].map(async path => ({
      path,
      records: 0,
      ...(await sha256File(join(versionDir, path))),
    })),
  );
}
