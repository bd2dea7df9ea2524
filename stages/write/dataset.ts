import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { LATEST_FILE, MANIFEST_FILE } from '../../core/dataset-files.js';
import { readManifest, type Manifest } from './manifest.js';
import { pidAlive } from '../../core/process.js';

const VERSION_DIR = /^v(\d{4,})$/;
const TEMP_DIR = /^\.tmp-(v\d{4,})-(\d+)$/;

/**
 * A dataset folder of immutable versions. A version is built in a temporary folder, renamed into
 * place once its manifest is written, and only then named in LATEST: readers never see half a version.
 */
export class VersionedDataset {
  constructor(readonly dir: string) {}

  /** Complete versions (with a manifest), oldest first. */
  versions(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter(name => VERSION_DIR.test(name) && existsSync(join(this.dir, name, MANIFEST_FILE)))
      .sort();
  }

  latest(): string | null {
    const file = join(this.dir, LATEST_FILE);
    if (existsSync(file)) {
      const name = readFileSync(file, 'utf8').trim();
      if (this.versions().includes(name)) return name;
    }
    return this.versions().at(-1) ?? null;
  }

  manifest(version: string): Manifest {
    return readManifest(join(this.dir, version), file => `${this.dir}: no version ${version} (no ${file})`);
  }

  findRun(runId: string): string | null {
    return this.versions().find(v => this.manifest(v).run_id === runId) ?? null;
  }

  nextVersionName(): string {
    const last = this.versions().at(-1);
    const n = last ? Number(VERSION_DIR.exec(last)![1]) + 1 : 1;
    return `v${String(n).padStart(4, '0')}`;
  }

  /** Removes half-built versions left by killed runs (their builder process is gone). */
  async removeStaleTemps(): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    const removed: string[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = TEMP_DIR.exec(name);
      if (m && !pidAlive(Number(m[2]))) {
        await rm(join(this.dir, name), { recursive: true, force: true });
        removed.push(name);
      }
    }
    return removed;
  }

  async beginVersion(): Promise<{ version: string; tempDir: string }> {
    await mkdir(this.dir, { recursive: true });
    await this.removeStaleTemps();
    const version = this.nextVersionName();
    const tempDir = join(this.dir, `.tmp-${version}-${process.pid}`);
    await rm(tempDir, { recursive: true, force: true });
    await mkdir(tempDir, { recursive: true });
    return { version, tempDir };
  }

  async publish(tempDir: string, version: string): Promise<string> {
    if (!existsSync(join(tempDir, MANIFEST_FILE)))
      throw new Error(`${tempDir}: refusing to publish a version without a manifest`);
    const finalDir = join(this.dir, version);
    if (existsSync(finalDir)) throw new Error(`${finalDir} already exists: versions are immutable`);
    await rename(tempDir, finalDir);
    await this.pointLatestAt(version);
    return finalDir;
  }

  async pointLatestAt(version: string): Promise<void> {
    await writeFileAtomic(join(this.dir, LATEST_FILE), version + '\n');
  }
}
