import { existsSync, readFileSync } from 'node:fs';
import { incompleteCopies } from '../stages/storage/copies.js';
import { stepCounters } from './runner.js';
import { describeHolder, lockState } from './lock.js';
import { datasetPaths } from './paths.js';
import type { RunContext } from './steps/context.js';
import { createSteps } from './steps/all.js';
import { VersionedDataset } from '../stages/write/dataset.js';

export interface StepReport {
  name: string;
  after: string[];
  /** null while the steps it depends on are incomplete (its shards are not known yet). */
  shards_total: number | null;
  shards_done: number;
  counters: Record<string, number>;
  shards?: { id: string; state: 'done' | 'pending'; records?: number }[];
}

export interface RunReport {
  run: string;
  config: string;
  work: string;
  dataset: string;
  versions: string[];
  latest: string | null;
  published_by_this_config: string | null;
  /** Versions sharing this config's settings; the inputs they have not consumed yet. */
  lineage: { id: string; versions: string[]; inputs_total: number; inputs_new: number };
  steps: StepReport[];
  /** The dataset's run lease: held by whom, and whether it is stale (pipeline/lock.ts). */
  lock: ReturnType<typeof lockState>;
  /** What LATEST holds when that is not the newest complete version (a run stopped before moving it). */
  latest_stale?: { named: string | null; newest: string };
  /** With `storage.publish_to`: the local versions whose object-store copy is not marked complete. */
  object_store?: { target: string; incomplete: string[] };
  text: string;
}

function withDoneShards<T extends { id: string }>(listed: T[], doneIds: string[]): { id: string }[] {
  const ids = new Set(listed.map(s => s.id));
  return [...listed, ...doneIds.filter(id => !ids.has(id)).map(id => ({ id }))];
}

/** Reads run state only: nothing is run or written. */
export async function describeRun(ctx: RunContext, opts: { shards: boolean }): Promise<RunReport> {
  const { steps } = await createSteps(ctx);
  const reports: StepReport[] = [];
  const complete = new Map<string, boolean>();
  for (const step of steps) {
    const ready = step.after.every(dep => complete.get(dep));
    const listed = ready || !step.shardsFromInputs ? await step.listShards() : null;
    // Ingest and index list only the inputs no version has consumed yet; the shards this run already did
    // (its markers) count too, or a published run would show `ingest 0 / 0` next to its documents.
    const shards = listed
      ? withDoneShards(
          listed,
          ctx.state.markers(step.name).map(m => m.shard),
        )
      : null;
    const done = shards ? shards.filter(s => ctx.state.isDone(step.name, s.id)).length : 0;
    complete.set(step.name, ready && shards !== null && shards.length === done);
    reports.push({
      name: step.name,
      after: step.after,
      shards_total: shards?.length ?? null,
      shards_done: done,
      counters: stepCounters(ctx.state, step.name),
      ...(opts.shards && shards
        ? {
            shards: shards.map(s => {
              const marker = ctx.state.read(step.name, s.id);
              return marker
                ? { id: s.id, state: 'done' as const, records: marker.records }
                : { id: s.id, state: 'pending' as const };
            }),
          }
        : {}),
    });
  }
  const dataset = new VersionedDataset(ctx.loaded.datasetDir);
  const versions = dataset.versions();
  const report: Omit<RunReport, 'text'> = {
    run: ctx.lineage.runId,
    config: ctx.loaded.file,
    work: existsSync(ctx.paths.work) ? ctx.paths.work : `${ctx.paths.work} (not started)`,
    dataset: ctx.loaded.datasetDir,
    versions,
    latest: dataset.latest(),
    published_by_this_config: dataset.findRun(ctx.lineage.runId),
    lineage: {
      id: ctx.lineage.id,
      versions: ctx.lineage.prior.map(p => p.version),
      inputs_total: ctx.lineage.inputs.length,
      inputs_new: ctx.lineage.fresh.length,
    },
    steps: reports,
    lock: lockState(ctx.loaded.datasetDir),
  };
  const latestFile = datasetPaths(ctx.loaded.datasetDir).latest;
  const named = existsSync(latestFile) ? readFileSync(latestFile, 'utf8').trim() : null;
  if (versions.length && named !== versions.at(-1)) report.latest_stale = { named, newest: versions.at(-1)! };
  const target = ctx.loaded.config.storage.publish_to;
  if (target)
    report.object_store = { target, incomplete: await incompleteCopies(ctx.loaded.datasetDir, versions, target) };
  return { ...report, text: renderText(report, opts.shards) };
}

function renderText(r: Omit<RunReport, 'text'>, withShards: boolean): string {
  const lines = [
    `run ${r.run}  (config ${r.config})`,
    `work     ${r.work}`,
    `dataset  ${r.dataset}: ${r.versions.length ? r.versions.join(', ') : 'no versions yet'}; LATEST ${r.latest ?? '-'}`,
    r.lineage.versions.length
      ? `lineage ${r.lineage.id}: ${r.lineage.versions.join(', ')}; ${r.lineage.inputs_new} of ${r.lineage.inputs_total} inputs not consumed yet`
      : `lineage ${r.lineage.id}: no version yet (a new config, or one whose settings changed: its first version will hold all ${r.lineage.inputs_total} inputs)`,
    r.published_by_this_config
      ? `this config's run is published as ${r.published_by_this_config}: \`qcc run\` would say "up to date"`
      : `this config's run is not published yet`,
    ...(r.latest_stale
      ? [
          `LATEST   names ${r.latest_stale.named ?? 'nothing'}, not the newest version ${r.latest_stale.newest}: \`qcc run\` repairs it`,
        ]
      : []),
    ...(r.object_store
      ? [
          r.object_store.incomplete.length
            ? `object store ${r.object_store.target}: copy incomplete for ${r.object_store.incomplete.join(', ')}: \`qcc run\` completes it`
            : `object store ${r.object_store.target}: every version copied`,
        ]
      : []),
    r.lock.held
      ? `lock     ${r.lock.file}: held by ${r.lock.holder ? describeHolder(r.lock.holder) : 'an unreadable lease'}${r.lock.stale ? ` (stale: ${r.lock.reason})` : ''}`
      : `lock     none`,
    '',
  ];
  // One column for the step names, wide enough for the longest (bootstrap_finalise).
  const width = Math.max(...r.steps.map(s => s.name.length));
  const indent = ' '.repeat(width + 1);
  for (const s of r.steps) {
    const total = s.shards_total === null ? `? (after ${s.after.join(', ')})` : String(s.shards_total);
    lines.push(`${s.name.padEnd(width)} ${String(s.shards_done).padStart(5)} / ${total} shards done`);
    const counters = Object.entries(s.counters);
    if (counters.length) lines.push(indent + counters.map(([k, v]) => `${k}=${v}`).join('  '));
    if (withShards && s.shards) {
      for (const shard of s.shards) {
        lines.push(
          `${indent}  ${shard.state === 'done' ? 'done   ' : 'pending'} ${shard.id}${shard.records !== undefined ? `  (${shard.records} records)` : ''}`,
        );
      }
    }
  }
  return lines.join('\n');
}
