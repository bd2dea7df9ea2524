import { createHash } from 'node:crypto';
import { JsonlWriter, readJsonl } from '../../core/jsonl.js';
import type { ShardSpec } from '../runner.js';
import type { Doc } from '../../core/types.js';
import { openRunIndex } from './run-index.js';
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

/** The candidates shard (id range) of `parts` that an id falls in. */
export const partOf = (id: string, parts: number): number => Math.floor(position(id) * parts);

/** Where the candidates step reads the full records of retrieved documents, in the order of `ids`. */
export interface DocSource {
  /** `part`: the candidates shard (id range) the ids fall in. */
  fetch(ids: string[], part: number): AsyncIterable<Doc>;
  close(): Promise<void>;
}

/** The records from the run's BM25 index (the indexed path). */
function indexDocs(ctx: RunContext): DocSource {
  let index: SearchIndex | undefined;
  return {
    async *fetch(ids) {
      index ??= openRunIndex(ctx, { readonly: true });
      for (const batch of chunk(ids, FETCH_BATCH)) yield* await index.getDocs(batch);
    },
    async close() {
      await index?.close();
      index = undefined;
    },
  };
}

/**
 * Retrieved documents, once each: hits folded per document, the domain chosen, the full record fetched from
 * the index (or `source`). Shard i holds the i-th range of ids, sorted, so the shards in order are sorted too.
 */
export function candidatesStep(
  ctx: RunContext,
  source: DocSource = indexDocs(ctx),
): DocStep & { close(): Promise<void> } {
  const parts = ctx.loaded.config.candidates.shards;
  const shards: ShardSpec[] = Array.from({ length: parts }, (_, i) => ({ id: shardId('range', i) }));
  return {
    name: CANDIDATES,
    docs: true,
    after: [RETRIEVE],
    listShards: async () => shards,
    outputPath: shard => ctx.paths.docStep(CANDIDATES).shard(shard.id),
    async runShard(shard, work) {
      const part = shards.findIndex(s => s.id === shard.id);
      const rows = async function* (): AsyncIterable<HitRow> {
        for (const marker of ctx.state.markers(RETRIEVE)) {
          for await (const row of readJsonl<HitRow>(marker.output!.path)) {
            if (partOf(row.doc_id, parts) === part) yield row;
          }
        }
      };
      const candidates = await aggregateHits(rows());
      const writer = await JsonlWriter.open(work.tempOutput!);
      try {
        for await (const doc of source.fetch([...candidates.keys()].sort(), part)) {
          const c = candidates.get(doc.id)!;
          const record: Doc = {
            ...doc,
            domain: c.domain,
            retrieval: { hits: c.hits, best_score: c.best_score, queries: c.hits.length },
          };
          work.counters.add(`candidates.domain.${c.domain}`);
          await writer.write(record);
        }
      } finally {
        await writer.close();
      }
      work.counters.add('candidates.docs', writer.records);
      return { records: writer.records };
    },
    finalize: () => source.close(),
    close: () => source.close(),
  };
}
