import { access } from 'node:fs/promises';
import { readJsonl } from '../../core/jsonl.js';
import type { Doc, Stage } from '../../core/types.js';
import type { PriorLedger } from './ledger.js';

/** One document a global dedup pass decided to remove. */
export interface PlannedRemoval {
  id: string;
  rule: string;
  reason: string;
  values: Record<string, unknown>;
}

/** Drops the documents of the dedup pass's removal list (`file`, written by findDuplicates), recording each. */
export async function applyPlannedRemovals(file: string): Promise<Stage<Doc, Doc>> {
  const planned = new Map<string, PlannedRemoval>();
  for await (const r of readJsonl<PlannedRemoval>(file)) planned.set(r.id, r);
  return async function* (docs, ctx) {
    for await (const doc of docs) {
      const r = planned.get(doc.id);
      if (r) ctx.remove?.({ rule: r.rule, reason: r.reason, values: r.values, record: doc });
      else yield doc;
    }
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The ledgers of the earlier versions of the lineage (oldest first, each at `path`); a missing one is an error
 * (that version's documents would come back).
 */
export async function priorLedgers(prior: PriorLedger[]): Promise<PriorLedger[]> {
  for (const p of prior)
    if (!(await exists(p.path)))
      throw new Error(
        `${p.path} is missing: version ${p.version} cannot be deduplicated against (it was published without a dedup ledger)`,
      );
  return prior;
}
