import { existsSync, readFileSync } from 'node:fs';
import { readJsonl } from '../../core/jsonl.js';
import type { Doc, Stage } from '../../core/types.js';
import { judgeKey } from './evidence.js';
import type { Judgement } from './judge.js';
import type { RelevanceModelFiles } from './loop.js';
import { decide, type LoadedClassifier, loadClassifiers, type RelevanceSummary, scoringTableOf } from './model-file.js';
import type { BoundaryDecision } from './semantic-boundary.js';
import { featurizerOf } from './train.js';

const round4 = (x: number) => Number(x.toFixed(4));
const C = 'relevance';

/** The relevance model as the document step applies it. */
export interface RelevanceModel {
  summary: RelevanceSummary;
  classifiers: LoadedClassifier[];
  scoring: ReturnType<typeof scoringTableOf>;
  /** The judgements of hits (not of controls), by judgeKey. */
  judgements: Map<string, Judgement>;
  /** The semantic judge's changes at the classifiers' boundary, by document id. */
  boundary: Map<string, BoundaryDecision>;
}

export async function readRelevanceModel(
  files: Omit<RelevanceModelFiles, 'recall' | 'recallBlocks'>,
): Promise<RelevanceModel> {
  const summary = JSON.parse(readFileSync(files.summary, 'utf8')) as RelevanceSummary;
  const judgements = new Map<string, Judgement>();
  for await (const j of readJsonl<Judgement & { domain: string; doc_id: string; kind?: string }>(files.judgements))
    if (j.kind !== 'control') judgements.set(judgeKey(j.domain, j.doc_id), j);
  const classifiers = loadClassifiers(summary, files.weights);
  const boundary = new Map<string, BoundaryDecision>();
  // A model step of an earlier qcc wrote no boundary file: the classifier's decisions stand.
  if (existsSync(files.boundary))
    for await (const d of readJsonl<BoundaryDecision>(files.boundary)) boundary.set(d.id, d);
  return { summary, classifiers, scoring: scoringTableOf(classifiers), judgements, boundary };
}

/**
 * Records `relevance` on each candidate, removes the pruned-only and below-threshold ones, and adds, in id
 * order, the recall round's finds of this shard (`recall`, sorted by id). `carried`: counters the stage adds once
 * (the model step's, which the manifest would not gather otherwise).
 */
export function relevanceStage(
  model: RelevanceModel,
  recall: Doc[],
  carried: Record<string, number> = {},
): Stage<Doc, Doc> {
  const { summary, scoring, judgements } = model;
  const pruned = new Set(summary.pruned_queries);
  const trained = new Set(model.classifiers.map(c => c.domain));
  const featurizer = featurizerOf(summary.classifier);
  const preferOwn = (summary.classifier.method ?? 'logistic') !== 'nb_em';
  return async function* (docs, ctx) {
    const c = ctx.counters;
    c.merge(carried);
    const kept = (doc: Doc) => {
      c.add(`${C}.kept.${doc.relevance?.found_by ?? 'bm25'}`);
      return doc;
    };
    let next = 0;
    function* recallBefore(id: string | undefined) {
      while (next < recall.length && (id === undefined || recall[next]!.id < id)) {
        c.add(`${C}.in`);
        c.add(`${C}.added.recall_round`);
        yield kept(recall[next++]!);
      }
    }
    for await (const doc of docs) {
      yield* recallBefore(doc.id);
      const j = judgements.get(judgeKey(doc.domain!, doc.id));
      const judge = j ? { on_domain: j.on_domain, reason: j.reason, model: j.model } : undefined;
      const hits = doc.retrieval?.hits ?? [];
      if (hits.length > 0 && hits.every(h => pruned.has(h.query_id))) {
        ctx.remove?.({
          rule: 'relevance.pruned_query',
          reason: 'found only by queries whose judged yield is under relevance.yield.floor',
          record: { ...doc, relevance: { ...(judge ? { judge } : {}), found_by: 'bm25' } },
          values: { queries: hits.map(h => h.query_id) },
        });
        continue;
      }
      if (!trained.has(doc.domain!)) {
        yield kept({ ...doc, relevance: { ...(judge ? { judge } : {}), found_by: 'bm25' } });
        continue;
      }
      const verdict = decide(scoring, featurizer.extract(doc.text), doc.domain, preferOwn);
      const relevance = {
        ...(judge ? { judge } : {}),
        score: round4(verdict.margin),
        threshold: round4(verdict.threshold),
        found_by: 'bm25' as const,
      };
      const semantic = model.boundary.get(doc.id);
      if (semantic?.domain === null) {
        ctx.remove?.({
          rule: 'relevance.semantic_boundary',
          reason: `among the lowest classifier scores of domain ${semantic.examined_in}, and the semantic judge puts it nearer ${semantic.nearest}, under the domain's bar`,
          record: { ...doc, relevance: { ...relevance, semantic_z: semantic.z } },
          values: { score: relevance.score, semantic_z: semantic.z, bar: semantic.bar, nearest: semantic.nearest },
        });
        continue;
      }
      // A document the classifier rejected and the semantic judge took in at the boundary.
      const takenIn = verdict.domain ? undefined : (semantic?.domain ?? undefined);
      const domain = verdict.domain ?? takenIn;
      if (!domain) {
        ctx.remove?.({
          rule: 'relevance.below_threshold',
          reason: `classifier score under the threshold of domain ${doc.domain} and of every other domain`,
          record: { ...doc, relevance },
          values: { score: relevance.score, threshold: relevance.threshold },
        });
        continue;
      }
      if (takenIn) c.add(`${C}.semantic_boundary.kept`);
      const scored = takenIn ? { ...relevance, semantic_z: semantic!.z } : relevance;
      if (domain !== doc.domain) {
        c.add(`${C}.moved_domain`);
        yield kept({ ...doc, domain, relevance: { ...scored, from_domain: doc.domain! } });
      } else yield kept({ ...doc, relevance: scored });
    }
    yield* recallBefore(undefined);
  };
}
