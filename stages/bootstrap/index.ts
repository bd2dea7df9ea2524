export { bootstrapConfigSchema, parseBootstrapConfig, DEFAULT_PROMPT, DEFAULT_THOUGHT_PROMPT, type BootstrapConfig, type BootstrapConfigInput } from './config.js';
export { extendQuestions, queryId, samplingSeed, type BootstrapContext } from './extend.js';
export { resolveModelPath, defaultModelPath, DEFAULT_MODEL_FILE } from './model-path.js';
export { parseQuestions, classify, cleanLine, normaliseQueryText, wordCount, type DropReason, type ParsedLine, type ParseOptions } from './parse.js';
export { loadTemplate, parseTemplate, renderPrompt, renderQuestionPrompt, type PromptTemplate } from './prompt.js';
export { parseThought, type ThoughtParse } from './thoughts.js';
export { NearDuplicateIndex, jaccard, shingles } from './minhash.js';
export { exactKey, loadBlocklist, nearDuplicateRate, normaliseQuery, postprocessQueries, type PostprocessConfig, type PostprocessResult } from './postprocess.js';
export { BudgetExhaustedError, GuardedProvider, type GuardOptions, type Usage } from './providers/guard.js';
export { CachedProvider, type CacheStats } from './providers/cache.js';
export { LlamaProvider, type LlamaProviderOptions } from './providers/llama.js';
export { OpenAIProvider, retryDelayMs, type OpenAIProviderOptions } from './providers/openai.js';
export type { CompletionRequest, CompletionResult, LlmProvider } from './providers/types.js';

import { parseBootstrapConfig, type BootstrapConfigInput } from './config.js';
import { resolveModelPath } from './model-path.js';
import { CachedProvider } from './providers/cache.js';
import { GuardedProvider } from './providers/guard.js';
import { LlamaProvider } from './providers/llama.js';
import { OpenAIProvider } from './providers/openai.js';
import type { LlmProvider } from './providers/types.js';

/**
 * The provider the config names, or null for `provider: none`. The llama model path is resolved
 * (and checked) now; the model itself loads on the first call. Give `cacheDir` to wrap it in a
 * CachedProvider. The backend sits behind a GuardedProvider (concurrency, budget caps, usage).
 */
export function createProvider(input: BootstrapConfigInput, opts: { cacheDir?: string } = {}): LlmProvider | null {
  const config = parseBootstrapConfig(input);
  let provider: LlmProvider;
  switch (config.provider) {
    case 'none':
      return null;
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
  }
  // Only real calls reach the guard: cached answers cost nothing and do not count against the budget.
  const guarded = new GuardedProvider(provider, {
    concurrency: config.concurrency,
    maxCalls: config.max_calls,
    maxTotalTokens: config.max_total_tokens,
    pricePer1kPromptTokens: config.price_per_1k_prompt_tokens,
    pricePer1kCompletionTokens: config.price_per_1k_completion_tokens,
  });
  return opts.cacheDir ? new CachedProvider(guarded, opts.cacheDir) : guarded;
}
