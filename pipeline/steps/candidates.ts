import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { ShardSpec } from '../runner.js';
import type { Doc } from '../../core/types.js';
import { openSearchIndex } from '../../stages/index/open.js';
import type { SearchIndex } from '../../stages/index/contract.js';
import { aggregateHits } from '../../stages/retrieve/aggregate.js';
import type { HitRow } from '../../stages/retrieve/retrieve.js';
import { RETRIEVE } from './retrieve-step.js';
import { chunk, shardId, type RunContext } from './context.js';
import type { DocStep } from './doc-steps.js';

export const CANDIDATES = 'candidates';
const FETCH_BATCH = 500;

/** Where an id falls in [0, 1): ids are hex digests, so ranges of them are contiguous in sort order. */
export function position(id: string): number {
  const hex = /^[0-9a-f]{8}/.test(id) ? id.slice(0, 8) : createHash('sha1').update(id).digest('hex').slice(0, 8);
  return parseInt(hex, 16) / 2 ** 32;
}

/**
 * Retrieved documents, once each: hits folded per document, the domain chosen, the full record fetched from
 * the index. Shard i holds the i-th range of ids, sorted, so the shards in order are sorted too.
 */
export function candidatesStep(ctx: RunContext): DocStep & { close(): Promise<void> } {
  const parts = ctx.loaded.config.candidates.shards;
  const shards: ShardSpec[] = Array.from({ length: parts }, (_, i) => ({ id: shardId('range', i) }));
  let index: SearchIndex | undefined;
  const closeIndex = async () => {
    await index?.close();
    index = undefined;
  };
  return {
    name: CANDIDATES,
    docs: true,
    after: [RETRIEVE],
    listShards: async () => shards,
    outputPath: (shard) => join(ctx.paths.work, CANDIDATES, `${shard.id}.jsonl.gz`),
    async runShard(shard, work) {
      const part = shards.findIndex((s) => s.id === shard.id);
      const rows = async function* (): AsyncIterable<HitRow> {
        for (const marker of ctx.state.markers(RETRIEVE)) {
          for await (const row of readJsonl<HitRow>(marker.output!.path)) {
            if (Math.floor(position(row.doc_id) * parts) === part) yield row;
          }
        }
      };
      const candidates = await aggregateHits(rows());
      index ??= openSearchIndex(ctx.loaded.config.index, { path: ctx.paths.index, readonly: true });
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        for (const batch of chunk([...candidates.keys()].sort(), FETCH_BATCH)) {
          for (const doc of await index.getDocs(batch)) {
            const c = candidates.get(doc.id)!;
            const record: Doc = { ...doc, domain: c.domain, retrieval: { hits: c.hits, best_score: c.best_score, queries: c.hits.length } };
            work.counters.add(`candidates.domain.${c.domain}`);
            await writer.write(record);
          }
        }
      } finally {
        await writer.close();
      }
      work.counters.add('candidates.docs', writer.records);
      return { records: writer.records };
    },
    finalize: closeIndex,
    close: closeIndex,
  };
}
