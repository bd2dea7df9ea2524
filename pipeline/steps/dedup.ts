import { JsonlWriter } from '../../core/jsonl.js';
import type { Step } from '../runner.js';
import { applyPlannedRemovals, type PlannedRemoval, priorLedgers } from '../../stages/dedup/apply.js';
import { findDuplicates } from '../../stages/dedup/clusters.js';
import { versionPaths } from '../paths.js';
import { SignatureWriter } from '../../stages/dedup/signature-file.js';
import type { RunContext } from './context.js';
import { docStageStep, shardDocs, type DocStep } from './doc-steps.js';

export const DEDUP = 'dedup';
export const DEDUP_APPLY = 'dedup_apply';
export const DEDUP_SIGNATURES = 'dedup_signatures';
/** The dedup step's sidecar holding the keys of every document it keeps; publish copies it to `ledger/dedup-keys.bin`. */
export const LEDGER_KEYS = 'ledger_keys';

/** Per shard of `upstream`: MinHash signatures, sorted LSH bucket keys, and the exact/URL keys, in one file. */
export function signaturesStep(ctx: RunContext, upstream: DocStep): Step {
  const config = ctx.loaded.config.dedup;
  const minhash = config.minhash.enabled ? config.minhash : { ...config.minhash, bands: 0 };
  return {
    name: DEDUP_SIGNATURES,
    after: [upstream.name],
    sameShardsAs: upstream.name,
    shardsFromInputs: true,
    listShards: () => upstream.listShards(),
    outputPath: shard => ctx.paths.signatures(shard.id),
    async runShard(shard, work) {
      const writer = new SignatureWriter(work.tempOutput!, minhash);
      for await (const doc of shardDocs(ctx, upstream.name, shard.id)) {
        work.signal.throwIfAborted();
        writer.add(doc);
      }
      await writer.close();
      work.counters.add(`${DEDUP_SIGNATURES}.docs`, writer.docs);
      return { records: writer.docs };
    },
  };
}

/**
 * Decides, over all documents of `upstream`, which are duplicates (URL, exact, MinHash near-duplicates)
 * from the signature files, and writes the list of ids to remove, in id order.
 */
export function dedupStep(ctx: RunContext, upstream: DocStep): Step {
  const config = ctx.loaded.config.dedup;
  return {
    name: DEDUP,
    after: [DEDUP_SIGNATURES],
    barrier: true,
    listShards: async () => [{ id: 'all' }],
    outputPath: () => ctx.paths.dedup.removals,
    sidecarPaths: () => ({ [LEDGER_KEYS]: ctx.paths.dedup.ledgerKeys }),
    async runShard(_shard, work) {
      const files = (await upstream.listShards()).map(s => {
        const marker = ctx.state.read(DEDUP_SIGNATURES, s.id);
        if (!marker?.output) throw new Error(`${DEDUP_SIGNATURES} shard ${s.id} is not complete`);
        return marker.output.path;
      });
      const prior = await priorLedgers(
        ctx.prior.map(p => ({ version: p.version, path: versionPaths(p.dir).ledgerKeys })),
      );
      const writer = await JsonlWriter.open(work.tempOutput!);
      let stats;
      try {
        stats = await findDuplicates(files, config, (r: PlannedRemoval) => writer.write(r), work.log, {
          prior,
          ledger: work.tempSidecars[LEDGER_KEYS],
        });
      } finally {
        await writer.close();
      }
      for (const [rule, n] of Object.entries(stats.removed)) work.counters.add(`dedup.planned.${rule}`, n);
      work.counters.add('dedup.docs', stats.docs);
      work.counters.add('dedup.prior_docs', stats.prior_docs);
      work.counters.add('dedup.ledger_docs', stats.ledger_docs ?? 0);
      work.counters.add('dedup.near_clusters', stats.near_clusters);
      return {
        records: writer.records,
        meta: {
          threshold: stats.threshold,
          buckets: stats.buckets,
          prior_versions: prior.map(p => p.version),
          ledger_docs: stats.ledger_docs ?? 0,
        },
      };
    },
  };
}

/** Drops, shard by shard, the documents the dedup pass listed. */
export function dedupApplyStep(ctx: RunContext, upstream: DocStep): DocStep {
  return docStageStep(ctx, {
    name: DEDUP_APPLY,
    upstream,
    after: [DEDUP],
    config: ctx.loaded.config.dedup,
    makeStage: () => applyPlannedRemovals(ctx.paths.dedup.removals),
  });
}
