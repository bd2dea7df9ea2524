import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Text } from './atomic.js';
import type { LoadedConfig } from './config.js';
import { isUrl } from '../stages/acquire/inputs.js';
import type { Logger } from './types.js';
import { VersionedDataset } from '../stages/write/dataset.js';
import type { CorpusSpec } from '../stages/ingest/config.js';

export const LEDGER_DIR = 'ledger';
export const LEDGER_INPUTS = 'ledger/inputs.jsonl';

/** One input a config names: an archive (file or URL) or a pre-extracted corpus. */
export interface InputRef {
  /** Identity in the ledger: a Common Crawl file is the same input from https://, s3:// or a local copy. */
  key: string;
  kind: 'archive' | 'corpus';
  location: string;
  /** Known for local files before reading them. */
  bytes?: number;
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

/** The stable key of an input: `crawl-data/...` for Common Crawl files wherever they are read from. */
export function inputKey(location: string): string {
  const cc = /(?:^|\/)(crawl-data\/.+)$/.exec(location.replace(/^s3:\/\/commoncrawl\//, '/'));
  return cc ? cc[1]! : location;
}

function refOf(location: string, kind: InputRef['kind']): InputRef {
  const ref: InputRef = { key: inputKey(location), kind, location };
  if (!isUrl(location) && existsSync(location)) ref.bytes = statSync(location).size;
  return ref;
}

export function readLedger(dir: string): LedgerEntry[] {
  const file = join(dir, LEDGER_INPUTS);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      try {
        return JSON.parse(line) as LedgerEntry;
      } catch (err) {
        throw new Error(`${file}: line ${i + 1}: not JSON (${(err as Error).message})`);
      }
    });
}

const consumedBy = (ledger: LedgerEntry[], ref: InputRef) =>
  ledger.some((e) => e.key === ref.key && (ref.bytes === undefined || e.bytes === ref.bytes));

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
  const resolved = loaded.config.ingest.cc && opts.resolveCrawls ? await opts.resolveCrawls(loaded, opts.log) : { crawls: [], urls: [] };
  const archives = [...loaded.archives, ...resolved.urls.filter((u) => !loaded.archives.includes(u))];
  const inputs = [
    ...archives.map((a) => refOf(a, 'archive')),
    ...loaded.config.ingest.corpora.map((c) => refOf(c.path, 'corpus')),
  ];
  const prior = dataset
    .versions()
    .filter((v) => (dataset.manifest(v) as { lineage?: { id?: string } }).lineage?.id === loaded.lineageId)
    .map((version) => ({ version, dir: join(loaded.datasetDir, version) }));
  const ledger = prior.flatMap((p) => readLedger(p.dir));
  const fresh = inputs.filter((ref) => !consumedBy(ledger, ref));
  const last = prior.at(-1)?.version ?? null;
  // Nothing new: the run is the one that made the lineage's last version (status and search look there).
  const runId =
    fresh.length === 0 && last
      ? (dataset.manifest(last).run_id as string)
      : sha256Text(JSON.stringify({ lineage: loaded.lineageId, after: last, inputs: fresh.map((f) => [f.key, f.bytes ?? null]).sort() })).slice(0, 16);
  opts.log?.info('lineage planned', {
    lineage: loaded.lineageId,
    run: runId,
    prior: prior.map((p) => p.version),
    inputs: inputs.length,
    new_inputs: fresh.length,
  });
  return { id: loaded.lineageId, runId, prior, parent: last ?? dataset.latest(), base: prior.length === 0, inputs, fresh, crawls: resolved.crawls };
}

/** The loaded config with its inputs narrowed to the plan's new ones: what the run's steps read. */
export function narrowToFresh(loaded: LoadedConfig, plan: LineagePlan): LoadedConfig {
  const freshArchives = plan.fresh.filter((f) => f.kind === 'archive').map((f) => f.location);
  const freshCorpora = new Set(plan.fresh.filter((f) => f.kind === 'corpus').map((f) => f.location));
  const corpora: CorpusSpec[] = loaded.config.ingest.corpora.filter((c) => freshCorpora.has(c.path));
  return { ...loaded, archives: freshArchives, config: { ...loaded.config, ingest: { ...loaded.config.ingest, corpora } } };
}
