/** Any OpenAI-compatible `/v1/chat/completions` endpoint (OpenAI, vLLM, llama.cpp server, ...). */
import OpenAI, { APIError } from 'openai';
import type { CompletionRequest, CompletionResult, LlmProvider } from './types.js';

export interface OpenAIProviderOptions {
  /** Model name sent to the server. */
  model: string;
  /** e.g. `http://127.0.0.1:8080/v1`; default: the SDK's (OPENAI_BASE_URL or api.openai.com). */
  baseURL?: string;
  /** Name of the environment variable holding the API key (default OPENAI_API_KEY). */
  apiKeyEnv?: string;
  /** Per-attempt time-out in ms (default 60 s). */
  timeoutMs?: number;
  /** Retries on connection errors, 408/409/429 and 5xx, honouring Retry-After (default 2). */
  maxRetries?: number;
}

export class OpenAIProvider implements LlmProvider {
  readonly name = 'openai';
  readonly model: string;
  private readonly client: OpenAI;
  private readonly where: string;
  private readonly maxRetries: number;

  constructor(options: OpenAIProviderOptions) {
    const envName = options.apiKeyEnv ?? 'OPENAI_API_KEY';
    const apiKey = process.env[envName];
    if (!apiKey) {
      throw new Error(`openai provider: environment variable ${envName} (bootstrap.api_key_env) is not set or empty`);
    }
    this.model = options.model;
    this.maxRetries = options.maxRetries ?? 2;
    this.client = new OpenAI({
      apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: this.maxRetries,
    });
    this.where = this.client.baseURL;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    let res: OpenAI.Chat.Completions.ChatCompletion;
    try {
      res = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: [{ role: 'user', content: req.prompt }],
          max_tokens: req.maxTokens,
          temperature: req.temperature,
          seed: req.seed,
          ...(req.stop && req.stop.length > 0 ? { stop: req.stop } : {}),
        },
        { signal: req.signal },
      );
    } catch (err) {
      const status = err instanceof APIError && err.status !== undefined ? ` HTTP ${err.status}` : '';
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(
        `openai provider: chat completion (model ${this.model}) at ${this.where} failed${status} ` +
          `after ${this.maxRetries} retr${this.maxRetries === 1 ? 'y' : 'ies'}: ${msg}`,
        { cause: err },
      );
    }
    const choice = res.choices[0];
    if (!choice) throw new Error(`openai provider: ${this.where} answered without choices (model ${this.model})`);
    return {
      text: choice.message.content ?? '',
      promptTokens: res.usage?.prompt_tokens ?? 0,
      completionTokens: res.usage?.completion_tokens ?? 0,
      finishReason: choice.finish_reason ?? 'unknown',
    };
  }

  async close(): Promise<void> {
    // The SDK holds no resources beyond keep-alive sockets owned by fetch.
  }
}
