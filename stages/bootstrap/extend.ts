/** Question extension: each seed, then LLM-written questions about its topic, as queries with lineage. */
import { createHash } from 'node:crypto';
import type { Query, Seed, StageContext } from '../../pipeline/types.js';
import { sharesContentTerm } from '../shared/terms.js';
import { bootstrapConfigSchema, type BootstrapConfigInput } from './config.js';
import { normaliseQueryText, parseQuestions } from './parse.js';
import { loadTemplate, renderPrompt } from './prompt.js';
import type { LlmProvider } from './providers/types.js';

export type BootstrapContext = StageContext<BootstrapConfigInput> & { provider: LlmProvider | null };

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
  const useLlm = config.provider !== 'none' && config.samples_per_seed > 0;
  if (useLlm && !provider) {
    throw new Error(`bootstrap: provider '${config.provider}' is configured but no LLM provider was given`);
  }
  const template = useLlm ? loadTemplate(config.prompt) : undefined;
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

  for await (const seed of seeds) {
    ctx.signal.throwIfAborted();
    counters.add('bootstrap.seeds');
    if (config.include_seeds) {
      const text = normaliseQueryText(seed.text);
      const q = admit({ id: queryId(seed.domain, text), domain: seed.domain, text, lineage: { seed_id: seed.id, round: 0, method: 'seed' } });
      if (q) yield q;
    }
    if (!useLlm || !provider || !template) continue;

    const prompt = renderPrompt(template, seed);
    for (let sample = 0; sample < config.samples_per_seed; sample++) {
      ctx.signal.throwIfAborted();
      const sampling_seed = samplingSeed(config.base_seed, seed.id, sample);
      const started = Date.now();
      const res = await provider.complete({
        prompt,
        maxTokens: config.max_tokens,
        temperature: config.temperature,
        seed: sampling_seed,
        stop: config.stop,
        signal: ctx.signal,
      });
      counters.add(res.cached ? 'bootstrap.llm_cache_hits' : 'bootstrap.llm_calls');
      counters.add('bootstrap.prompt_tokens', res.promptTokens);
      counters.add('bootstrap.completion_tokens', res.completionTokens);
      if (res.finishReason === 'length') counters.add('bootstrap.finish_length');

      const lines = parseQuestions(res.text, {
        minWords: config.min_query_words,
        maxWords: config.max_query_words,
        truncated: res.finishReason === 'length',
      });
      let accepted = 0;
      for (const line of lines) {
        if (!line.drop && config.require_seed_overlap && !sharesContentTerm(seed.text, line.text)) line.drop = 'off_topic';
        if (line.drop) {
          counters.add(`bootstrap.parse.${line.drop}`);
          removeDropped(`bootstrap.parse.${line.drop}`, `generated line dropped: ${line.drop}`, {
            seed_id: seed.id,
            sampling_seed,
            text: line.text,
          });
          continue;
        }
        const q = admit({
          id: queryId(seed.domain, line.text),
          domain: seed.domain,
          text: line.text,
          lineage: {
            seed_id: seed.id,
            round: 1,
            method: 'question_extension',
            prompt_version: template.version,
            model: `${provider.name}:${provider.model}`,
            sampling_seed,
          },
        });
        if (q) {
          accepted += 1;
          yield q;
        }
      }
      if (accepted === 0) counters.add('bootstrap.empty_completions');
      log.info('bootstrap: completion', {
        seed_id: seed.id,
        sample,
        sampling_seed,
        lines: lines.length,
        accepted,
        finish: res.finishReason,
        cached: res.cached ?? false,
        ms: Date.now() - started,
      });
    }
  }
}
