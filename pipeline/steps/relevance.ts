import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonlWriter, readAllJsonl, readJsonl } from '../jsonl.js';
import type { ShardSpec, Step } from '../runner.js';
import type { Doc, Query, Removal } from '../types.js';
import { createProvider, type LlmProvider } from '../../stages/bootstrap/index.js';
import { relevanceConfigSchema } from '../../stages/relevance/config.js';
import { domainEvidence, judgedOffDomainOnly, judgeKey, pickJudgements, queryYields, type CandidateInfo } from '../../stages/relevance/evidence.js';
import { judgeExcerpt, judgeOne, loadJudgeTemplate, type Judgement } from '../../stages/relevance/judge.js';
import { decide, loadClassifiers, packWeights, scoringTableOf, type LoadedClassifier, type RelevanceSummary } from '../../stages/relevance/model-file.js';
import { featurizerOf, trainClassifiers, type DomainClassifier, type TrainingDoc } from '../../stages/relevance/train.js';
import { trainNaiveBayes } from '../../stages/relevance/train-nb.js';
import { ensureQueriesFile } from './bootstrap.js';
import { CANDIDATES, position } from './candidates.js';
import type { RunContext } from './context.js';
import { REMOVED_SIDECAR, shardDocs, type DocStep } from './doc-steps.js';
import { INGEST } from './ingest.js';

export const RELEVANCE_MODEL = 'relevance_model';
export const RELEVANCE = 'relevance';
const WEIGHTS = 'weights';
const JUDGEMENTS = 'judgements';
const RECALL = 'recall';

const round4 = (x: number) => Number(x.toFixed(4));

/**
 * The relevance loop, when `relevance.enabled`: a barrier step that judges samples of each query's hits,
 * computes query yields, prunes, trains the per-domain classifiers and (recall round) scores the whole
 * index; then a document step over the candidates that records `relevance` on each document, removes
 * pruned-only and below-threshold ones, and adds the recall round's finds.
 */
