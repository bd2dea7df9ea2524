import cliProgress from 'cli-progress';

export interface Progress {
  stepStarted(step: string, total: number, alreadyDone: number): void;
  shardDone(step: string, shard: string, records: number, counters?: Record<string, number>): void;
  /** Work inside a shard that is still running; bars show it, JSON lines do not (one line per shard is enough). */
  shardTick?(step: string, shard: string, detail: string): void;
  stepFinished(step: string, counters: Record<string, number>): void;
  close(): void;
}

/** Bars on a terminal; one JSON line per event otherwise, so schedulers and log shippers can read it. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, runId = '', rank = 0): Progress {
  if (stream.isTTY) return new BarProgress(stream);
  return new JsonProgress(stream, runId, rank);
}

class JsonProgress implements Progress {
  private readonly totals = new Map<string, { total: number; done: number }>();
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly runId: string,
    private readonly rank: number,
  ) {}
  private emit(event: Record<string, unknown>): void {
    this.stream.write(
      JSON.stringify({ time: new Date().toISOString(), run: this.runId, rank: this.rank, ...event }) + '\n',
    );
  }
  stepStarted(step: string, total: number, alreadyDone: number): void {
    this.totals.set(step, { total, done: alreadyDone });
    this.emit({ event: 'step_started', step, shards: total, already_done: alreadyDone });
  }
  shardDone(step: string, shard: string, records: number, counters?: Record<string, number>): void {
    const t = this.totals.get(step);
    if (t) t.done++;
    this.emit({
      event: 'shard_done',
      step,
      shard,
      records,
      done: t?.done,
      total: t?.total,
      ...(counters ? { counters } : {}),
    });
  }
  stepFinished(step: string, counters: Record<string, number>): void {
    this.emit({ event: 'step_finished', step, counters });
  }
  close(): void {}
}

class BarProgress implements Progress {
  private readonly bars: cliProgress.MultiBar;
  private readonly active = new Map<string, { bar: cliProgress.SingleBar; records: number }>();
  constructor(stream: NodeJS.WriteStream) {
    this.bars = new cliProgress.MultiBar(
      {
        format: ' {step} [{bar}] {value}/{total} shards | {records} records {detail}',
        hideCursor: true,
        clearOnComplete: false,
        stream,
      },
      cliProgress.Presets.shades_classic,
    );
  }
  stepStarted(step: string, total: number, alreadyDone: number): void {
    const bar = this.bars.create(Math.max(total, 1), alreadyDone, { step: step.padEnd(9), records: 0, detail: '' });
    this.active.set(step, { bar, records: 0 });
  }
  shardDone(step: string, _shard: string, records: number): void {
    const entry = this.active.get(step);
    if (!entry) return;
    entry.records += records;
    entry.bar.increment(1, { records: entry.records, detail: '' });
  }
  shardTick(step: string, _shard: string, detail: string): void {
    this.active.get(step)?.bar.update({ detail: `(${detail})` });
  }
  stepFinished(): void {}
  close(): void {
    this.bars.stop();
  }
}
