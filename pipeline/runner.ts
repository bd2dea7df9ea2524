import { rename, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256File, tempPathFor } from '../core/atomic.js';
import type { Progress } from './progress.js';
import type { RunState, ShardMarker } from './run-state.js';
import { Counters, type Logger } from '../core/types.js';
import { withFields } from './log.js';

export interface ShardSpec {
  /** Stable and file-name safe: it names the shard's completion marker. */
  id: string;
}

export interface ShardWork {
  /** Where the shard writes its output; the runner renames it into place once the shard returns. */
  tempOutput?: string;
  /** Temporary paths of the step's side outputs, by name; renamed into place before the main output. */
  tempSidecars: Record<string, string>;
  counters: Counters;
  log: Logger;
  signal: AbortSignal;
  /** Progress inside a long shard (for example "seeds-0001: 12 completions"), shown on the step's bar. */
  tick?: (detail: string) => void;
}

export interface ShardOutcome {
  records: number;
  meta?: Record<string, unknown>;
}

export interface Step<S extends ShardSpec = ShardSpec> {
  name: string;
  /** Steps whose every shard must be complete before this one starts. */
  after: string[];
  /**
   * A step of `after` whose shards this one's are, id for id: each shard waits only for the same shard of it, not
   * for the whole step (pipelining: a rank goes on with its own shards while other ranks finish theirs).
   */
  sameShardsAs?: string;
  /** Needs all shards of its inputs and runs on rank 0 only (index building, publishing). */
  barrier?: boolean;
  /** Completes the output of the step it names: `--stage <that step>` runs this one too (query finalisation). */
  partOf?: string;
  listShards(): Promise<S[]>;
  /** Its shards are cut from its inputs' outputs, so they are unknown until those steps complete. */
  shardsFromInputs?: boolean;
  /** The final path of a shard's output, if it writes one file. */
  outputPath?(shard: S): string;
  /** Final paths of side outputs (e.g. removed records), by name. */
  sidecarPaths?(shard: S): Record<string, string>;
  runShard(shard: S, work: ShardWork): Promise<ShardOutcome>;
  /** Called once every shard is complete; must be idempotent (any rank may call it). */
  finalize?(): Promise<void>;
  /** Releases what the step holds open (a model, an index), once the run is over, whether it succeeded or not. */
  close?(): Promise<void>;
}

export interface RunOptions {
  rank: number;
  world: number;
  /** Run this step and the incomplete steps it depends on, nothing after it. */
  through?: string;
  log: Logger;
  progress: Progress;
  signal?: AbortSignal;
  /** How long a worker waits for other workers' shards before giving up. */
  barrierTimeoutMs?: number;
  /** How often a waiting worker says it is still waiting (default 5 minutes). */
  waitNoteMs?: number;
  pollMs?: number;
}

export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly shard: string,
    cause: Error,
  ) {
    super(`${step} failed on shard ${shard}: ${cause.message}`, { cause });
    this.name = 'StepFailed';
  }
}

export function selectSteps(steps: Step<any>[], through?: string): Step<any>[] {
  if (!through) return steps;
  const byName = new Map(steps.map(s => [s.name, s]));
  if (!byName.has(through)) {
    throw new Error(`unknown stage "${through}"; stages are: ${steps.map(s => s.name).join(', ')}`);
  }
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    byName.get(name)!.after.forEach(visit);
  };
  visit(through);
  for (const s of steps) if (s.partOf && wanted.has(s.partOf)) visit(s.name);
  return steps.filter(s => wanted.has(s.name));
}

export async function isStepComplete(step: Step<any>, state: RunState): Promise<boolean> {
  const shards = await step.listShards();
  return shards.every(s => state.isDone(step.name, s.id));
}

/**
 * Polls until `check` holds. A worker waits for others' shards for as long as they take (a crashed one is re-run
 * by the scheduler), so the wait says so once, then again every `waitNoteMs` with how long and how far along.
 */
