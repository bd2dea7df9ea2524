import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonlWriter, readAllJsonl, readJsonl } from '../../core/jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import type { Counters, Doc, Query, Removal } from '../../core/types.js';
import type { LlmProvider } from '../../stages/bootstrap/index.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { checkJudge, verdictTally, type RelevanceWarning } from '../../stages/relevance/diagnostics.js';
import {
  domainEvidence,
  judgedOffDomainOnly,
  judgeKey,
  pickControls,
  pickJudgements,
  queryYields,
  type CandidateInfo,
  type JudgePick,
} from '../../stages/relevance/evidence.js';
import { guardedScoreIndex } from '../../stages/relevance/index-scan.js';
import {
  emptyUsage,
  judgeAll,
  judgeExcerpt,
  loadJudgeTemplate,
  tallyUsage,
  type Judgement,
  type JudgeRequest,
  type JudgeUsage,
} from '../../stages/relevance/judge.js';
import {
  decide,
  loadClassifiers,
  packWeights,
  scoringTableOf,
  type LoadedClassifier,
  type RelevanceSummary,
} from '../../stages/relevance/model-file.js';
import {
  featurizerOf,
  trainClassifiers,
  type DomainClassifier,
  type TrainingDoc,
} from '../../stages/relevance/train.js';
import { trainNaiveBayes } from '../../stages/relevance/train-nb.js';
import { ensureQueriesFile } from './bootstrap.js';
import { position } from './candidates.js';
import type { RunContext } from './context.js';
import { REMOVED_SIDECAR, shardDocs, type DocStep } from './doc-steps.js';
import { INGEST } from './ingest.js';
import { runProvider } from './provider.js';

export const RELEVANCE_MODEL = 'relevance_model';
export const RELEVANCE = 'relevance';
const WEIGHTS = 'weights';
const JUDGEMENTS = 'judgements';
const RECALL = 'recall';

const round4 = (x: number) => Number(x.toFixed(4));

async function indexIds(scan: () => AsyncIterable<Doc>): Promise<string[]> {
  const ids = new Set<string>();
  for await (const doc of scan()) ids.add(doc.id);
  return [...ids];
}

/** The pairs with the excerpt of their document, read in one pass over the index. */
export async function withExcerpts(
  pairs: JudgePick[],
  scan: () => AsyncIterable<Doc>,
  words: number,
): Promise<JudgeRequest[]> {
  const wanted = new Set(pairs.map(p => p.doc_id));
  const texts = new Map<string, string>();
  for await (const doc of scan())
    if (wanted.has(doc.id) && !texts.has(doc.id)) texts.set(doc.id, judgeExcerpt(doc.text, words));
  return pairs.map(p => ({ ...p, excerpt: texts.get(p.doc_id) ?? '' }));
}

/** Judged hits (pairs, answers) and controls apart; model calls and tokens of both together. */
function countUsage(counters: Counters, hits: JudgeUsage, controls: JudgeUsage): void {
  counters.add('relevance.judge.pairs', hits.judged);
  counters.add('relevance.judge.on_domain', hits.on_domain);
  counters.add('relevance.judge.off_domain', hits.off_domain);
  counters.add('relevance.judge.unreadable', hits.unreadable);
  counters.add('relevance.judge.controls', controls.judged);
  counters.add('relevance.judge.controls_on_domain', controls.on_domain);
  counters.add('relevance.judge.llm_calls', hits.calls + controls.calls);
  counters.add('relevance.judge.llm_cache_hits', hits.cached + controls.cached);
  counters.add('relevance.judge.prompt_tokens', hits.prompt_tokens + controls.prompt_tokens);
  counters.add('relevance.judge.completion_tokens', hits.completion_tokens + controls.completion_tokens);
}

/**
 * The relevance loop, when `relevance.enabled`: a barrier step that judges samples of each query's hits,
 * computes query yields, prunes, trains the per-domain classifiers and (recall round) scores the whole
 * index; then a document step over the candidates that records `relevance` on each document, removes
 * pruned-only and below-threshold ones, and adds the recall round's finds.
 */
