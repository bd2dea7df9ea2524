import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAllJsonl, readJsonl } from '../../core/jsonl.js';
import type { ShardWork } from '../runner.js';
import type { Doc, Query } from '../../core/types.js';
import type { RelevanceConfig } from '../../stages/relevance/config.js';
import { EmbedderUnavailableError } from '../../stages/relevance/embed.js';
import { sampleTexts } from '../../stages/relevance/estimate.js';
import {
  emptyUsage,
  judgeAll,
  loadJudgeTemplate,
  tallyUsage,
  type JudgeRequest,
  type JudgeUsage,
} from '../../stages/relevance/judge.js';
import type { RelevanceSummary } from '../../stages/relevance/model-file.js';
import { judgeSemantically } from '../../stages/relevance/semantic-judge.js';
import { ensureQueriesFile } from './bootstrap.js';
import type { RunContext } from './context.js';
import { INGEST } from './ingest.js';
import { runProvider } from './provider.js';
import { RELEVANCE_MODEL } from './relevance.js';

/** What the estimate's judge said of each request, in order, and who it was. */
export interface EstimateAnswers {
  verdicts: (boolean | null)[];
  meta: {
    reliable: boolean;
    why_unreliable?: string;
    judge: 'semantic' | 'llm';
    model: string | null;
    embedded: number;
    embed_cache_hits: number;
    usage: JudgeUsage;
  };
}

const noAnswers = (n: number, judge: 'semantic' | 'llm', why: string): EstimateAnswers => ({
  verdicts: new Array<null>(n).fill(null),
  meta: {
    reliable: false,
    why_unreliable: why,
    judge,
    model: null,
    embedded: 0,
    embed_cache_hits: 0,
    usage: emptyUsage(),
  },
});

/** Sentence-embedding verdicts (stages/relevance/semantic-judge.ts) against the run's queries and random index documents. */
export async function semanticAnswers(
  ctx: RunContext,
  config: RelevanceConfig,
  requests: (JudgeRequest & { text: string })[],
  work: ShardWork,
): Promise<EstimateAnswers> {
  const queries = new Map<string, string[]>();
  for (const q of await readAllJsonl<Query>(await ensureQueriesFile(ctx)))
    queries.set(q.domain, [...(queries.get(q.domain) ?? []), q.text]);
  if (queries.size < 2) {
    const why = `the semantic judge compares a run's domains, and this run has ${queries.size}; set relevance.estimate.judge: llm with a capable model`;
    work.log.warn(`relevance: no precision estimate: ${why}`, { code: 'no_estimate' });
    return noAnswers(requests.length, 'semantic', why);
  }
  const ingestFiles = ctx.state.markers(INGEST).map(m => m.output!.path);
  const index = async function* (): AsyncIterable<Doc> {
    for (const file of ingestFiles) yield* readJsonl<Doc>(file);
  };
  const controls = await sampleTexts(index(), config.estimate.semantic.controls, '', 'estimate-controls');
  work.log.info(
    `relevance: judging ${requests.length} sampled documents by sentence embeddings (${queries.size} domains, ${controls.length} random index documents as baseline)`,
  );
  try {
    const res = await judgeSemantically(requests, queries, controls, {
      ...config.estimate.semantic,
      cacheDir: join(ctx.loaded.cacheDir, 'embed'),
      onProgress: (done, total) => work.log.debug?.(`relevance: estimate: ${done} of ${total} judged`),
    });
    return {
      verdicts: res.verdicts,
      meta: {
        reliable: true,
        judge: 'semantic',
        model: res.model,
        embedded: res.embedded,
        embed_cache_hits: res.cache_hits,
        usage: emptyUsage(),
      },
    };
  } catch (err) {
    if (!(err instanceof EmbedderUnavailableError)) throw err;
    const why = `${err.message}; \`npm run setup\` installs it`;
    work.log.warn(`relevance: no precision estimate: ${why}`, { code: 'no_estimate' });
    return noAnswers(requests.length, 'semantic', why);
  }
}

/** LLM verdicts with the judge prompt; none are asked when the loop found the judge answers one way. */
export async function llmAnswers(
  ctx: RunContext,
  config: RelevanceConfig,
  requests: JudgeRequest[],
  work: ShardWork,
): Promise<EstimateAnswers> {
  const model = ctx.state.read(RELEVANCE_MODEL, 'model');
  const summary = model?.output ? (JSON.parse(readFileSync(model.output.path, 'utf8')) as RelevanceSummary) : undefined;
  // A judge that does not tell hits from random documents would only put noise in the figures.
  const judgeWarning = summary?.warnings?.find(w => w.code === 'judge_one_way');
  if (judgeWarning) {
    work.log.warn(`relevance: no precision estimate: ${judgeWarning.message}`, { code: 'no_estimate' });
    return noAnswers(requests.length, 'llm', judgeWarning.message);
  }
  const usage = emptyUsage();
  const verdicts: (boolean | null)[] = new Array<null>(requests.length).fill(null);
  const provider = requests.length > 0 ? runProvider(ctx) : null;
  if (provider) {
    try {
      const template = loadJudgeTemplate(provider.name === 'openai' ? config.judge.chat_prompt : config.judge.prompt);
      work.log.info(`relevance: judging ${requests.length} sampled documents to estimate each domain's precision`);
      const answers = await judgeAll(provider, template, requests, d => config.judge.topics[d] ?? d, {
        maxTokens: config.judge.max_tokens,
        seed: 1,
        signal: work.signal,
      });
      tallyUsage(usage, answers);
      answers.forEach((j, i) => (verdicts[i] = j.on_domain));
    } finally {
      await provider.close();
    }
  }
  return {
    verdicts,
    meta: { reliable: true, judge: 'llm', model: usage.model, embedded: 0, embed_cache_hits: 0, usage },
  };
}