export function relevanceSteps(ctx: RunContext, upstream: DocStep): { model: Step<ShardSpec>; docs: DocStep } | undefined {
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
    sidecarPaths: () => ({ [WEIGHTS]: join(dir, 'weights.f32'), [JUDGEMENTS]: join(dir, 'judgements.jsonl.gz'), [RECALL]: join(dir, 'recall.jsonl.gz') }),
    async runShard(_shard, work) {
      const { log, counters, signal } = work;
      const queries = new Map((await readAllJsonl<Query>(await ensureQueriesFile(ctx))).map((q) => [q.id, q]));
      const candidates: CandidateInfo[] = [];
      for (const shard of await upstream.listShards()) {
        for await (const doc of shardDocs(ctx, upstream.name, shard.id)) candidates.push({ id: doc.id, domain: doc.domain!, hits: doc.retrieval?.hits ?? [] });
      }
      const domains = [...new Set([...queries.values()].map((q) => q.domain))].sort();

      // 1. Judge samples of each query's hits.
      const picks = config.judge.per_query > 0 ? pickJudgements(candidates, queries, config.judge) : [];
      const judgements = new Map<string, Judgement>();
      const usage = { judged: 0, on_domain: 0, off_domain: 0, unreadable: 0, calls: 0, cached: 0, prompt_tokens: 0, completion_tokens: 0, model: null as string | null, prompt_version: null as string | null };
      if (picks.length > 0) {
        const provider: LlmProvider | null = createProvider(ctx.loaded.config.bootstrap, { cacheDir: join(ctx.loaded.cacheDir, 'llm') });
        if (!provider) {
          log.warn('relevance: bootstrap.provider is none, so no LLM judgements: the classifier learns from weak labels only');
        } else {
          try {
            const template = loadJudgeTemplate(provider.name === 'openai' ? config.judge.chat_prompt : config.judge.prompt);
            const wanted = new Map(picks.map((p) => [p.doc_id, p]));
            const texts = new Map<string, string>();
            for (const shard of await upstream.listShards()) {
              for await (const doc of shardDocs(ctx, upstream.name, shard.id)) if (wanted.has(doc.id)) texts.set(doc.id, judgeExcerpt(doc.text, config.judge.doc_words));
            }
            log.info(`relevance: judging ${picks.length} (domain, document) pairs with ${provider.name} ${provider.model}`);
            let done = 0;
            await Promise.all(
              picks.map(async (p) => {
                const topic = config.judge.topics[p.domain] ?? p.domain;
                const j = await judgeOne(provider, template, topic, texts.get(p.doc_id)!, { maxTokens: config.judge.max_tokens, seed: 1, signal });
                judgements.set(judgeKey(p.domain, p.doc_id), j);
                done++;
                if (done % 25 === 0 || done === picks.length) log.info(`relevance: judged ${done}/${picks.length}`);
              }),
            );
            for (const j of judgements.values()) {
              usage.judged++;
              if (j.on_domain === true) usage.on_domain++;
              else if (j.on_domain === false) usage.off_domain++;
              else usage.unreadable++;
              if (j.cached) usage.cached++;
              else usage.calls++;
              // Tokens of cached answers too: the cost of the judgements, whichever run paid it.
              usage.prompt_tokens += j.prompt_tokens;
              usage.completion_tokens += j.completion_tokens;
              usage.model = j.model;
              usage.prompt_version = j.prompt_version;
            }
          } finally {
            await provider.close();
          }
        }
      }
      counters.add('relevance.judge.pairs', usage.judged);
      counters.add('relevance.judge.on_domain', usage.on_domain);
      counters.add('relevance.judge.off_domain', usage.off_domain);
      counters.add('relevance.judge.unreadable', usage.unreadable);
      counters.add('relevance.judge.llm_calls', usage.calls);
      counters.add('relevance.judge.llm_cache_hits', usage.cached);
      counters.add('relevance.judge.prompt_tokens', usage.prompt_tokens);
      counters.add('relevance.judge.completion_tokens', usage.completion_tokens);

      // 2. Query yields and pruning.
      const verdicts = new Map([...judgements].map(([k, j]) => [k, j.on_domain]));
      const yields = queryYields(candidates, queries, verdicts, config.yield);
      const pruned = new Set(yields.filter((y) => y.pruned).map((y) => y.query_id));
      counters.add('relevance.queries.pruned', pruned.size);
      if (pruned.size) log.info(`relevance: ${pruned.size} of ${yields.length} queries pruned (yield under ${config.yield.floor})`);

      // 3. Classifiers: a domain whose judgements found nothing on-domain is not trained.
      const domainSummary: RelevanceSummary['domains'] = {};
      const trainable: string[] = [];
      for (const d of domains) {
        const offOnly = judgedOffDomainOnly(d, verdicts);
        if (!config.classifier.enabled) domainSummary[d] = { threshold: null, bias: 0, weights_offset: null, skipped: 'relevance.classifier.enabled is false' };
        else if (offOnly > 0) {
          const why = `no positive judgements (${offOnly} judged, all off-domain): classifier skipped, its documents are kept unfiltered`;
          log.warn(`relevance: domain ${d}: ${why}`, { domain: d });
          domainSummary[d] = { threshold: null, bias: 0, weights_offset: null, skipped: why };
        } else trainable.push(d);
      }
      const evidence = domainEvidence(trainable, candidates, queries, pruned, verdicts, config.classifier);
      for (const d of trainable.filter((x) => evidence.get(x)!.positives.size === 0)) {
        const why = 'no positives (no on-domain judgement and no weak positive): classifier skipped, its documents are kept unfiltered';
        log.warn(`relevance: domain ${d}: ${why}`, { domain: d });
        domainSummary[d] = { threshold: null, bias: 0, weights_offset: null, skipped: why };
      }
      const ingestFiles = ctx.state.markers(INGEST).map((m) => m.output!.path);
      const indexSize = ctx.state.markers(INGEST).reduce((n, m) => n + m.records, 0);
      const scan = async function* (): AsyncIterable<Doc> {
        for (const file of ingestFiles) yield* readJsonl<Doc>(file);
      };
      const train = config.classifier.method === 'nb_em' ? trainNaiveBayes : trainClassifiers;
      const trained = await train({
        domains: trainable.filter((d) => evidence.get(d)!.positives.size > 0),
        evidence,
        candidateDomain: new Map(candidates.map((c) => [c.id, c.domain])),
        scan: scan as () => AsyncIterable<TrainingDoc>,
        indexSize,
        config: config.classifier,
        log,
        signal,
      });
      const ordered: DomainClassifier[] = [...trained.values()].sort((a, b) => a.domain.localeCompare(b.domain));
      ordered.forEach((c, i) => {
        domainSummary[c.domain] = { threshold: Number.isFinite(c.threshold) ? c.threshold : null, bias: c.model.bias, weights_offset: i, stats: c.stats };
        if (!Number.isFinite(c.threshold)) domainSummary[c.domain]!.skipped = `no threshold reaches target_precision ${config.classifier.target_precision}: nothing passes`;
      });

      // 4. Recall round: index documents no kept query reached, on-domain by a classifier.
      let recallDocs = 0;
      const recallWriter = await JsonlWriter.open(work.tempSidecars[RECALL]!);
      try {
        if (config.recall_round && ordered.length > 0) {
          const classifiers = scoringTableOf(ordered.filter((c) => Number.isFinite(c.threshold)).map((c) => ({ domain: c.domain, model: c.model, threshold: c.threshold })));
          const isCandidate = new Set(candidates.map((c) => c.id));
          const featurizer = featurizerOf(config.classifier);
          const found: Doc[] = [];
          const seen = new Set<string>();
          for await (const doc of scan()) {
            if (isCandidate.has(doc.id) || seen.has(doc.id)) continue;
            seen.add(doc.id);
            const verdict = decide(classifiers, featurizer.extract(doc.text), undefined, config.classifier.method !== 'nb_em');
            if (!verdict.domain) continue;
            found.push({ ...doc, domain: verdict.domain, relevance: { score: round4(verdict.margin), threshold: round4(verdict.threshold), found_by: 'classifier' } });
          }
          found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          for (const doc of found) await recallWriter.write(doc);
          recallDocs = found.length;
          counters.add('relevance.recall_round.docs', recallDocs);
        }
      } finally {
        await recallWriter.close();
      }

      const judgementWriter = await JsonlWriter.open(work.tempSidecars[JUDGEMENTS]!);
      try {
        for (const [key, j] of [...judgements].sort(([a], [b]) => a.localeCompare(b))) {
          const [domain, doc_id] = key.split('\u0000');
          await judgementWriter.write({ domain, doc_id, on_domain: j.on_domain, reason: j.reason, model: j.model, prompt_version: j.prompt_version });
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
        judge: usage,
        recall_round: config.recall_round ? { docs: recallDocs } : null,
      };
      await writeFile(work.tempOutput!, JSON.stringify(summary, null, 1) + '\n');
      return { records: ordered.length, meta: { pruned: pruned.size, recall_docs: recallDocs } };
    },
  };

  let loaded: { summary: RelevanceSummary; classifiers: LoadedClassifier[]; scoring: ReturnType<typeof scoringTableOf>; judgements: Map<string, Judgement> } | undefined;
  const load = async () => {
    if (loaded) return loaded;
    const marker = ctx.state.read(RELEVANCE_MODEL, 'model');
    if (!marker?.output || !marker.sidecars) throw new Error(`${RELEVANCE_MODEL} is not complete`);
    const summary = JSON.parse(readFileSync(marker.output.path, 'utf8')) as RelevanceSummary;
    const judgements = new Map<string, Judgement>();
    for await (const j of readJsonl<Judgement & { domain: string; doc_id: string }>(marker.sidecars[JUDGEMENTS]!.path)) judgements.set(judgeKey(j.domain, j.doc_id), j);
    const classifiers = loadClassifiers(summary, marker.sidecars[WEIGHTS]!.path);
    return (loaded = { summary, classifiers, scoring: scoringTableOf(classifiers), judgements });
  };

  const docs: DocStep = {
    name: RELEVANCE,
    docs: true,
    after: [upstream.name, RELEVANCE_MODEL],
    shardsFromInputs: true,
    listShards: () => upstream.listShards(),
    outputPath: (shard) => join(dir, `${shard.id}.jsonl.gz`),
    sidecarPaths: (shard) => ({ [REMOVED_SIDECAR]: join(dir, `${shard.id}.removed.jsonl.gz`) }),
    async runShard(shard, work) {
      const { summary, classifiers, scoring, judgements } = await load();
      const pruned = new Set(summary.pruned_queries);
      const trained = new Set(classifiers.map((c) => c.domain));
      const featurizer = featurizerOf(summary.classifier);
      const shards = await upstream.listShards();
      const part = shards.findIndex((s) => s.id === shard.id);
      const recall: Doc[] = [];
      const recallFile = ctx.state.read(RELEVANCE_MODEL, 'model')!.sidecars![RECALL]!.path;
      for await (const doc of readJsonl<Doc>(recallFile)) if (Math.floor(position(doc.id) * shards.length) === part) recall.push(doc);

      const kept = await JsonlWriter.open(work.tempOutput!);
      const removed = await JsonlWriter.open(work.tempSidecars[REMOVED_SIDECAR]!);
      const c = work.counters;
      // The manifest gathers the document steps' counters: the model step's (judging, pruning) ride on shard 0.
      if (part === 0) {
        for (const [name, value] of Object.entries(ctx.state.read(RELEVANCE_MODEL, 'model')!.counters)) c.add(name, value);
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
          if (hits.length > 0 && hits.every((h) => pruned.has(h.query_id))) {
            await remove({
              rule: 'relevance.pruned_query',
              reason: 'found only by queries whose judged yield is under relevance.yield.floor',
              record: { ...doc, relevance: { ...(judge ? { judge } : {}), found_by: 'bm25' } },
              values: { queries: hits.map((h) => h.query_id) },
            });
            continue;
          }
          if (!trained.has(doc.domain!)) {
            await keep({ ...doc, relevance: { ...(judge ? { judge } : {}), found_by: 'bm25' } });
            continue;
          }
          const verdict = decide(scoring, featurizer.extract(doc.text), doc.domain, (summary.classifier.method ?? 'logistic') !== 'nb_em');
          const relevance = { ...(judge ? { judge } : {}), score: round4(verdict.margin), threshold: round4(verdict.threshold), found_by: 'bm25' as const };
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
