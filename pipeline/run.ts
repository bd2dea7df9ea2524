import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from './config.js';
import { createLogger, withFields } from './log.js';
import { runPaths } from './paths.js';
import { createProgress } from './progress.js';
import { runSteps } from './runner.js';
import { RunState } from './run-state.js';
import type { RunContext } from './steps/context.js';
import { createSteps } from './steps/all.js';
import { finishPublished } from './publish/finish.js';
import { PUBLISH } from './publish/manifest.js';
import { VersionedDataset } from '../stages/write/dataset.js';
import { narrowToFresh, planLineage } from './lineage.js';
import { resolveCrawls } from './crawl-inputs.js';
import type { Logger } from '../core/types.js';
import { acquireDatasetLock, DEFAULT_LOCK_STALE_MS, type Lease } from './lock.js';
import { abortOnSignals } from './stop.js';
import { removeOrphanTemps } from '../core/atomic.js';
import { confinedPath } from '../stages/shared/confine.js';
import { loadModelAnswers, type ModelAnswers } from '../stages/bootstrap/providers/replay.js';

export interface RunRequest {
  config: string;
  out?: string;
  stage?: string;
  rank?: number;
  world?: number;
  log?: Logger;
  /** How long rank 0 waits for another run's lease on the dataset (0: fail at once with LockedError). */
  lockWaitMs?: number;
  /** A lease whose heartbeat is older than this is stale and taken over. */
  lockStaleMs?: number;
  /** A published version folder whose recorded model answers are served instead of the model (0 model calls). */
  replay?: string;
}

export type RunOutcome =
  | { status: 'published'; version: string; parent: string | null; datasetDir: string }
  | { status: 'up_to_date'; version: string; datasetDir: string }
  | { status: 'partial'; through: string; datasetDir: string; work: string }
  /** A worker (rank > 0) whose shards are done; rank 0 runs the barrier steps and publishes. */
  | { status: 'worker_done'; rank: number; world: number; datasetDir: string; work: string };

/** Loads the config and plans the run against its lineage: which inputs are new, which versions came before. */
export async function openRun(configPath: string, out?: string, log: Logger = createLogger()): Promise<RunContext> {
  return planRun(loadConfig(configPath, { out }), log);
}

async function planRun(loaded: LoadedConfig, log: Logger): Promise<RunContext> {
  const lineage = await planLineage(loaded, { log, resolveCrawls });
  const paths = runPaths(loaded.datasetDir, lineage.runId);
  return {
    loaded: narrowToFresh(loaded, lineage),
    paths,
    state: new RunState(paths.state),
    log,
    prior: lineage.prior,
    lineage,
  };
}

export async function runPipeline(req: RunRequest): Promise<RunOutcome> {
  const log = req.log ?? createLogger();
  const loaded = loadConfig(req.config, { out: req.out });
  // `dataset: ..` or `.` would make the parent of the output root, or the root itself, the dataset folder.
  confinedPath(loaded.outDir, [loaded.config.dataset], `${loaded.file}: key \`dataset\`:`, loaded.config.dataset);
  // Read and checked before anything runs: a bad --replay fails at once, not after the ingest.
  const replay = req.replay ? await loadModelAnswers(req.replay) : undefined;
  // SIGINT/SIGTERM and a lost lease abort the runner; the lease is released on the way out (pipeline/stop.ts).
  const stop = new AbortController();
  let lease: Lease | null = null;
  const removeHandlers = abortOnSignals(stop, () => void lease?.release());
  try {
    // --- dataset lease (pipeline/lock.ts): rank 0 publishes, so it alone holds the lease, from before the
    // lineage is read until after publish; the other ranks only write idempotent shards.
    lease =
      (req.rank ?? 0) === 0
        ? await acquireDatasetLock(loaded.datasetDir, {
            waitMs: req.lockWaitMs ?? 0,
            staleMs: req.lockStaleMs ?? DEFAULT_LOCK_STALE_MS,
            unlockHint: `qcc unlock --config ${req.config}${req.out ? ` --out ${req.out}` : ''}`,
            signal: stop.signal,
            log,
          })
        : null;
    lease?.onLost(err => stop.abort(err));
    return await runLeased(req, loaded, log, lease, stop.signal, replay);
  } catch (err) {
    // A shard cancelled by the abort fails with its own error: report why the run stopped instead.
    if (stop.signal.aborted) throw stop.signal.reason;
    throw err;
  } finally {
    removeHandlers();
    await lease?.release();
  }
}

