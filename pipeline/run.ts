import { mkdir } from 'node:fs/promises';
import { loadConfig } from './config.js';
import { createLogger } from './log.js';
import { runPaths } from './paths.js';
import { createProgress } from './progress.js';
import { runSteps } from './runner.js';
import { RunState } from './run-state.js';
import type { RunContext } from './steps/context.js';
import { createSteps } from './steps/all.js';
import { PUBLISH } from './steps/publish.js';
import { VersionedDataset } from '../stages/write/dataset.js';
import type { Logger } from './types.js';

export interface RunRequest {
  config: string;
  out?: string;
  stage?: string;
  rank?: number;
  world?: number;
  log?: Logger;
}

export type RunOutcome =
  | { status: 'published'; version: string; parent: string | null; datasetDir: string }
  | { status: 'up_to_date'; version: string; datasetDir: string }
  | { status: 'partial'; through: string; datasetDir: string; work: string };

export function openRun(configPath: string, out?: string, log: Logger = createLogger()): RunContext {
  const loaded = loadConfig(configPath, { out });
  const paths = runPaths(loaded.datasetDir, loaded.hash);
  return { loaded, paths, state: new RunState(paths.state), log };
}

export async function runPipeline(req: RunRequest): Promise<RunOutcome> {
  const log = req.log ?? createLogger();
  const ctx = openRun(req.config, req.out, log);
  const rank = req.rank ?? 0;
  const world = req.world ?? 1;
  if (world < 1 || rank < 0 || rank >= world) throw new Error(`--rank must be in [0, --world); got rank ${rank}, world ${world}`);
  const datasetDir = ctx.loaded.datasetDir;
  const dataset = new VersionedDataset(datasetDir);
  const done = dataset.findRun(ctx.loaded.hash);
  if (done && !req.stage) return { status: 'up_to_date', version: done, datasetDir };

  await mkdir(ctx.paths.work, { recursive: true });
  log.info('run started', { run: ctx.loaded.hash, config: ctx.loaded.file, work: ctx.paths.work, rank, world });
  const { steps, close } = createSteps(ctx);
  const progress = createProgress(process.stderr, ctx.loaded.hash);
  try {
    await runSteps(steps, ctx.state, { rank, world, through: req.stage, log, progress });
  } finally {
    progress.close();
    await close();
  }
  const marker = ctx.state.read(PUBLISH, 'publish');
  if (!marker) return { status: 'partial', through: req.stage ?? 'all', datasetDir, work: ctx.paths.work };
  const meta = marker.meta as { version: string; parent?: string | null; up_to_date?: boolean };
  if (meta.up_to_date) return { status: 'up_to_date', version: meta.version, datasetDir };
  return { status: 'published', version: meta.version, parent: meta.parent ?? null, datasetDir };
}
