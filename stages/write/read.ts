import { join } from 'node:path';
import { VersionedDataset } from './dataset.js';

export interface DataFilesRequest {
  /** Default: the dataset's LATEST. */
  version?: string;
  /** Only the documents this version added; otherwise the full dataset (every version of its lineage up to it). */
  delta?: boolean;
  domain?: string;
}

/** The data shards a consumer reads for a version, as absolute paths, oldest version first. */
export function dataFiles(datasetDir: string, req: DataFilesRequest = {}): { version: string; versions: string[]; files: string[] } {
  const dataset = new VersionedDataset(datasetDir);
  const version = req.version ?? dataset.latest();
  if (!version) throw new Error(`${datasetDir}: no published version`);
  const manifest = dataset.manifest(version);
  const versions = req.delta ? [version] : (manifest.lineage?.versions ?? [version]);
  const files: string[] = [];
  for (const v of versions) {
    for (const shard of dataset.manifest(v).shards) {
      if (req.domain && !shard.path.startsWith(`data/${req.domain}/`)) continue;
      files.push(join(datasetDir, v, shard.path));
    }
  }
  return { version, versions, files };
}