export function relevanceSteps(
  ctx: RunContext,
  upstream: DocStep,
): { model: Step<ShardSpec>; docs: DocStep } | undefined {
  const config = relevanceConfigSchema.parse(ctx.loaded.config.relevance ?? {});
  if (!config.enabled) return undefined;
  const dir = join(ctx.paths.work, RELEVANCE);
  const summaryPath = join(dir, 'model.json');

  const model: Step<ShardSpec> = {
    name: RELEVANCE_MODEL,
    after: [upstream.name],
    barrier: true,
    listShards: async () => [{ id: 'model' }],
    outputPath: () => summaryPath,
    sidecarPaths: () => ({
      [WEIGHTS]: join(dir, 'weights.f32'),
      [JUDGEMENTS]: join(dir, 'judgements.jsonl.gz'),
      [RECALL]: join(dir, 'recall.jsonl.gz'),
    }),
    async runShard(_shard, work) {
      const { log, counters, signal } = work;
      const queries = new Map((await readAllJsonl<Query>(await ensureQueriesFile(ctx))).map(q => [q.id, q]));
      const candidates: CandidateInfo[] = [];
      for (const shard of await upstream.listShards()) {
        for await (const doc of shardDocs(ctx, upstream.name, shard.id))
          candidates.push({ id: doc.id, domain: doc.domain!, hits: doc.retrieval?.hits ?? [] });
      }
      const domains = [...new Set([...queries.values()].map(q => q.domain))].sort();
      const ingestFiles = ctx.state.markers(INGEST).map(m => m.output!.path);
      const indexSize = ctx.state.markers(INGEST).reduce((n, m) => n + m.records, 0);
      const scan = async function* (): AsyncIterable<Doc> {
        for (const file of ingestFiles) yield* readJsonl<Doc>(file);
      };

      // 1. Judge samples of each query's hits, and random index documents as controls on the judge.
      const picks = config.judge.per_query > 0 ? pickJudgements(candidates, queries, config.judge) : [];
      const controls =
        picks.length > 0
          ? pickControls(await indexIds(scan), candidates, domains, config.judge.controls_per_domain)
          : [];
      const judgements = new Map<string, Judgement>();
      const controlJudgements = new Map<string, Judgement>();
      const usage = emptyUsage();
      const controlUsage = emptyUsage();
      if (picks.length > 0) {
        const provider: LlmProvider | null = runProvider(ctx);
        if (!provider) {
          log.warn(
            'relevance: bootstrap.provider is none, so no LLM judgements: the classifier learns from weak labels only',
          );
        } else {
          try {
            const template = loadJudgeTemplate(
              provider.name === 'openai' ? config.judge.chat_prompt : config.judge.prompt,
            );
            const requests = await withExcerpts([...picks, ...controls], scan, config.judge.doc_words);
            log.info(
              `relevance: judging ${picks.length} (domain, document) pairs and ${controls.length} random controls with ${provider.name} ${provider.model}`,
            );
            const answers = await judgeAll(provider, template, requests, d => config.judge.topics[d] ?? d, {
              maxTokens: config.judge.max_tokens,
              seed: 1,
              signal,
              onProgress: (done, total) => {
                if (done % 25 === 0 || done === total) log.info(`relevance: judged ${done}/${total}`);
              },
            });
            answers.forEach((j, i) =>
              (i < picks.length ? judgements : controlJudgements).set(
                judgeKey(requests[i]!.domain, requests[i]!.doc_id),
                j,
              ),
            );
            tallyUsage(usage, answers.slice(0, picks.length));
            tallyUsage(controlUsage, answers.slice(picks.length));
          } finally {
            await provider.close();
          }
        }
      }
      countUsage(counters, usage, controlUsage);

      const warnings: RelevanceWarning[] = [];
      const judgeWarning = checkJudge(verdictTally(judgements), verdictTally(controlJudgements), {
        min_controls: config.guards.judge_min_controls,
        max_control_yes: config.guards.judge_max_control_yes,
        min_separation: config.guards.judge_min_separation,
      });
      if (judgeWarning) {
        warnings.push(judgeWarning);
        log.warn(`relevance: ${judgeWarning.message}; ${judgeWarning.action}`, {
          code: judgeWarning.code,
          ...judgeWarning.values,
        });
        counters.add('relevance.warning.judge_one_way');
      }
      const judgeInformative = !judgeWarning;

      // 2. Query yields and pruning: only a judge that discriminates prunes or labels.
      const allVerdicts = new Map([...judgements].map(([k, j]) => [k, j.on_domain]));
      const verdicts = judgeInformative ? allVerdicts : new Map<string, boolean | null>();
      const yields = queryYields(candidates, queries, allVerdicts, config.yield).map(y =>
        judgeInformative ? y : { ...y, pruned: false },
      );
      const pruned = new Set(yields.filter(y => y.pruned).map(y => y.query_id));
      counters.add('relevance.queries.pruned', pruned.size);
      if (pruned.size)
        log.info(`relevance: ${pruned.size} of ${yields.length} queries pruned (yield under ${config.yield.floor})`);

      // 3. Classifiers: a domain whose judgements found nothing on-domain is not trained.
      const domainSummary: RelevanceSummary['domains'] = {};
      const trainable: string[] = [];
      for (const d of domains) {
        const offOnly = judgedOffDomainOnly(d, verdicts);
        if (!config.classifier.enabled)
          domainSummary[d] = {
            threshold: null,
            bias: 0,
            weights_offset: null,
            skipped: 'relevance.classifier.enabled is false',
          };
        else if (offOnly > 0) {
          const why = `no positive judgements (${offOnly} judged, all off-domain): classifier skipped, its documents are kept unfiltered`;
          log.warn(`relevance: domain ${d}: ${why}`, { domain: d });
          domainSummary[d] = { threshold: null, bias: 0, weights_offset: null, skipped: why };
        } else trainable.push(d);
      }
      const evidence = domainEvidence(trainable, candidates, queries, pruned, verdicts, config.classifier);
      for (const d of trainable.filter(x => evidence.get(x)!.positives.size === 0)) {
        const why =
          'no positives (no on-domain judgement and no weak positive): classifier skipped, its documents are kept unfiltered';
        log.warn(`relevance: domain ${d}: ${why}`, { domain: d });
        domainSummary[d] = { threshold: null, bias: 0, weights_offset: null, skipped: why };
      }
      const candidateDomain = new Map(candidates.map(c => [c.id, c.domain]));
      const train = config.classifier.method === 'nb_em' ? trainNaiveBayes : trainClassifiers;
      const trained = await train({
        domains: trainable.filter(d => evidence.get(d)!.positives.size > 0),
        evidence,
        candidateDomain,
        scan: scan as () => AsyncIterable<TrainingDoc>,
        indexSize,
        config: config.classifier,
        log,
        signal,
      });
      const ordered: DomainClassifier[] = [...trained.values()].sort((a, b) => a.domain.localeCompare(b.domain));
      ordered.forEach((c, i) => {
        domainSummary[c.domain] = {
          threshold: Number.isFinite(c.threshold) ? c.threshold : null,
          bias: c.model.bias,
          weights_offset: i,
          stats: c.stats,
        };
        if (!Number.isFinite(c.threshold))
          domainSummary[c.domain]!.skipped =
            `no threshold reaches target_precision ${config.classifier.target_precision}: nothing passes`;
      });

      // 4. Every index document scored. The guards take out a classifier that stalled or flooded (its domain keeps
      // its retrieved set); the recall round adds what the remaining ones accept that no query reached.
      const retrievedOf = new Map<string, number>();
      for (const c of candidates) retrievedOf.set(c.domain, (retrievedOf.get(c.domain) ?? 0) + 1);
      const usable = ordered
        .filter(c => Number.isFinite(c.threshold))
        .map(c => ({ domain: c.domain, model: c.model, threshold: c.threshold }));
      const guarded = await guardedScoreIndex(
        scan,
        usable,
        featurizerOf(config.classifier),
        candidateDomain,
        config.classifier.method !== 'nb_em',
        { positives: d => evidence.get(d)?.positives.size ?? 0, retrieved: d => retrievedOf.get(d) ?? 0, indexSize },
        config.guards,
        signal,
      );
      for (const w of guarded.warnings) {
        warnings.push(w);
        log.warn(`relevance: ${w.message}; ${w.action}`, { code: w.code, domain: w.domain, ...w.values });
        const entry = domainSummary[w.domain!]!;
        entry.threshold = null;
        entry.skipped = `${w.code}: ${w.action}`;
        entry.fallback = 'retrieved';
        counters.add(`relevance.warning.${w.code}`);
      }
      for (const c of guarded.active) domainSummary[c.domain]!.accepted = guarded.accepted.get(c.domain) ?? 0;

      let recallDocs = 0;
      const recallWriter = await JsonlWriter.open(work.tempSidecars[RECALL]!);
      try {
        if (config.recall_round) {
          const found = guarded.found
            .map(({ doc, domain, margin, threshold }) => ({
              ...doc,
              domain,
              relevance: { score: round4(margin), threshold: round4(threshold), found_by: 'classifier' as const },
            }))
            .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          for (const doc of found) await recallWriter.write(doc);
          recallDocs = found.length;
          counters.add('relevance.recall_round.docs', recallDocs);
        }
      } finally {
        await recallWriter.close();
      }

      const judgementWriter = await JsonlWriter.open(work.tempSidecars[JUDGEMENTS]!);
      try {
        for (const [kind, map] of [
          ['hit', judgements],
          ['control', controlJudgements],
        ] as const) {
          for (const [key, j] of [...map].sort(([a], [b]) => a.localeCompare(b))) {
            const [domain, doc_id] = key.split('\u0000');
            await judgementWriter.write({
              domain,
              doc_id,
              kind,
              on_domain: j.on_domain,
              reason: j.reason,
              model: j.model,
              prompt_version: j.prompt_version,
            });
          }
        }
      } finally {
        await judgementWriter.close();
      }
      await writeFile(work.tempSidecars[WEIGHTS]!, packWeights(ordered));
      const summary: RelevanceSummary = {
        classifier: config.classifier,
        domains: Object.fromEntries(Object.entries(domainSummary).sort(([a], [b]) => a.localeCompare(b))),
        yields,
        pruned_queries: [...pruned].sort(),
        judge: {
          ...usage,
          calls: usage.calls + controlUsage.calls,
          cached: usage.cached + controlUsage.cached,
          prompt_tokens: usage.prompt_tokens + controlUsage.prompt_tokens,
          completion_tokens: usage.completion_tokens + controlUsage.completion_tokens,
          informative: judgeInformative,
          hits: verdictTally(judgements),
          controls: verdictTally(controlJudgements),
        },
        recall_round: config.recall_round ? { docs: recallDocs } : null,
        warnings,
      };
      await writeFile(work.tempOutput!, JSON.stringify(summary, null, 1) + '\n');
      return { records: ordered.length, meta: { pruned: pruned.size, recall_docs: recallDocs } };
    },
  };

  let loaded:
    | {
        summary: RelevanceSummary;
        classifiers: LoadedClassifier[];
        scoring: ReturnType<typeof scoringTableOf>;
        judgements: Map<string, Judgement>;
      }
    | undefined;
  const load = async () => {
    if (loaded) return loaded;
    const marker = ctx.state.read(RELEVANCE_MODEL, 'model');
    if (!marker?.output || !marker.sidecars) throw new Error(`${RELEVANCE_MODEL} is not complete`);
    const summary = JSON.parse(readFileSync(marker.output.path, 'utf8')) as RelevanceSummary;
    const judgements = new Map<string, Judgement>();
    for await (const j of readJsonl<Judgement & { domain: string; doc_id: string; kind?: string }>(
      marker.sidecars[JUDGEMENTS]!.path,
    )) {
      if (j.kind !== 'control') judgements.set(judgeKey(j.domain, j.doc_id), j);
    }
    const classifiers = loadClassifiers(summary, marker.sidecars[WEIGHTS]!.path);
    return (loaded = { summary, classifiers, scoring: scoringTableOf(classifiers), judgements });
  };

  const docs: DocStep = {
    name: RELEVANCE,
    docs: true,
    after: [upstream.name, RELEVANCE_MODEL],
    shardsFromInputs: true,
    listShards: () => upstream.listShards(),
    outputPath: shard => join(dir, `${shard.id}.jsonl.gz`),
    sidecarPaths: shard => ({ [REMOVED_SIDECAR]: join(dir, `${shard.id}.removed.jsonl.gz`) }),
    async runShard(shard, work) {
      const { summary, classifiers, scoring, judgements } = await load();
      const pruned = new Set(summary.pruned_queries);
      const trained = new Set(classifiers.map(c => c.domain));
      const featurizer = featurizerOf(summary.classifier);
      const shards = await upstream.listShards();
      const part = shards.findIndex(s => s.id === shard.id);
      const recall: Doc[] = [];
      const recallFile = ctx.state.read(RELEVANCE_MODEL, 'model')!.sidecars![RECALL]!.path;
      for await (const doc of readJsonl<Doc>(recallFile))
        if (Math.floor(position(doc.id) * shards.length) === part) recall.push(doc);

      const kept = await JsonlWriter.open(work.tempOutput!);
      const removed = await JsonlWriter.open(work.tempSidecars[REMOVED_SIDECAR]!);
      const c = work.counters;
      // The manifest gathers the document steps' counters: the model step's (judging, pruning) ride on shard 0.
      if (part === 0) {
        for (const [name, value] of Object.entries(ctx.state.read(RELEVANCE_MODEL, 'model')!.counters))
          c.add(name, value);
      }
      const keep = async (doc: Doc) => {
        c.add(`${RELEVANCE}.out`);
        c.add(`${RELEVANCE}.kept.${doc.relevance?.found_by ?? 'bm25'}`);
        await kept.write(doc);
      };
      const remove = async (r: Removal<Doc>) => {
        c.add(`${RELEVANCE}.removed.${r.rule}`);
        await removed.write(r);
      };
      let next = 0;
      const flushRecallBefore = async (id: string | undefined) => {
        while (next < recall.length && (id === undefined || recall[next]!.id < id)) {
          c.add(`${RELEVANCE}.in`);
          c.add(`${RELEVANCE}.added.recall_round`);
          await keep(recall[next++]!);
        }
      };
      try {
        for await (const doc of shardDocs(ctx, upstream.name, shard.id)) {
          await flushRecallBefore(doc.id);
          c.add(`${RELEVANCE}.in`);
          const j = judgements.get(judgeKey(doc.domain!, doc.id));
          const judge = j ? { on_domain: j.on_domain, reason: j.reason, model: j.model } : undefined;
          const hits = doc.retrieval?.hits ?? [];
          if (hits.length > 0 && hits.every(h => pruned.has(h.query_id))) {
            await remove({
              rule: 'relevance.pruned_query',
              reason: 'found only by queries whose judged yield is under relevance.yield.floor',
              record: { ...doc, relevance: { ...(judge ? { judge } : {}), found_by: 'bm25' } },
              values: { queries: hits.map(h => h.query_id) },
            });
            continue;
          }
          if (!trained.has(doc.domain!)) {
            await keep({ ...doc, relevance: { ...(judge ? { judge } : {}), found_by: 'bm25' } });
            continue;
          }
          const verdict = decide(
            scoring,
            featurizer.extract(doc.text),
            doc.domain,
            (summary.classifier.method ?? 'logistic') !== 'nb_em',
          );
          const relevance = {
            ...(judge ? { judge } : {}),
            score: round4(verdict.margin),
            threshold: round4(verdict.threshold),
            found_by: 'bm25' as const,
          };
          if (!verdict.domain) {
            await remove({
              rule: 'relevance.below_threshold',
              reason: `classifier score under the threshold of domain ${doc.domain} and of every other domain`,
              record: { ...doc, relevance },
              values: { score: relevance.score, threshold: relevance.threshold },
            });
            continue;
          }
          if (verdict.domain !== doc.domain) {
            c.add(`${RELEVANCE}.moved_domain`);
            await keep({ ...doc, domain: verdict.domain, relevance: { ...relevance, from_domain: doc.domain! } });
          } else await keep({ ...doc, relevance });
        }
        await flushRecallBefore(undefined);
      } finally {
        await kept.close();
        await removed.close();
      }
      return { records: kept.records, meta: { removed: removed.records } };
    },
  };
  return { model, docs };
}
