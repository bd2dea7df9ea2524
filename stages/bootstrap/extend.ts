/**
 * Query bootstrapping for a block of seeds: each seed, then LLM-written questions about its topic
 * (question extension, round 1), then sub-questions of those questions (thought generation, rounds
 * 2..), all as queries with lineage.
 */
import { createHash } from 'node:crypto';
import { byYield, readQueryYields } from './parent-yields.js';
import type { Query, Seed, StageContext } from '../../core/types.js';
import { sharesContentTerm } from '../shared/terms.js';
import { bootstrapConfigSchema, type BootstrapConfigInput } from './config.js';
import { normaliseQueryText, parseQuestions } from './parse.js';
import { loadTemplate, renderPrompt, renderQuestionPrompt, type PromptTemplate } from './prompt.js';
import { parseThought } from './thoughts.js';
import type { CompletionResult, LlmProvider } from './providers/types.js';

export type BootstrapContext = StageContext<BootstrapConfigInput> & {
  provider: LlmProvider | null;
  /** Most queries this seed may yield (its share of `max_queries_per_domain`); undefined = no cap. */
  quotaFor?: (seed: Seed) => number | undefined;
};

/** `q-` + 12 hex of sha1(domain NUL lower-cased normalised text): case variants share an id. */
export function queryId(domain: string, text: string): string {
  const key = `${domain}\u0000${normaliseQueryText(text).toLowerCase()}`;
  return `q-${createHash('sha1').update(key).digest('hex').slice(0, 12)}`;
}

/** The sampling seed of one completion: a 31-bit integer from base_seed, seed id and sample index. */
export function samplingSeed(baseSeed: number, seedId: string, sample: number): number {
  const h = createHash('sha256').update(`${baseSeed}\u0000${seedId}\u0000${sample}`).digest();
  return h.readUInt32BE(0) & 0x7fffffff;
}

