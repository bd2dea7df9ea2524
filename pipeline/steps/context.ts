import type { LoadedConfig } from '../config.js';
import type { RunPaths } from '../paths.js';
import type { RunState } from '../run-state.js';
import type { Logger } from '../../core/types.js';
import type { LineagePlan, PriorVersion } from '../lineage.js';
import type { ModelAnswers } from '../../stages/bootstrap/providers/replay.js';

export type { PriorVersion };

/** What every step of a qcc run shares: the loaded config, the work folder and the run state. */
export interface RunContext {
  /** The config with its inputs narrowed to those this run consumes (see pipeline/lineage.ts). */
  loaded: LoadedConfig;
  paths: RunPaths;
  state: RunState;
  log: Logger;
  /** Earlier versions of the same lineage, oldest first: this run deduplicates against them. */
  prior: PriorVersion[];
  lineage: LineagePlan;
  /** `qcc run --replay`: the model answers served instead of the model. */
  replay?: ModelAnswers;
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const shardId = (prefix: string, i: number) => `${prefix}-${String(i).padStart(5, '0')}`;

export async function* fromArray<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}
