import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';

export interface ShardOutput {
  path: string;
  bytes: number;
  sha256: string;
}

/** Written once a shard's output is in place: its presence is the shard's completion. */
export interface ShardMarker {
  step: string;
  shard: string;
  records: number;
  counters: Record<string, number>;
  output?: ShardOutput;
  sidecars?: Record<string, ShardOutput>;
  meta?: Record<string, unknown>;
  finished: string;
}

export class RunState {
  constructor(readonly stateDir: string) {}

  private markerPath(step: string, shard: string): string {
    return join(this.stateDir, step, `${shard}.done.json`);
  }

  isDone(step: string, shard: string): boolean {
    return existsSync(this.markerPath(step, shard));
  }

  read(step: string, shard: string): ShardMarker | undefined {
    const path = this.markerPath(step, shard);
    if (!existsSync(path)) return undefined;
    return JSON.parse(readFileSync(path, 'utf8')) as ShardMarker;
  }

  async markDone(marker: Omit<ShardMarker, 'finished'>): Promise<void> {
    const full: ShardMarker = { ...marker, finished: new Date().toISOString() };
    await writeFileAtomic(this.markerPath(marker.step, marker.shard), JSON.stringify(full, null, 2) + '\n');
  }

  /** Every marker of a step, in shard order. */
  /** Steps with at least one completed shard. */
  steps(): string[] {
    if (!existsSync(this.stateDir)) return [];
    return readdirSync(this.stateDir, { withFileTypes: true })
      .filter(e => e.isDirectory())
      .map(e => e.name)
      .sort();
  }

  markers(step: string): ShardMarker[] {
    const dir = join(this.stateDir, step);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter(name => name.endsWith('.done.json') && !name.startsWith('.tmp-')) // not a marker being written
      .sort()
      .map(name => JSON.parse(readFileSync(join(dir, name), 'utf8')) as ShardMarker);
  }
}
