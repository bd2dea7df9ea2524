import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import type { Doc, Removal, Stage, StageContext } from '../../core/types.js';
import type { RunContext } from './context.js';

export const REMOVED_SIDECAR = 'removed';

/** A step whose shards are documents: the publisher reads the last one and every one's removals. */
export interface DocStep extends Step<ShardSpec> {
  docs: true;
}

/** Documents of one shard of a document step, in order. */
export function shardDocs(ctx: RunContext, step: string, shard: string): AsyncIterable<Doc> {
  const marker = ctx.state.read(step, shard);
  if (!marker?.output) throw new Error(`${step} shard ${shard} is not complete`);
  return readJsonl<Doc>(marker.output.path);
}

export interface DocStageOptions<C> {
  name: string;
  /** The document step whose shards this one transforms, shard for shard. */
  upstream: DocStep;
  /** Further steps that must complete first (e.g. the one that computed a removal list). */
  after?: string[];
  config: C;
  /** Built once per process, on first use; with `perShard`, once for each shard (a stage that differs by shard). */
  makeStage: (shard: ShardSpec) => Stage<Doc, Doc, C> | Promise<Stage<Doc, Doc, C>>;
  perShard?: boolean;
}

/**
 * Runs a Stage<Doc, Doc> over every shard of an upstream document step. Kept documents go to the shard's
 * output, removed ones (with rule, reason and values) to its `removed` sidecar; `<name>.in`, `<name>.out`
 * and `<name>.removed.<rule>` are counted, so the funnel always adds up.
 */
export function docStageStep<C>(ctx: RunContext, opts: DocStageOptions<C>): DocStep {
  let stage: Stage<Doc, Doc, C> | undefined;
  const dir = ctx.paths.docStep(opts.name);
  return {
    name: opts.name,
    docs: true,
    after: [opts.upstream.name, ...(opts.after ?? [])],
    sameShardsAs: opts.upstream.name,
    shardsFromInputs: true,
    listShards: () => opts.upstream.listShards(),
    outputPath: shard => dir.shard(shard.id),
    sidecarPaths: shard => ({ [REMOVED_SIDECAR]: dir.removed(shard.id) }),
    async runShard(shard, work) {
      const run = opts.perShard ? await opts.makeStage(shard) : (stage ??= await opts.makeStage(shard));
      const kept = await JsonlWriter.open(work.tempOutput!);
      const removed = await JsonlWriter.open(work.tempSidecars[REMOVED_SIDECAR]!);
      const pending: Removal[] = [];
      const stageCtx: StageContext<C> = {
        config: opts.config,
        log: work.log,
        counters: work.counters,
        signal: work.signal,
        remove: removal => {
          pending.push(removal);
        },
      };
      const counted = async function* (docs: AsyncIterable<Doc>) {
        for await (const doc of docs) {
          work.counters.add(`${opts.name}.in`);
          yield doc;
        }
      };
      const flushRemovals = async () => {
        for (const r of pending.splice(0)) {
          work.counters.add(`${opts.name}.removed.${r.rule}`);
          await removed.write(r);
        }
      };
      try {
        for await (const doc of run(counted(shardDocs(ctx, opts.upstream.name, shard.id)), stageCtx)) {
          await flushRemovals();
          work.counters.add(`${opts.name}.out`);
          await kept.write(doc);
        }
        await flushRemovals();
      } finally {
        await kept.close();
        await removed.close();
      }
      return { records: kept.records, meta: { removed: removed.records } };
    },
  };
}
