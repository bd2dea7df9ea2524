import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MANIFEST_FILE } from '../../core/dataset-files.js';
import { VersionedDataset } from './dataset.js';

export interface DataFilesRequest {
  /** Default: the dataset's LATEST. */
  version?: string;
  /** Only the documents this version added; otherwise the full dataset (every version of its lineage up to it). */
  delta?: boolean;
  domain?: string;
}

/**
 * The dataset folder and version a path names: a dataset folder (`out/qcc-demo`, version from the request or
 * LATEST) or a version folder (`out/qcc-demo/v0001`, the version itself).
 */
export function locateVersion(path: string, version?: string): { datasetDir: string; version: string } {
  const dir = resolve(path);
  if (existsSync(join(dir, MANIFEST_FILE))) {
    const own = basename(dir);
    if (version && version !== own)
      throw new Error(
        `${path} is version ${own}; --version ${version} names another (give the dataset folder ${dirname(dir)} to choose)`,
      );
    return { datasetDir: dirname(dir), version: own };
  }
  const dataset = new VersionedDataset(dir);
  const chosen = version ?? dataset.latest();
  if (!chosen)
    throw new Error(
      `${path}: no published version (give a dataset folder such as out/<dataset>, or a version folder such as out/<dataset>/v0001)`,
    );
  return { datasetDir: dir, version: chosen };
}

/** The data shards a consumer reads for a version, as absolute paths, oldest version first. */
export function dataFiles(
  path: string,
  req: DataFilesRequest = {},
): { version: string; versions: string[]; files: string[] } {
  const { datasetDir, version } = locateVersion(path, req.version);
  const dataset = new VersionedDataset(datasetDir);
  const manifest = dataset.manifest(version);
  const versions = req.delta ? [version] : (manifest.lineage?.versions ?? [version]);
  const manifests = versions.map(v => ({ v, m: dataset.manifest(v) }));
  if (req.domain) {
    const known = [...new Set(manifests.flatMap(({ m }) => Object.keys(m.domains)))].sort();
    if (!known.includes(req.domain)) {
      throw new Error(
        `no domain "${req.domain}" in ${join(datasetDir, version)}${req.delta ? '' : ' or its lineage'} (domains: ${known.join(', ') || 'none'})`,
      );
    }
  }
  const files: string[] = [];
  for (const { v, m } of manifests) {
    for (const shard of m.shards) {
      if (req.domain && !shard.path.startsWith(`data/${req.domain}/`)) continue;
      files.push(join(datasetDir, v, shard.path));
    }
  }
  return { version, versions, files };
}