async function runLeased(
  req: RunRequest,
  loaded: LoadedConfig,
  log: Logger,
  lease: Lease | null,
  signal: AbortSignal,
  replay?: ModelAnswers,
): Promise<RunOutcome> {
  const rank = req.rank ?? 0;
  const world = req.world ?? 1;
  if (world < 1 || rank < 0 || rank >= world)
    throw new Error(`--rank must be in [0, --world); got rank ${rank}, world ${world}`);
  if (lease) {
    // Temporary files of killed runs (shards, markers, LATEST, half-built versions): only this lease's holder removes them.
    const removed = [
      ...(await new VersionedDataset(loaded.datasetDir).removeStaleTemps()).map(name => join(loaded.datasetDir, name)),
      ...(await removeOrphanTemps(loaded.datasetDir, { world, staleMs: req.lockStaleMs ?? DEFAULT_LOCK_STALE_MS })),
    ];
    if (removed.length)
      log.info(`removed ${removed.length} temporary files left by stopped runs in ${loaded.datasetDir}`, {
        removed: removed.slice(0, 20),
      });
  }
  const ctx = await planRun(loaded, log);
  lease?.setRun(ctx.lineage.runId);
  // --- end of the lease wiring
  const datasetDir = ctx.loaded.datasetDir;
  const dataset = new VersionedDataset(datasetDir);
  const done =
    dataset.findRun(ctx.lineage.runId) ?? (ctx.lineage.fresh.length === 0 ? ctx.lineage.prior.at(-1)!.version : null);
  if (done) {
    // Published already, but maybe not completely (killed before LATEST moved, or during the object-store
    // copy): the publishing rank finishes what publishing means before saying "up to date".
    if (lease) await finishPublished(ctx.loaded, done, { log, signal });
    return { status: 'up_to_date', version: done, datasetDir };
  }

  await mkdir(ctx.paths.work, { recursive: true });
  const runLog = withFields(log, { run: ctx.lineage.runId, rank });
  ctx.log = runLog;
  if (replay) {
    ctx.replay = replay;
    runLog.info(
      `replaying the ${replay.byKey.size} model answers of ${replay.version} (run ${replay.run_id}): no model calls`,
      { replay: replay.dir },
    );
    if (replay.run_id !== ctx.lineage.runId) {
      runLog.warn(
        `--replay ${replay.dir}: ${replay.version} was made by run ${replay.run_id}, this is run ${ctx.lineage.runId} (its config or inputs differ): ` +
          'a request the version did not record stops the run',
        { code: 'replay_other_run' },
      );
    }
  }
  runLog.info('run started', {
    lineage: ctx.lineage.id,
    new_inputs: ctx.lineage.fresh.length,
    config: ctx.loaded.file,
    work: ctx.paths.work,
    rank,
    world,
  });
  const { steps, close } = await createSteps(ctx);
  const progress = createProgress(process.stderr, ctx.lineage.runId, rank);
  try {
    await runSteps(steps, ctx.state, { rank, world, through: req.stage, log: runLog, progress, signal });
  } finally {
    progress.close();
    await close();
  }
  if (rank > 0 && !req.stage) return { status: 'worker_done', rank, world, datasetDir, work: ctx.paths.work };
  const marker = ctx.state.read(PUBLISH, 'publish');
  if (!marker) return { status: 'partial', through: req.stage ?? 'all', datasetDir, work: ctx.paths.work };
  const meta = marker.meta as { version: string; parent?: string | null; up_to_date?: boolean };
  if (meta.up_to_date) return { status: 'up_to_date', version: meta.version, datasetDir };
  return { status: 'published', version: meta.version, parent: meta.parent ?? null, datasetDir };
}
