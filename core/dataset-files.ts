/**
 * The names of the files a dataset folder and its version folders hold, spelled once: pipeline/paths.ts builds
 * its layout from them and the stages that read or write versions (stages/ may not import pipeline/) use them.
 */

/** In a dataset folder: the name of the newest complete version, one line. */
export const LATEST_FILE = 'LATEST';
/** In a version folder: written last before the folder is renamed into place, so it marks a complete version. */
export const MANIFEST_FILE = 'manifest.json';
/** In a version folder: every query with its lineage. */
export const QUERIES_FILE = 'queries.jsonl.gz';
/** In a version folder: the dataset card. */
export const CARD_FILE = 'README.md';
/** In a dataset folder: the runs' work folders (intermediates, never published). */
export const WORK_DIR = '.work';