async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: RunOptions,
  status?: () => Promise<string>,
): Promise<void> {
  const started = Date.now();
  const deadline = started + (opts.barrierTimeoutMs ?? 24 * 3600_000);
  const every = opts.waitNoteMs ?? 300_000;
  let noted = 0;
  while (!(await check())) {
    if (opts.world === 1) throw new Error(`${what} is not complete`);
    const now = Date.now();
    if (noted === 0) {
      opts.log.info(`rank ${opts.rank} waiting for ${what}`);
      noted = now;
    } else if (now - noted >= every || now > deadline) {
      const far = status ? ` (${await status()})` : '';
      if (now > deadline) throw new Error(`gave up waiting for ${what} after ${elapsed(now - started)}${far}`);
      opts.log.info(`rank ${opts.rank} still waiting for ${what} after ${elapsed(now - started)}${far}`);
      noted = now;
    }
    await sleep(opts.pollMs ?? 500, undefined, { signal: opts.signal });
  }
}

const elapsed = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

/** "3 of 8 shards done": how far along a step is, for a wait's notes. */
async function shardsDone(step: Step<any>, state: RunState): Promise<string> {
  const shards = await step.listShards();
  return `${shards.filter(s => state.isDone(step.name, s.id)).length} of ${shards.length} shards done`;
}

/**
 * The steps from `selected[from]` that run shard by shard together: each next one has the shards of a step already
 * in the group (`sameShardsAs`, the same ids in the same order) and waits for nothing else that runs after the
 * group starts. A rank then takes each of its shards through every step of the group before the next shard.
 */
async function pipelineGroup(
  selected: Step<any>[],
  from: number,
  waitForInputs: (step: Step<any>, group: Set<string>) => Promise<void>,
): Promise<{ steps: Step<any>[]; shards: ShardSpec[][] }> {
  const steps = [selected[from]!];
  const names = new Set([steps[0]!.name]);
  await waitForInputs(steps[0]!, names); // before listing: a step may cut its shards from its inputs
  const shards = [await steps[0]!.listShards()];
  const later = new Set(selected.slice(from).map(s => s.name));
  for (let i = from + 1; i < selected.length; i++) {
    const next = selected[i]!;
    const upstream = steps.findIndex(s => s.name === next.sameShardsAs);
    const waitsInside = next.after.some(d => d !== next.sameShardsAs && later.has(d));
    if (upstream < 0 || waitsInside || next.barrier || steps[0]!.barrier) break;
    await waitForInputs(next, names);
    const list = await next.listShards();
    const ids = shards[upstream]!.map(x => x.id);
    if (list.length !== ids.length || list.some((x, k) => x.id !== ids[k])) break;
    steps.push(next);
    names.add(next.name);
    shards.push(list);
  }
  return { steps, shards };
}

/**
 * Runs steps in order. Each shard writes to a temporary path, is renamed into place, then marked done;
 * a shard with a marker is never run again, so a killed run resumes with no lost or repeated records.
 */
