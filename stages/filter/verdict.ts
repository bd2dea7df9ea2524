import type { Doc, Stage, StageContext } from '../../core/types.js';

/** Why a rule removes a document: the rule, a readable reason and the measured values that triggered it. */
export interface Verdict {
  rule: string;
  reason: string;
  values: Record<string, unknown>;
}

/** A document-level check: undefined keeps the document. */
export type DocCheck = (doc: Doc) => Verdict | undefined;

function reportRemoval(ctx: StageContext<unknown>, verdict: Verdict, doc: Doc): void {
  if (!ctx.remove) throw new Error(`filter rule ${verdict.rule}: the stage context has no remove() to record removals`);
  ctx.remove({ rule: verdict.rule, reason: verdict.reason, values: verdict.values, record: doc });
}

/** Turns a check into a stage: failing documents go to ctx.remove with their verdict, the rest pass on. */
export function checkStage(check: DocCheck): Stage<Doc, Doc> {
  return async function* (input, ctx) {
    for await (const doc of input) {
      const verdict = check(doc);
      if (verdict) reportRemoval(ctx, verdict, doc);
      else yield doc;
    }
  };
}

/** A stage that may rewrite a document or remove it (C4 line filters). */
export function rewriteStage(rewrite: (doc: Doc, ctx: StageContext<unknown>) => Doc | Verdict): Stage<Doc, Doc> {
  return async function* (input, ctx) {
    for await (const doc of input) {
      const out = rewrite(doc, ctx);
      if ('rule' in out && !('id' in out)) reportRemoval(ctx, out as Verdict, doc);
      else yield out as Doc;
    }
  };
}

/** Runs stages one after another as one stage. */
export function chainStages(stages: Stage<Doc, Doc>[]): Stage<Doc, Doc> {
  return (input, ctx) => stages.reduce<AsyncIterable<Doc>>((acc, stage) => stage(acc, ctx), input);
}
