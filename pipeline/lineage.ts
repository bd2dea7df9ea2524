import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Text } from '../core/atomic.js';
import type { LoadedConfig } from './config.js';
import { isUrl } from '../stages/acquire/inputs.js';
import type { Logger } from '../core/types.js';
import { VersionedDataset } from '../stages/write/dataset.js';
import type { CorpusSpec } from '../stages/ingest/config.js';
import { fileDigest, recordedLocation } from './input-location.js';
import { versionPaths } from './paths.js';

/** One input a config names: an archive (file or URL) or a pre-extracted corpus. */
export interface InputRef {
  /**
   * Identity in the ledger: `sha256:<hex>` for a local file (its content, wherever it is), `crawl-data/...`
   * for a Common Crawl file (the same input from https://, s3:// or a local copy), else the URL.
   */
  key: string;
  kind: 'archive' | 'corpus';
  /** As provenance records it: relative to the input root, or the URL. */
  location: string;
  /** Where this machine reads it: the local path, or the URL. */
  path: string;
  /** Known for local files before reading them. */
  bytes?: number;
  sha256?: string;
}

/** A consumed input, as `ledger/inputs.jsonl` records it. */
export interface LedgerEntry {
  key: string;
  kind: 'archive' | 'corpus';
  location: string;
  bytes: number;
  sha256: string;
  version: string;
}

export interface PriorVersion {
  version: string;
  dir: string;
}

export interface LineagePlan {
  id: string;
  /** Names the work folder: the same for every rank of a multi-worker run. */
  runId: string;
  /** Earlier versions of this lineage, oldest first. */
  prior: PriorVersion[];
  /** The version the next one will name as its parent (the lineage's last, else the dataset's LATEST). */
  parent: string | null;
  /** True when no earlier version shares the lineage: the next version is a full dataset of its own. */
  base: boolean;
  inputs: InputRef[];
  /** Inputs this run consumes: not in any earlier version's ledger. */
  fresh: InputRef[];
  /** Crawls a crawl spec (`ingest.cc`) resolved to, newest first. */
  crawls: string[];
}

/**
 * The stable key of an input: `crawl-data/...` for Common Crawl files wherever they are read from, else
 * `sha256:<hex>` when the content is known (a local file), else the location (a URL).
 */
export function inputKey(location: string, sha256?: string): string {
  const cc = /(?:^|\/)(crawl-data\/.+)$/.exec(location.replace(/^s3:\/\/commoncrawl\//, '/'));
  if (cc) return cc[1]!;
  return sha256 ? `sha256:${sha256}` : location;
}

function refOf(loaded: LoadedConfig, path: string, kind: InputRef['kind']): InputRef {
  const location = recordedLocation(loaded.inputRoot, path) ?? path;
  if (isUrl(path) || !existsSync(path)) return { key: inputKey(location), kind, location, path };
  const { bytes, sha256 } = fileDigest(path, loaded.cacheDir);
  return { key: inputKey(location, sha256), kind, location, path, bytes, sha256 };
}

export function readLedger(dir: string): LedgerEntry[] {
  const file = versionPaths(dir).ledgerInputs;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(line => line.trim())
    .map((line, i) => {
      try {
        return JSON.parse(line) as LedgerEntry;
      } catch (err) {
        throw new Error(`${file}: line ${i + 1}: not JSON (${(err as Error).message})`);
      }
    });
}

/** Consumed: the same key (and size, when known), or the same content under any key (older ledgers keyed by path). */
const consumedBy = (ledger: LedgerEntry[], ref: InputRef) =>
  ledger.some(
    e =>
      (e.key === ref.key && (ref.bytes === undefined || e.bytes === ref.bytes)) ||
      (ref.sha256 !== undefined && e.sha256 === ref.sha256 && e.bytes === ref.bytes),
  );

export interface LineageOptions {
  log?: Logger;
  /** Resolves `ingest.cc` into archive URLs (network); injected so planning stays testable offline. */
  resolveCrawls?: (loaded: LoadedConfig, log?: Logger) => Promise<{ crawls: string[]; urls: string[] }>;
}

/**
 * Which inputs of the config are new to its lineage, and so what this run is: the next version of the
 * lineage (its delta), the first version of a new lineage, or nothing to do.
 */
export async function planLineage(loaded: LoadedConfig, opts: LineageOptions = {}): Promise<LineagePlan> {
  const dataset = new VersionedDataset(loaded.datasetDir);
  const resolved =
    loaded.config.ingest.cc && opts.resolveCrawls
      ? await opts.resolveCrawls(loaded, opts.log)
      : { crawls: [], urls: [] };
  const archives = [...loaded.archives, ...resolved.urls.filter(u => !loaded.archives.includes(u))];
  const inputs = [
    ...archives.map(a => refOf(loaded, a, 'archive')),
    ...loaded.config.ingest.corpora.map(c => refOf(loaded, c.path, 'corpus')),
  ];
  const prior = dataset
    .versions()
    .filter(v => (dataset.manifest(v) as { lineage?: { id?: string } }).lineage?.id === loaded.lineageId)
    .map(version => ({ version, dir: join(loaded.datasetDir, version) }));
  const ledger = prior.flatMap(p => readLedger(p.dir));
  // A file named twice (or a copy of it) is one input: read once.
  const fresh = inputs.filter((ref, i) => !consumedBy(ledger, ref) && inputs.findIndex(r => r.key === ref.key) === i);
  const last = prior.at(-1)?.version ?? null;
  // Nothing new: the run is the one that made the lineage's last version (status and search look there).
  const runId =
    fresh.length === 0 && last
      ? (dataset.manifest(last).run_id as string)
      : sha256Text(
          JSON.stringify({
            lineage: loaded.lineageId,
            after: last,
            inputs: fresh.map(f => [f.key, f.bytes ?? null]).sort(),
          }),
        ).slice(0, 16);
  opts.log?.info('lineage planned', {
    lineage: loaded.lineageId,
    run: runId,
    prior: prior.map(p => p.version),
    inputs: inputs.length,
    new_inputs: fresh.length,
  });
  return {
    id: loaded.lineageId,
    runId,
    prior,
    parent: last ?? dataset.latest(),
    base: prior.length === 0,
    inputs,
    fresh,
    crawls: resolved.crawls,
  };
}

/** The loaded config with its inputs narrowed to the plan's new ones: what the run's steps read. */
export function narrowToFresh(loaded: LoadedConfig, plan: LineagePlan): LoadedConfig {
  const freshArchives = plan.fresh.filter(f => f.kind === 'archive').map(f => f.path);
  const freshCorpora = new Set(plan.fresh.filter(f => f.kind === 'corpus').map(f => f.path));
  const corpora: CorpusSpec[] = loaded.config.ingest.corpora.filter(c => freshCorpora.has(c.path));
  return {
    ...loaded,
    archives: freshArchives,
    config: { ...loaded.config, ingest: { ...loaded.config.ingest, corpora } },
  };
}