export async function runSteps(steps: Step<any>[], state: RunState, opts: RunOptions): Promise<Map<string, Counters>> {
  const selected = selectSteps(steps, opts.through);
  const byName = new Map(steps.map(s => [s.name, s]));
  const totals = new Map<string, Counters>();
  const signal = opts.signal ?? new AbortController().signal;

  const waitForInputs = async (step: Step<any>, group: Set<string>) => {
    for (const dep of step.after) {
      if (dep === step.sameShardsAs || group.has(dep)) continue; // shard by shard, in runShardOf
      const depStep = byName.get(dep)!;
      await waitFor(
        `stage ${dep}`,
        () => isStepComplete(depStep, state),
        opts,
        () => shardsDone(depStep, state),
      );
    }
  };
  for (let from = 0; from < selected.length; ) {
    const group = await pipelineGroup(selected, from, waitForInputs);
    from += group.steps.length;
    const active = group.steps.flatMap((step, k) =>
      step.barrier && opts.rank !== 0
        ? []
        : [
            {
              step,
              shards: group.shards[k]!,
              mine: group.shards[k]!.filter((_, i) => step.barrier || i % opts.world === opts.rank),
            },
          ],
    );
    for (const { step, mine } of active) {
      const done = mine.filter(s => state.isDone(step.name, s.id)).length;
      opts.progress.stepStarted(step.name, mine.length, done);
    }
    const rounds = Math.max(0, ...active.map(a => a.mine.length));
    for (let n = 0; n < rounds; n++)
      for (const { step, mine } of active) {
        const shard = mine[n];
        if (shard && !state.isDone(step.name, shard.id)) await runShardOf(step, shard, state, opts, signal);
      }
    for (const { step, shards } of active) {
      if (shards.every(s => state.isDone(step.name, s.id))) await step.finalize?.();
      const stepCounters = new Counters();
      for (const marker of state.markers(step.name)) stepCounters.merge(marker.counters);
      totals.set(step.name, stepCounters);
      opts.progress.stepFinished(step.name, stepCounters.toJSON());
    }
  }
  return totals;
}

/** One shard of one step: its upstream shard waited for, run into temporary paths, renamed into place, marked done. */
async function runShardOf(
  step: Step<any>,
  shard: ShardSpec,
  state: RunState,
  opts: RunOptions,
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
  const upstream = step.sameShardsAs;
  if (upstream) await waitFor(`shard ${shard.id} of ${upstream}`, async () => state.isDone(upstream, shard.id), opts);
  const counters = new Counters();
  const finalPath = step.outputPath?.(shard);
  const tempOutput = finalPath ? tempPathFor(finalPath) : undefined;
  const sidecars = step.sidecarPaths?.(shard) ?? {};
  const tempSidecars = Object.fromEntries(Object.entries(sidecars).map(([name, path]) => [name, tempPathFor(path)]));
  for (const path of [finalPath, ...Object.values(sidecars)]) if (path) await mkdir(dirname(path), { recursive: true });
  const temps = [tempOutput, ...Object.values(tempSidecars)].filter((p): p is string => p !== undefined);
  let outcome: ShardOutcome;
  try {
    const tick = (detail: string) => opts.progress.shardTick?.(step.name, shard.id, detail);
    outcome = await step.runShard(shard, {
      tempOutput,
      tempSidecars,
      counters,
      log: withFields(opts.log, { step: step.name, shard: shard.id }),
      signal,
      tick,
    });
    for (const [name, path] of Object.entries(sidecars)) await rename(tempSidecars[name]!, path);
    if (finalPath && tempOutput) await rename(tempOutput, finalPath);
  } catch (err) {
    await Promise.all(temps.map(p => rm(p, { force: true })));
    throw new StepFailed(step.name, shard.id, err as Error);
  }
  const output = finalPath ? { path: finalPath, ...(await sha256File(finalPath)) } : undefined;
  const sides = Object.fromEntries(
    await Promise.all(
      Object.entries(sidecars).map(async ([name, path]) => [name, { path, ...(await sha256File(path)) }] as const),
    ),
  );
  await state
    .markDone({
      step: step.name,
      shard: shard.id,
      records: outcome.records,
      counters: counters.toJSON(),
      output,
      ...(Object.keys(sides).length ? { sidecars: sides } : {}),
      meta: outcome.meta,
    })
    .catch((err: Error) => {
      throw new StepFailed(step.name, shard.id, err); // a full disk names the step and shard here too
    });
  opts.progress.shardDone(step.name, shard.id, outcome.records, counters.toJSON());
}

export function stepCounters(state: RunState, step: string): Record<string, number> {
  const counters = new Counters();
  state.markers(step).forEach((m: ShardMarker) => counters.merge(m.counters));
  return counters.toJSON();
}
