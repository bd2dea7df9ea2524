/** Any OpenAI-compatible `/v1/chat/completions` endpoint (OpenAI, vLLM, llama.cpp server, ...). */
import OpenAI, { APIConnectionError, APIError } from 'openai';
import { backoffDelay, parseRetryAfter, sleep } from '../../acquire/retry.js';
import { redactText, registerSecret } from '../../shared/redact.js';
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
  /** Largest response body read, in bytes (default 1 MiB); a larger one fails the call and is not cached. */
  maxResponseBytes?: number;
  /** Waits between attempts (default a real, abortable timer); injected in tests to see the waits. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Far above any completion qcc asks for (a few hundred tokens), far below what would strain memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

/** A response body above maxResponseBytes: not read further, not retried (the server would send it again). */
export class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`response body larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** A 200 answer that is not a usable completion (no choices): retried like malformed JSON. */
export class MalformedResponseError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'MalformedResponseError';
  }
}

function findCause<T>(err: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof type) return e;
  return undefined;
}

/** fetch whose response bodies stop with ResponseTooLargeError past `limit` bytes. */
export function cappedFetch(limit: number): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      await res.body?.cancel();
      throw new ResponseTooLargeError(limit);
    }
    if (!res.body) return res;
    let seen = 0;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > limit) controller.error(new ResponseTooLargeError(limit));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/**
 * The base URL without credentials. fetch refuses URLs with user:password (so no request would ever
 * be sent), and the SDK's Authorization header carries the API key: credentials belong in the
 * variable named by bootstrap.api_key_env. The error names the URL without them.
 */
function checkBaseUrl(baseURL: string | undefined): string | undefined {
  if (baseURL === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new Error(`openai provider: bootstrap.base_url is not a URL`);
  }
  if (url.username || url.password) {
    registerSecret(decodeURIComponent(url.password));
    registerSecret(decodeURIComponent(url.username));
    url.username = '';
    url.password = '';
    throw new Error(
      `openai provider: bootstrap.base_url ${url.toString()} has a user name or password in it; remove it and put the ` +
        'API key in the environment variable named by bootstrap.api_key_env (sent as a Bearer token)',
    );
  }
  return baseURL;
}

const RETRY_STATUS = new Set([408, 409, 429]);

/** Why an attempt failed, and whether another attempt may help. */
function classifyFailure(err: unknown, timedOut: boolean): { retry: boolean; what: string; status?: number } {
  if (timedOut) return { retry: true, what: 'timed out' };
  if (err instanceof APIError && err.status !== undefined) {
    return { retry: RETRY_STATUS.has(err.status) || err.status >= 500, what: `HTTP ${err.status}`, status: err.status };
  }
  const tooLarge = findCause(err, ResponseTooLargeError);
  if (tooLarge) return { retry: false, what: `response larger than ${tooLarge.limit} bytes` };
  if (err instanceof APIConnectionError) return { retry: true, what: 'connection failed' };
  if (err instanceof SyntaxError) return { retry: true, what: 'malformed JSON in the response' };
  if (err instanceof MalformedResponseError) return { retry: true, what: 'malformed response' };
  return { retry: false, what: 'failed' };
}

/** The acquire stage's back-off (exponential, full jitter) from 0.5 s, at most 8 s when the server names no wait. */
const BACKOFF = { backoff_ms: 500, max_backoff_ms: 8000 };

/**
 * The wait before retry `attempt + 1`: the server's (Retry-After-Ms, else Retry-After seconds or HTTP date,
 * as the acquire stage reads it), else the acquire stage's back-off; never more than maxWaitMs.
 */
export function retryDelayMs(
  err: unknown,
  attempt: number,
  maxWaitMs: number,
  random: () => number = Math.random,
): number {
  const headers = err instanceof APIError ? err.headers : undefined;
  const get = (name: string) => (headers && typeof headers.get === 'function' ? headers.get(name) : null) ?? null;
  const ms = parseFloat(get('retry-after-ms') ?? '');
  const asked = Number.isFinite(ms) ? Math.max(0, ms) : parseRetryAfter(get('retry-after'));
  return Math.min(asked ?? backoffDelay(attempt + 1, { ...BACKOFF, random }), maxWaitMs);
}

export class OpenAIProvider implements LlmProvider {
  readonly name = 'openai';
  readonly model: string;
  private readonly client: OpenAI;
  private readonly where: string;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly maxRetryWaitMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: OpenAIProviderOptions) {
    const envName = options.apiKeyEnv ?? 'OPENAI_API_KEY';
    const apiKey = process.env[envName];
    if (!apiKey) {
      throw new Error(`openai provider: environment variable ${envName} (bootstrap.api_key_env) is not set or empty`);
    }
    registerSecret(apiKey);
    const baseURL = checkBaseUrl(options.baseURL);
    const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.model = options.model;
    this.maxRetries = options.maxRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    this.sleep = options.sleep ?? sleep;
    // Retries and time-outs are ours: the SDK's time-out stops at the headers, so a stalled body would hang.
    this.client = new OpenAI({
      apiKey,
      baseURL,
      timeout: this.timeoutMs,
      maxRetries: 0,
      fetch: cappedFetch(maxResponseBytes),
    });
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
        await this.sleep(retryDelayMs(err, attempt, this.maxRetryWaitMs), req.signal);
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
    if (!choice) throw new MalformedResponseError(`${this.where} answered without choices (model ${this.model})`);
    return {
      text: choice.message?.content ?? '',
      promptTokens: res.usage?.prompt_tokens ?? 0,
      completionTokens: res.usage?.completion_tokens ?? 0,
      finishReason: choice.finish_reason ?? 'unknown',
    };
  }

  private failed(err: unknown, what: string, retries: number): Error {
    const msg = err instanceof Error ? err.message : String(err);
    // The server's own words can echo the key back (some proxies put the request's Authorization in a 401 body);
    // the SDK error is not kept as the cause, so nothing that prints causes can show them.
    return new Error(
      redactText(
        `openai provider: chat completion (model ${this.model}) at ${this.where} ${what === 'failed' ? 'failed' : `failed: ${what},`} ` +
          `after ${retries} retr${retries === 1 ? 'y' : 'ies'}: ${msg}`,
      ),
    );
  }

  async close(): Promise<void> {
    // The SDK holds no resources beyond keep-alive sockets owned by fetch.
  }
}
