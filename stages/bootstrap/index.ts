export {
  bootstrapConfigSchema,
  parseBootstrapConfig,
  DEFAULT_PROMPT,
  DEFAULT_THOUGHT_PROMPT,
  type BootstrapConfig,
  type BootstrapConfigInput,
} from './config.js';
export { extendQuestions, queryId, samplingSeed, type BootstrapContext } from './extend.js';
export { resolveModelPath, defaultModelPath, DEFAULT_MODEL_FILE } from './model-path.js';
export {
  parseQuestions,
  classify,
  cleanLine,
  normaliseQueryText,
  wordCount,
  type DropReason,
  type ParsedLine,
  type ParseOptions,
} from './parse.js';
export { loadTemplate, parseTemplate, renderPrompt, renderQuestionPrompt, type PromptTemplate } from './prompt.js';
export { parseThought, type ThoughtParse } from './thoughts.js';
export { NearDuplicateIndex, jaccard, shingles } from './minhash.js';
export {
  exactKey,
  loadBlocklist,
  nearDuplicateRate,
  normaliseQuery,
  postprocessQueries,
  type PostprocessConfig,
  type PostprocessResult,
} from './postprocess.js';
export { BudgetExhaustedError, GuardedProvider, type GuardOptions, type Usage } from './providers/guard.js';
export { CachedProvider, type CacheStats } from './providers/cache.js';
export { RecordingProvider, recordedAnswers, requestKey, type ModelAnswer } from './providers/answers.js';
export {
  loadModelAnswers,
  MODEL_ANSWERS_FILE,
  ReplayMissError,
  ReplayProvider,
  type ModelAnswers,
} from './providers/replay.js';
export { LlamaProvider, type LlamaProviderOptions } from './providers/llama.js';
export { OpenAIProvider, retryDelayMs, type OpenAIProviderOptions } from './providers/openai.js';
export type { CompletionRequest, CompletionResult, LlmProvider } from './providers/types.js';

import { basename } from 'node:path';
import { parseBootstrapConfig, type BootstrapConfig, type BootstrapConfigInput } from './config.js';
import { DEFAULT_MODEL_FILE, resolveModelPath } from './model-path.js';
import { RecordingProvider } from './providers/answers.js';
import { CachedProvider } from './providers/cache.js';
import { GuardedProvider } from './providers/guard.js';
import { LlamaProvider } from './providers/llama.js';
import { OpenAIProvider } from './providers/openai.js';
import { ReplayProvider, type ModelAnswers } from './providers/replay.js';
import type { LlmProvider } from './providers/types.js';

export interface ProviderOptions {
  /** Wrap the backend in a CachedProvider over this folder. */
  cacheDir?: string;
  /** Record every answer served (cached or not) in this folder, for the published version to carry. */
  recordDir?: string;
  /** Serve these recorded answers instead of any backend (no model is loaded, no call is made). */
  replay?: ModelAnswers;
}

/** The name and model the backend of `config` reports, without loading it (a replay needs no model file). */
function backendIdentity(config: BootstrapConfig): { name: string; model: string } {
  if (config.provider === 'openai') return { name: 'openai', model: config.model! };
  return { name: 'llama', model: basename(config.model ?? process.env.QCC_MODEL_PATH ?? DEFAULT_MODEL_FILE) };
}

/**
 * The provider the config names, or null for `provider: none`. The llama model path is resolved
 * (and checked) now; the model itself loads on the first call. Give `cacheDir` to wrap it in a
 * CachedProvider. The backend sits behind a GuardedProvider (concurrency, budget caps, usage).
 * With `replay`, recorded answers stand in for the backend and the cache; `recordDir` records what was served.
 */
export function createProvider(input: BootstrapConfigInput, opts: ProviderOptions = {}): LlmProvider | null {
  const config = parseBootstrapConfig(input);
  if (config.provider === 'none') return null;
  const served = opts.replay ? replayProvider(config, opts.replay) : backendProvider(config, opts.cacheDir);
  return opts.recordDir ? new RecordingProvider(served, opts.recordDir) : served;
}

function replayProvider(config: BootstrapConfig, answers: ModelAnswers): LlmProvider {
  const { name, model } = backendIdentity(config);
  return new ReplayProvider(name, model, answers);
}

function backendProvider(config: BootstrapConfig, cacheDir: string | undefined): LlmProvider {
  let provider: LlmProvider;
  switch (config.provider) {
    case 'llama':
      provider = new LlamaProvider({
        modelPath: resolveModelPath(config.model),
        threads: config.threads,
        contextSize: config.context_size,
      });
      break;
    case 'openai':
      provider = new OpenAIProvider({
        model: config.model!,
        baseURL: config.base_url,
        apiKeyEnv: config.api_key_env,
        timeoutMs: config.timeout_ms,
        maxRetries: config.max_retries,
        maxRetryWaitMs: config.max_retry_wait_ms,
      });
      break;
    case 'none':
      throw new Error('bootstrap.provider none has no backend');
  }
  // Only real calls reach the guard: cached answers cost nothing and do not count against the budget.
  const guarded = new GuardedProvider(provider, {
    concurrency: config.concurrency,
    maxCalls: config.max_calls,
    maxTotalTokens: config.max_total_tokens,
    pricePer1kPromptTokens: config.price_per_1k_prompt_tokens,
    pricePer1kCompletionTokens: config.price_per_1k_completion_tokens,
  });
  return cacheDir ? new CachedProvider(guarded, cacheDir) : guarded;
}