export async function* extendQuestions(seeds: AsyncIterable<Seed>, ctx: BootstrapContext): AsyncGenerator<Query> {
  const config = bootstrapConfigSchema.parse(ctx.config);
  const { counters, log, provider } = ctx;
  const useLlm = config.provider !== 'none' && config.samples_per_seed + config.thought_rounds > 0;
  if (useLlm && !provider) {
    throw new Error(`bootstrap: provider '${config.provider}' is configured but no LLM provider was given`);
  }
  const template = useLlm && config.samples_per_seed > 0 ? loadTemplate(config.prompt) : undefined;
  const thoughtTemplate =
    useLlm && config.thought_rounds > 0 ? loadTemplate(config.thought_prompt, 'question') : undefined;
  const parentYields =
    thoughtTemplate && config.thought_parents_by_yield ? readQueryYields(config.thought_parents_by_yield) : undefined;
  const model = provider ? `${provider.name}:${provider.model}` : undefined;
  const seen = new Set<string>();
  const removeDropped = (rule: string, reason: string, record: unknown, values?: Record<string, unknown>) =>
    ctx.remove?.({ rule, reason, record, ...(values ? { values } : {}) });

  /** The query if it is new in this run; otherwise counted as a duplicate. */
  const admit = (q: Query): Query | undefined => {
    const key = q.id;
    if (seen.has(key)) {
      counters.add('bootstrap.duplicates');
      removeDropped('bootstrap.duplicate', 'same question (case-insensitive) already emitted in this run', q);
      return undefined;
    }
    seen.add(key);
    counters.add('bootstrap.queries');
    counters.add(`bootstrap.queries.${q.lineage.method}`);
    return q;
  };

  /** Several completions at once (the provider limits concurrency); results in request order. */
  const completeAll = async (
    prompts: { prompt: string; seed: number; maxTokens: number; about: string }[],
  ): Promise<CompletionResult[]> => {
    const settled = await Promise.allSettled(
      prompts.map(p =>
        provider!.complete({
          prompt: p.prompt,
          maxTokens: p.maxTokens,
          temperature: config.temperature,
          seed: p.seed,
          stop: config.stop,
          signal: ctx.signal,
          about: p.about,
        }),
      ),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const results = settled.map(r => (r as PromiseFulfilledResult<CompletionResult>).value);
    for (const res of results) {
      counters.add(res.cached ? 'bootstrap.llm_cache_hits' : 'bootstrap.llm_calls');
      counters.add('bootstrap.prompt_tokens', res.promptTokens);
      counters.add('bootstrap.completion_tokens', res.completionTokens);
      if (!res.cached) {
        const cost =
          (res.promptTokens * config.price_per_1k_prompt_tokens +
            res.completionTokens * config.price_per_1k_completion_tokens) /
          1000;
        if (cost > 0) counters.add('bootstrap.cost_estimate_micro', Math.round(cost * 1e6));
      }
      if (res.finishReason === 'length') counters.add('bootstrap.finish_length');
    }
    return results;
  };

  for await (const seed of seeds) {
    ctx.signal.throwIfAborted();
    counters.add('bootstrap.seeds');
    const quota = ctx.quotaFor?.(seed) ?? Infinity;
    let yielded = 0;
    /** Admit a generated query unless the seed's share of the domain budget is spent. */
    const take = (q: Query): Query | undefined => {
      if (yielded >= quota) {
        counters.add('bootstrap.budget.domain_quota');
        removeDropped(
          'bootstrap.budget.domain_quota',
          'the seed used its share of bootstrap.max_queries_per_domain',
          q,
        );
        return undefined;
      }
      const kept = admit(q);
      if (kept) yielded += 1;
      return kept;
    };
    const drop = (reason: string, values: Record<string, unknown>) => {
      counters.add(`bootstrap.parse.${reason}`);
      removeDropped(`bootstrap.parse.${reason}`, `generated line dropped: ${reason}`, { seed_id: seed.id, ...values });
    };

    const seedQuery: Query = {
      id: queryId(seed.domain, normaliseQueryText(seed.text)),
      domain: seed.domain,
      text: normaliseQueryText(seed.text),
      lineage: { seed_id: seed.id, round: 0, method: 'seed' },
    };
    if (config.include_seeds) {
      const q = take(seedQuery);
      if (q) yield q;
    }
    if (!provider) continue;

    let previous: Query[] = [];
    if (template && yielded < quota) {
      const started = Date.now();
      const requests = Array.from({ length: config.samples_per_seed }, (_, sample) => ({
        prompt: renderPrompt(template, seed),
        seed: samplingSeed(config.base_seed, seed.id, sample),
        maxTokens: config.max_tokens,
        about: `question extension of seed ${seed.id} (${seed.domain}: ${JSON.stringify(seed.text)}), sample ${sample}`,
      }));
      const results = await completeAll(requests);
      for (const [sample, res] of results.entries()) {
        const sampling_seed = requests[sample]!.seed;
        const lines = parseQuestions(res.text, {
          minWords: config.min_query_words,
          maxWords: config.max_query_words,
          truncated: res.finishReason === 'length',
        });
        let accepted = 0;
        for (const line of lines) {
          if (!line.drop && config.require_seed_overlap && !sharesContentTerm(seed.text, line.text))
            line.drop = 'off_topic';
          if (line.drop) {
            drop(line.drop, { sampling_seed, text: line.text });
            continue;
          }
          const q = take({
            id: queryId(seed.domain, line.text),
            domain: seed.domain,
            text: line.text,
            lineage: {
              seed_id: seed.id,
              round: 1,
              method: 'question_extension',
              prompt_version: template.version,
              model,
              sampling_seed,
            },
          });
          if (q) {
            accepted += 1;
            previous.push(q);
            yield q;
          }
        }
        if (accepted === 0) counters.add('bootstrap.empty_completions');
        const completion = {
          seed_id: seed.id,
          sample,
          sampling_seed,
          lines: lines.length,
          accepted,
          finish: res.finishReason,
          cached: res.cached ?? false,
          ms: Date.now() - started,
        };
        // Per completion: the JSON log, not the terminal.
        if (log.debug) log.debug('bootstrap: completion', completion);
        else log.info('bootstrap: completion', completion);
      }
    }

    if (!thoughtTemplate) continue;
    if (seed.type === 'question' && config.include_seeds) previous.unshift(seedQuery);
    for (let round = 2; round <= config.thought_rounds + 1 && previous.length > 0 && yielded < quota; round++) {
      ctx.signal.throwIfAborted();
      const ranked = parentYields ? byYield(previous, parentYields) : previous;
      previous = yield* thinkRound(round, ranked.slice(0, config.thought_parents_per_seed), thoughtTemplate);
    }

    async function* thinkRound(round: number, parents: Query[], t: PromptTemplate): AsyncGenerator<Query, Query[]> {
      const started = Date.now();
      const requests = parents.flatMap(parent =>
        Array.from({ length: config.thought_samples }, (_, sample) => ({
          parent,
          prompt: renderQuestionPrompt(t, parent.text, seed),
          seed: samplingSeed(config.base_seed, `${seed.id}/${parent.id}/r${round}`, sample),
          maxTokens: config.thought_max_tokens,
          about: `thought round ${round} of seed ${seed.id} on query ${parent.id} (${JSON.stringify(parent.text)}), sample ${sample}`,
        })),
      );
      const results = await completeAll(requests);
      const next: Query[] = [];
      for (const [i, res] of results.entries()) {
        const { parent, seed: sampling_seed } = requests[i]!;
        const thought = parseThought(res.text, {
          minWords: config.min_query_words,
          maxWords: config.max_query_words,
          truncated: res.finishReason === 'length',
        });
        counters.add(thought.structured ? 'bootstrap.thought.structured' : 'bootstrap.thought.unstructured');
        counters.add('bootstrap.thought.concepts', thought.concepts.length);
        let accepted = 0;
        for (const line of thought.questions) {
          if (!line.drop && config.require_seed_overlap && !sharesContentTerm(`${seed.text} ${parent.text}`, line.text))
            line.drop = 'off_topic';
          if (line.drop) {
            drop(line.drop, { parent_query_id: parent.id, round, sampling_seed, text: line.text });
            continue;
          }
          const q = take({
            id: queryId(seed.domain, line.text),
            domain: seed.domain,
            text: line.text,
            lineage: {
              seed_id: seed.id,
              parent_query_id: parent.id,
              round,
              method: 'thought_generation',
              prompt_version: t.version,
              model,
              sampling_seed,
            },
          });
          if (q) {
            accepted += 1;
            next.push(q);
            yield q;
          }
        }
        if (accepted === 0) counters.add('bootstrap.thought.empty_completions');
        log.info('bootstrap: thought', {
          seed_id: seed.id,
          parent_query_id: parent.id,
          round,
          sampling_seed,
          concepts: thought.concepts.length,
          lines: thought.questions.length,
          accepted,
          finish: res.finishReason,
          cached: res.cached ?? false,
          ms: Date.now() - started,
        });
      }
      return next;
    }
  }
}
