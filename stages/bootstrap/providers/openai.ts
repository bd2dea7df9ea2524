/** Any OpenAI-compatible `/v1/chat/completions` endpoint (OpenAI, vLLM, llama.cpp server, ...). */
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { CompletionRequest, CompletionResult, LlmProvider } from './types.js';

export interface OpenAIProviderOptions {
  /** Model name sent to the server. */
  model: string;
  /** e.g. `http://127.0.0.1:8080/v1`; default: the SDK's (OPENAI_BASE_URL or api.openai.com). */
  baseURL?: string;
  /** Name of the environment variable holding the API key (default OPENAI_API_KEY). */
  apiKeyEnv?: string;
  /** Per-attempt time-out in ms, covering the whole response body (default 60 s). */
  timeoutMs?: number;
  /** Retries on connection errors, time-outs, malformed answers, 408/409/429 and 5xx (default 2). */
  maxRetries?: number;
  /** Longest Retry-After honoured, in ms (default 60 s); longer requests wait this long. */
  maxRetryWaitMs?: number;
}

const RETRY_STATUS = new Set([408, 409, 429]);

/** Why an attempt failed, and whether another attempt may help. */
function classifyFailure(err: unknown, timedOut: boolean): { retry: boolean; what: string; status?: number } {
  if (timedOut) return { retry: true, what: 'timed out' };
  if (err instanceof APIError && err.status !== undefined) {
    return { retry: RETRY_STATUS.has(err.status) || err.status >= 500, what: `HTTP ${err.status}`, status: err.status };
  }
  if (err instanceof APIConnectionError) return { retry: true, what: 'connection failed' };
  if (err instanceof SyntaxError) return { retry: true, what: 'malformed JSON in the response' };
  return { retry: false, what: 'failed' };
}

/** The wait the server asked for (Retry-After-Ms, Retry-After seconds or HTTP date), else exponential back-off. */
export function retryDelayMs(err: unknown, attempt: number, maxWaitMs: number): number {
  const headers = err instanceof APIError ? err.headers : undefined;
  const get = (name: string) => (headers && typeof headers.get === 'function' ? headers.get(name) : undefined) ?? undefined;
  let wait: number | undefined;
  const ms = get('retry-after-ms');
  if (ms && Number.isFinite(parseFloat(ms))) wait = parseFloat(ms);
  const ra = get('retry-after');
  if (wait === undefined && ra) {
    const seconds = parseFloat(ra);
    wait = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(ra) - Date.now();
    if (!Number.isFinite(wait)) wait = undefined;
  }
  if (wait === undefined) wait = Math.min(500 * 2 ** attempt, 8000) * (1 - Math.random() * 0.25);
  return Math.max(0, Math.min(wait, maxWaitMs));
}

export class OpenAIProvider implements LlmProvider {
  readonly name = 'openai';
  readonly model: string;
  private readonly client: OpenAI;
  private readonly where: string;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly maxRetryWaitMs: number;

  constructor(options: OpenAIProviderOptions) {
    const envName = options.apiKeyEnv ?? 'OPENAI_API_KEY';
    const apiKey = process.env[envName];
    if (!apiKey) {
      throw new Error(`openai provider: environment variable ${envName} (bootstrap.api_key_env) is not set or empty`);
    }
    this.model = options.model;
    this.maxRetries = options.maxRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    // Retries and time-outs are ours: the SDK's time-out stops at the headers, so a stalled body would hang.
    this.client = new OpenAI({ apiKey, baseURL: options.baseURL, timeout: this.timeoutMs, maxRetries: 0 });
    this.where = this.client.baseURL;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    for (let attempt = 0; ; attempt++) {
      req.signal?.throwIfAborted();
      const timer = AbortSignal.timeout(this.timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timer]) : timer;
      try {
        return await this.attempt(req, signal);
      } catch (err) {
        req.signal?.throwIfAborted();
        const failure = classifyFailure(err, timer.aborted);
        if (!failure.retry || attempt >= this.maxRetries) throw this.failed(err, failure.what, attempt);
        await sleep(retryDelayMs(err, attempt, this.maxRetryWaitMs), undefined, { signal: req.signal });
      }
    }
  }

  private async attempt(req: CompletionRequest, signal: AbortSignal): Promise<CompletionResult> {
    const res = await this.client.chat.completions.create(
      {
        model: this.model,
        messages: [{ role: 'user', content: req.prompt }],
        max_tokens: req.maxTokens,
        temperature: req.temperature,
        seed: req.seed,
        ...(req.stop && req.stop.length > 0 ? { stop: req.stop } : {}),
      },
      { signal },
    );
    const choice = res?.choices?.[0];
    if (!choice) throw new Error(`openai provider: ${this.where} answered without choices (model ${this.model})`);
    return {
      text: choice.message?.content ?? '',
      promptTokens: res.usage?.prompt_tokens ?? 0,
      completionTokens: res.usage?.completion_tokens ?? 0,
      finishReason: choice.finish_reason ?? 'unknown',
    };
  }

  private failed(err: unknown, what: string, retries: number): Error {
    const msg = err instanceof Error ? err.message : String(err);
    return new Error(
      `openai provider: chat completion (model ${this.model}) at ${this.where} ${what === 'failed' ? 'failed' : `failed: ${what},`} ` +
        `after ${retries} retr${retries === 1 ? 'y' : 'ies'}: ${msg}`,
      { cause: err },
    );
  }

  async close(): Promise<void> {
    // The SDK holds no resources beyond keep-alive sockets owned by fetch.
  }
}
