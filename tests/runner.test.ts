import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../pipeline/progress.js';
import { runSteps, selectSteps, StepFailed, type Step } from '../pipeline/runner.js';
import { RunState } from '../pipeline/run-state.js';
import { silentLogger } from '../core/types.js';
import { tempDir } from './helpers.js';

const quiet: Progress = { stepStarted() {}, shardDone() {}, stepFinished() {}, close() {} };

function numbersStep(dir: string, calls: string[], failOn?: string): Step<{ id: string; n: number }> {
  return {
    name: 'numbers',
    after: [],
    listShards: async () => [1, 2, 3, 4].map(n => ({ id: `s${n}`, n })),
    outputPath: s => join(dir, 'out', `${s.id}.txt`),
    async runShard(shard, work) {
      calls.push(shard.id);
      await writeFile(work.tempOutput!, `${shard.n}\n`);
      if (shard.id === failOn) throw new Error('disk full');
      work.counters.add('numbers.written');
      return { records: 1 };
    },
  };
}

describe('runner', () => {
  it("passes a shard's own progress to the progress display, between its start and its end", async () => {
    const dir = await tempDir();
    const events: string[] = [];
    const recording: Progress = {
      stepStarted: step => events.push(`start ${step}`),
      shardDone: (_step, shard) => events.push(`done ${shard}`),
      shardTick: (_step, shard, detail) => events.push(`tick ${shard} ${detail}`),
      stepFinished: step => events.push(`finish ${step}`),
      close() {},
    };
    const ticking: Step<{ id: string }> = {
      name: 'slow',
      after: [],
      listShards: async () => [{ id: 's1' }],
      async runShard(_shard, work) {
        for (let i = 1; i <= 2; i++) work.tick?.(`${i} completions`);
        return { records: 0 };
      },
    };
    await runSteps([ticking], new RunState(join(dir, 'state')), {
      rank: 0,
      world: 1,
      log: silentLogger,
      progress: recording,
    });
    expect(events).toEqual(['start slow', 'tick s1 1 completions', 'tick s1 2 completions', 'done s1', 'finish slow']);
  });

  it('resumes: completed shards are not run again, a failed shard leaves no output', async () => {
    const dir = await tempDir();
    const state = new RunState(join(dir, 'state'));
    const calls: string[] = [];
    const failing = numbersStep(dir, calls, 's3');
    await expect(runSteps([failing], state, { rank: 0, world: 1, log: silentLogger, progress: quiet })).rejects.toThrow(
      StepFailed,
    );
    expect(calls).toEqual(['s1', 's2', 's3']);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['s1.txt', 's2.txt']);
    expect(state.isDone('numbers', 's3')).toBe(false);

    const again: string[] = [];
    const totals = await runSteps([numbersStep(dir, again)], state, {
      rank: 0,
      world: 1,
      log: silentLogger,
      progress: quiet,
    });
    expect(again).toEqual(['s3', 's4']);
    expect(totals.get('numbers')!.get('numbers.written')).toBe(4);
    const marker = state.read('numbers', 's4')!;
    expect(marker.output!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, 'out', 's4.txt'), 'utf8')).toBe('4\n');
  });

  it('splits shards over ranks and runs barrier steps on rank 0 only', async () => {
    const dir = await tempDir();
    const state = new RunState(join(dir, 'state'));
    const rank1: string[] = [];
    const rank0: string[] = [];
    const barrierRuns: number[] = [];
    const barrier = (rank: number): Step => ({
      name: 'merge',
      after: ['numbers'],
      barrier: true,
      listShards: async () => [{ id: 'all' }],
      async runShard() {
        barrierRuns.push(rank);
        return { records: 0 };
      },
    });
    const opts = (rank: number) => ({ rank, world: 2, log: silentLogger, progress: quiet, pollMs: 20 });
    await Promise.all([
      runSteps([numbersStep(dir, rank1), barrier(1)], state, opts(1)),
      runSteps([numbersStep(dir, rank0), barrier(0)], state, opts(0)),
    ]);
    expect(rank0).toEqual(['s1', 's3']);
    expect(rank1).toEqual(['s2', 's4']);
    expect(barrierRuns).toEqual([0]);
    expect(existsSync(join(dir, 'state', 'merge', 'all.done.json'))).toBe(true);
  });

  it('a rank waiting for another says so again while it waits, with how far the step is, and gives up naming it', async () => {
    const dir = await tempDir();
    const state = new RunState(join(dir, 'state'));
    const lines: string[] = [];
    const log = { ...silentLogger, info: (msg: string) => void lines.push(msg) };
    // Rank 1 reads s2; s1 is rank 0's, which never runs: rank 1 waits at `merge` for it.
    const read: Step<{ id: string }> = {
      name: 'read',
      after: [],
      listShards: async () => [{ id: 's1' }, { id: 's2' }],
      runShard: async () => ({ records: 1 }),
    };
    const merge: Step<{ id: string }> = {
      name: 'merge',
      after: ['read'],
      listShards: async () => [{ id: 'all' }],
      runShard: async () => ({ records: 1 }),
    };
    const opts = { rank: 1, world: 2, log, progress: quiet, pollMs: 10, waitNoteMs: 100, barrierTimeoutMs: 450 };
    await expect(runSteps([read, merge], state, opts)).rejects.toThrow(
      /^gave up waiting for stage read after 0 s \(1 of 2 shards done\)$/,
    );
    expect(lines[0]).toBe('rank 1 waiting for stage read');
    const notes = lines.filter(l => /^rank 1 still waiting for stage read after \d+ s \(1 of 2 shards done\)$/.test(l));
    expect(notes.length).toBeGreaterThanOrEqual(3);
  });

  it('pipelines a step with the same shards as its upstream: a rank goes on without waiting for the others', async () => {
    const dir = await tempDir();
    const state = new RunState(join(dir, 'state'));
    const order: string[] = [];
    // Rank 0's upstream shard s1 finishes only once rank 1 has transformed its own shard s2 downstream: with a
    // barrier between the steps rank 1 would wait for s1, and neither would ever finish.
    let s2Transformed!: () => void;
    const transformed = new Promise<void>(resolve => (s2Transformed = resolve));
    const upstream = (): Step<{ id: string }> => ({
      name: 'read',
      after: [],
      listShards: async () => [{ id: 's1' }, { id: 's2' }],
      async runShard(shard) {
        if (shard.id === 's1') await transformed;
        order.push(`read ${shard.id}`);
        return { records: 1 };
      },
    });
    const downstream = (): Step<{ id: string }> => ({
      name: 'transform',
      after: ['read'],
      sameShardsAs: 'read',
      listShards: async () => [{ id: 's1' }, { id: 's2' }],
      async runShard(shard) {
        expect(state.isDone('read', shard.id)).toBe(true);
        order.push(`transform ${shard.id}`);
        if (shard.id === 's2') s2Transformed();
        return { records: 1 };
      },
    });
    const opts = (rank: number) => ({
      rank,
      world: 2,
      log: silentLogger,
      progress: quiet,
      pollMs: 20,
      barrierTimeoutMs: 20_000,
    });
    await Promise.all([0, 1].map(rank => runSteps([upstream(), downstream()], state, opts(rank))));
    expect(order).toEqual(['read s2', 'transform s2', 'read s1', 'transform s1']);
  });

  it('takes each shard through a chain of steps with the same shards before the next shard, and resumes mid-chain', async () => {
    const dir = await tempDir();
    const state = new RunState(join(dir, 'state'));
    const order: string[] = [];
    const chain = (failOn?: string): Step<{ id: string }>[] =>
      ['read', 'clean', 'sign'].map((name, k, names) => ({
        name,
        after: k === 0 ? [] : [names[k - 1]!],
        ...(k === 0 ? {} : { sameShardsAs: names[k - 1]! }),
        listShards: async () => [{ id: 's1' }, { id: 's2' }, { id: 's3' }],
        async runShard(shard) {
          if (`${name} ${shard.id}` === failOn) throw new Error('killed');
          order.push(`${name} ${shard.id}`);
          return { records: 1 };
        },
      }));
    const opts = { rank: 0, world: 1, log: silentLogger, progress: quiet };
    await expect(runSteps(chain('clean s2'), state, opts)).rejects.toThrow(StepFailed);
    expect(order).toEqual(['read s1', 'clean s1', 'sign s1', 'read s2']);
    order.length = 0;
    const totals = await runSteps(chain(), state, opts);
    expect(order).toEqual(['clean s2', 'sign s2', 'read s3', 'clean s3', 'sign s3']);
    for (const name of ['read', 'clean', 'sign']) expect(totals.has(name)).toBe(true);
  });

  it('runs a step that is part of another with it: --stage of the other includes it, and what depends on it', async () => {
    const dir = await tempDir();
    const state = new RunState(join(dir, 'state'));
    const ran: string[] = [];
    const step = (name: string, after: string[], partOf?: string): Step => ({
      name,
      after,
      ...(partOf ? { partOf } : {}),
      barrier: true,
      listShards: async () => [{ id: 'one' }],
      async runShard() {
        ran.push(name);
        return { records: 0 };
      },
    });
    const steps = [
      step('make', []),
      step('make_final', ['make'], 'make'),
      step('other', []),
      step('use', ['make_final']),
    ];
    const names = (through?: string) => selectSteps(steps, through).map(s => s.name);
    expect(names('make')).toEqual(['make', 'make_final']);
    expect(names('make_final')).toEqual(['make', 'make_final']);
    expect(names('use')).toEqual(['make', 'make_final', 'use']);
    expect(names('other')).toEqual(['other']);
    await runSteps(steps, state, { rank: 0, world: 1, through: 'make', log: silentLogger, progress: quiet });
    expect(ran).toEqual(['make', 'make_final']);
    expect(state.isDone('make_final', 'one')).toBe(true);
  });
});
