import type { Counters, Doc, Logger, Query } from '../../core/types.js';
import type { LlmProvider } from '../bootstrap/providers/types.js';
import type { RelevanceConfig } from './config.js';
import { type CandidateInfo, judgeKey, type JudgePick, pickControls, pickJudgements } from './evidence.js';
import {
  emptyUsage,
  judgeAll,
  judgeExcerpt,
  type Judgement,
  type JudgeRequest,
  type JudgeUsage,
  loadJudgeTemplate,
  tallyUsage,
} from './judge.js';

/** The judged sample of the loop: verdicts on hits and on random index documents (controls), and their cost. */
export interface SampleJudgements {
  hits: Map<string, Judgement>;
  controls: Map<string, Judgement>;
  hitUsage: JudgeUsage;
  controlUsage: JudgeUsage;
}

async function indexIds(scan: () => AsyncIterable<Doc>, pool?: (id: string) => boolean): Promise<string[]> {
  const ids = new Set<string>();
  for await (const doc of scan()) if (!pool || pool(doc.id)) ids.add(doc.id);
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

export interface JudgeSampleInputs {
  config: RelevanceConfig;
  candidates: CandidateInfo[];
  queries: Map<string, Query>;
  domains: string[];
  /** Every index document, once per call. */
  scan: () => AsyncIterable<Doc>;
  /** The scan's documents controls may be (a sampled scan: the random sample, not the added candidates). */
  controlPool?: (id: string) => boolean;
  /** Opened only when there is something to judge; closed here. */
  provider: () => LlmProvider | null;
  log: Logger;
  counters: Counters;
  signal: AbortSignal;
}

/** Judges samples of each query's hits, and random index documents as controls on the judge. */
export async function judgeSamples(inp: JudgeSampleInputs): Promise<SampleJudgements> {
  const { config, log } = inp;
  const picks = config.judge.per_query > 0 ? pickJudgements(inp.candidates, inp.queries, config.judge) : [];
  const controls =
    picks.length > 0
      ? pickControls(
          await indexIds(inp.scan, inp.controlPool),
          inp.candidates,
          inp.domains,
          config.judge.controls_per_domain,
        )
      : [];
  const out: SampleJudgements = {
    hits: new Map(),
    controls: new Map(),
    hitUsage: emptyUsage(),
    controlUsage: emptyUsage(),
  };
  if (picks.length > 0) {
    const provider = inp.provider();
    if (!provider) {
      log.warn(
        'relevance: bootstrap.provider is none, so no LLM judgements: the classifier learns from weak labels only',
      );
    } else {
      try {
        const template = loadJudgeTemplate(provider.name === 'openai' ? config.judge.chat_prompt : config.judge.prompt);
        const requests = await withExcerpts([...picks, ...controls], inp.scan, config.judge.doc_words);
        log.info(
          `relevance: judging ${picks.length} (domain, document) pairs and ${controls.length} random controls with ${provider.name} ${provider.model}`,
        );
        const answers = await judgeAll(provider, template, requests, d => config.judge.topics[d] ?? d, {
          maxTokens: config.judge.max_tokens,
          seed: 1,
          signal: inp.signal,
          onProgress: (done, total) => {
            if (done % 25 === 0 || done === total) log.info(`relevance: judged ${done}/${total}`);
          },
        });
        answers.forEach((j, i) =>
          (i < picks.length ? out.hits : out.controls).set(judgeKey(requests[i]!.domain, requests[i]!.doc_id), j),
        );
        tallyUsage(out.hitUsage, answers.slice(0, picks.length));
        tallyUsage(out.controlUsage, answers.slice(picks.length));
      } finally {
        await provider.close();
      }
    }
  }
  countUsage(inp.counters, out.hitUsage, out.controlUsage);
  return out;
}
