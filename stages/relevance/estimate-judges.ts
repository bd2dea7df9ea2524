import type { Doc, Logger } from '../../core/types.js';
import type { LlmProvider } from '../bootstrap/providers/types.js';
import type { RelevanceConfig } from './config.js';
import { EmbedderUnavailableError } from './embed.js';
import { sampleTexts } from './estimate.js';
import { emptyUsage, judgeAll, type JudgeRequest, type JudgeUsage, loadJudgeTemplate, tallyUsage } from './judge.js';
import type { RelevanceSummary } from './model-file.js';
import { judgeSemantically } from './semantic-judge.js';

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

export interface EstimateJudgeContext {
  config: RelevanceConfig;
  log: Logger;
  signal: AbortSignal;
}

/** Sentence-embedding verdicts (semantic-judge.ts) against the run's queries and random index documents. */
export async function semanticAnswers(
  requests: (JudgeRequest & { text: string })[],
  run: {
    /** The run's query texts, by domain. */
    queries: Map<string, string[]>;
    index: AsyncIterable<Doc>;
    /** The folder of the sentence-embedding cache. */
    embedCacheDir: string;
  },
  work: EstimateJudgeContext,
): Promise<EstimateAnswers> {
  const { config, log } = work;
  const { queries } = run;
  if (queries.size < 2) {
    const why = `the semantic judge compares a run's domains, and this run has ${queries.size}; set relevance.estimate.judge: llm with a capable model`;
    log.warn(`relevance: no precision estimate: ${why}`, { code: 'no_estimate' });
    return noAnswers(requests.length, 'semantic', why);
  }
  const controls = await sampleTexts(run.index, config.estimate.semantic.controls, '', 'estimate-controls');
  log.info(
    `relevance: judging ${requests.length} sampled documents by sentence embeddings (${queries.size} domains, ${controls.length} random index documents as baseline)`,
  );
  try {
    const res = await judgeSemantically(requests, queries, controls, {
      ...config.estimate.semantic,
      cacheDir: run.embedCacheDir,
      onProgress: (done, total) => log.debug?.(`relevance: estimate: ${done} of ${total} judged`),
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
    log.warn(`relevance: no precision estimate: ${why}`, { code: 'no_estimate' });
    return noAnswers(requests.length, 'semantic', why);
  }
}

/** LLM verdicts with the judge prompt; none are asked when the loop found the judge answers one way. */
export async function llmAnswers(
  requests: JudgeRequest[],
  run: {
    /** The loop's model summary, when it ran. */
    summary: RelevanceSummary | undefined;
    provider: () => LlmProvider | null;
  },
  work: EstimateJudgeContext,
): Promise<EstimateAnswers> {
  const { config, log } = work;
  const { summary } = run;
  // A judge that does not tell hits from random documents would only put noise in the figures.
  const judgeWarning = summary?.warnings?.find(w => w.code === 'judge_one_way');
  if (judgeWarning) {
    log.warn(`relevance: no precision estimate: ${judgeWarning.message}`, { code: 'no_estimate' });
    return noAnswers(requests.length, 'llm', judgeWarning.message);
  }
  const usage = emptyUsage();
  const verdicts: (boolean | null)[] = new Array<null>(requests.length).fill(null);
  const provider = requests.length > 0 ? run.provider() : null;
  if (provider) {
    try {
      const template = loadJudgeTemplate(provider.name === 'openai' ? config.judge.chat_prompt : config.judge.prompt);
      log.info(`relevance: judging ${requests.length} sampled documents to estimate each domain's precision`);
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
