/** The OpenAI-compatible provider against a local stand-in for /v1/chat/completions. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Query, Seed } from '../core/types.js';
import { testContext } from './stage-context.js';
import { APIError } from 'openai';
import {
  BudgetExhaustedError,
  GuardedProvider,
  OpenAIProvider,
  retryDelayMs,
  createProvider,
  extendQuestions,
  type BootstrapConfigInput,
} from '../stages/bootstrap/index.js';

const KEY_ENV = 'QCC_TEST_OPENAI_KEY';
const KEY = 'sk-test-not-a-real-key-1234';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}
type Handler = (seen: Seen, res: ServerResponse, n: number) => void;

let server: Server;
let baseURL: string;
let handler: Handler;
let seen: Seen[] = [];

function completion(content: string, finish = 'stop') {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1,
    model: 'test-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
    usage: { prompt_tokens: 31, completion_tokens: 17, total_tokens: 48 },
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const LIST =
  '1. What is a geostationary orbit?\n2) How high above the equator do geostationary satellites fly?\n- Why do they need station keeping?\n3. ok';

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        auth: req.headers.authorization,
        body: text ? JSON.parse(text) : {},
      };
      seen.push(s);
      if (s.url !== '/v1/chat/completions' || s.method !== 'POST')
        return json(res, 404, { error: { message: 'not found' } });
      handler(s, res, seen.length);
    });
  });
  await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  process.env[KEY_ENV] = KEY;
});
afterEach(() => {
  seen = [];
});
afterAll(async () => {
  delete process.env[KEY_ENV];
  await new Promise<void>(ok => server.close(() => ok()));
});

describe('OpenAIProvider', () => {
  it('sends model, prompt, sampling settings and the key from the named env var; returns text and usage', async () => {
    handler = (_s, res) => json(res, 200, completion(LIST));
    const p = new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 0 });
    const r = await p.complete({
      prompt: 'Topic: geostationary orbits\nQuestions:\n',
      maxTokens: 64,
      temperature: 0.7,
      seed: 1234,
      stop: ['\n\n'],
    });
    expect(r).toEqual({ text: LIST, promptTokens: 31, completionTokens: 17, finishReason: 'stop' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.auth).toBe(`Bearer ${KEY}`);
    expect(seen[0]!.body).toMatchObject({
      model: 'test-model',
      messages: [{ role: 'user', content: 'Topic: geostationary orbits\nQuestions:\n' }],
      max_tokens: 64,
      temperature: 0.7,
      seed: 1234,
      stop: ['\n\n'],
    });
    await p.close();
  });

  it('retries a 429 with Retry-After: 0 and then succeeds', async () => {
    handler = (_s, res, n) =>
      n === 1
        ? json(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '0' })
        : json(res, 200, completion('1. Why?'));
    const p = new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 2 });
    const r = await p.complete({ prompt: 'x', maxTokens: 8, temperature: 0, seed: 1 });
    expect(r.text).toBe('1. Why?');
    expect(seen).toHaveLength(2);
  });

  it('reads the wait from Retry-After-Ms, Retry-After seconds or date, else backs off exponentially (full jitter), capped', () => {
    const err = (h: Record<string, string>) => APIError.generate(429, { error: { message: 'x' } }, 'x', new Headers(h));
    expect(retryDelayMs(err({ 'retry-after': '0' }), 0, 60_000)).toBe(0);
    expect(retryDelayMs(err({ 'retry-after': '2' }), 0, 60_000)).toBe(2000);
    expect(retryDelayMs(err({ 'retry-after-ms': '15', 'retry-after': '9' }), 0, 60_000)).toBe(15);
    const date = retryDelayMs(err({ 'retry-after': new Date(Date.now() + 5000).toUTCString() }), 0, 60_000);
    expect(date).toBeGreaterThan(3000);
    expect(date).toBeLessThanOrEqual(5000);
    expect(retryDelayMs(err({ 'retry-after': '3600' }), 0, 1000)).toBe(1000);
    // The acquire stage's policy: a random share (full jitter) of 0.5 s doubling per attempt, at most 8 s.
    const backoff = (random: number, maxWaitMs = 60_000) =>
      [0, 1, 2, 6].map(attempt => retryDelayMs(err({}), attempt, maxWaitMs, () => random));
    expect(backoff(1)).toEqual([500, 1000, 2000, 8000]);
    expect(backoff(0.5)).toEqual([250, 500, 1000, 4000]);
    expect(backoff(1, 1500)).toEqual([500, 1000, 1500, 1500]);
  });

  it('fails with a clear error after its retries when the server keeps answering 500', async () => {
    handler = (_s, res) => json(res, 500, { error: { message: 'backend exploded' } }, { 'retry-after-ms': '10' });
    const p = new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 2 });
    const err = await p.complete({ prompt: 'x', maxTokens: 8, temperature: 0, seed: 1 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(seen).toHaveLength(3);
    expect(err!.message).toContain(
      `openai provider: chat completion (model test-model) at ${baseURL} failed: HTTP 500, after 2 retries`,
    );
    expect(err!.message).toContain('backend exploded');
    expect(err!.message).not.toContain(KEY);
  });

  it('refuses to start without the key, naming the variable but never a value', () => {
    expect(() => new OpenAIProvider({ model: 'm', baseURL, apiKeyEnv: 'QCC_TEST_UNSET_KEY_VAR' })).toThrow(
      /environment variable QCC_TEST_UNSET_KEY_VAR \(bootstrap.api_key_env\) is not set/,
    );
  });

  it('drives the question-extension stage through createProvider', async () => {
    handler = (_s, res) => json(res, 200, completion(LIST));
    const config: BootstrapConfigInput = {
      provider: 'openai',
      model: 'test-model',
      base_url: baseURL,
      api_key_env: KEY_ENV,
      samples_per_seed: 1,
      max_retries: 0,
    };
    const provider = createProvider(config)!;
    expect(provider.name).toBe('openai');
    const seed: Seed = {
      id: 's-000000000001',
      domain: 'space',
      type: 'keyword',
      text: 'geostationary orbits',
      source: { file: 'inline', row: 1 },
    };
    const ctx = { ...testContext(config), provider };
    const qs: Query[] = [];
    for await (const q of extendQuestions(
      (async function* () {
        yield seed;
      })(),
      ctx,
    ))
      qs.push(q);
    expect(qs.map(q => q.text)).toEqual([
      'geostationary orbits',
      'What is a geostationary orbit?',
      'How high above the equator do geostationary satellites fly?',
    ]);
    // Shares no content word with its seed: dropped and counted, not kept.
    expect(ctx.counters.get('bootstrap.parse.off_topic')).toBe(1);
    expect(qs[1]!.lineage).toMatchObject({
      model: 'openai:test-model',
      method: 'question_extension',
      prompt_version: 'question-extension.v1',
    });
    expect(ctx.counters.get('bootstrap.parse.not_question')).toBe(1);
    expect(seen[0]!.body).toMatchObject({ max_tokens: 160, temperature: 0.9, stop: ['\n\n'] });
    expect(seen[0]!.body.seed).toBe(qs[1]!.lineage.sampling_seed);
  });

  it('waits as long as Retry-After (seconds) says on a 503, then succeeds', async () => {
    handler = (_s, res, n) =>
      n === 1
        ? json(res, 503, { error: { message: 'overloaded' } }, { 'retry-after': '1' })
        : json(res, 200, completion('1. Why?'));
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const p = new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 1, sleep });
    const r = await p.complete({ prompt: 'x', maxTokens: 8, temperature: 0, seed: 1 });
    expect(r.text).toBe('1. Why?');
    expect(seen).toHaveLength(2);
    expect(waits).toEqual([1000]);
  });

  it('caps a long Retry-After at max_retry_wait_ms', async () => {
    handler = (_s, res, n) =>
      n === 1
        ? json(res, 429, { error: { message: 'later' } }, { 'retry-after': '3600' })
        : json(res, 200, completion('1. Why?'));
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const p = new OpenAIProvider({
      model: 'test-model',
      baseURL,
      apiKeyEnv: KEY_ENV,
      maxRetries: 1,
      maxRetryWaitMs: 50,
      sleep,
    });
    expect((await p.complete({ prompt: 'x', maxTokens: 8, temperature: 0, seed: 1 })).text).toBe('1. Why?');
    expect(seen).toHaveLength(2);
    expect(waits).toEqual([50]);
  });

  it('retries malformed JSON and says so when it persists', async () => {
    handler = (_s, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "chatcmpl-x", "choices": [');
    };
    const p = new OpenAIProvider({
      model: 'test-model',
      baseURL,
      apiKeyEnv: KEY_ENV,
      maxRetries: 1,
      maxRetryWaitMs: 10,
    });
    await expect(p.complete({ prompt: 'x', maxTokens: 8, temperature: 0, seed: 1 })).rejects.toThrow(
      /failed: malformed JSON in the response, after 1 retry/,
    );
    expect(seen).toHaveLength(2);
  });

  it('times out a stalled body (headers sent, then nothing) and retries', async () => {
    const stalled: ServerResponse[] = [];
    handler = (_s, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id": "chatcmpl-x", ');
        stalled.push(res); // never ended
        return;
      }
      json(res, 200, completion('1. What is a stalled stream?'));
    };
    const p = new OpenAIProvider({
      model: 'test-model',
      baseURL,
      apiKeyEnv: KEY_ENV,
      maxRetries: 1,
      timeoutMs: 400,
      maxRetryWaitMs: 10,
    });
    const r = await p.complete({ prompt: 'x', maxTokens: 8, temperature: 0, seed: 1 });
    expect(r.text).toBe('1. What is a stalled stream?');
    expect(seen).toHaveLength(2);
    for (const res of stalled) res.destroy();
  });

  it('gives a clear error after its retries when the endpoint is down', async () => {
    const down = createServer();
    await new Promise<void>(ok => down.listen(0, '127.0.0.1', ok));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>(ok => down.close(() => ok()));
    const p = new OpenAIProvider({
      model: 'test-model',
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKeyEnv: KEY_ENV,
      maxRetries: 2,
      maxRetryWaitMs: 10,
    });
    await expect(p.complete({ prompt: 'x', maxTokens: 8, temperature: 0, seed: 1 })).rejects.toThrow(
      new RegExp(`at http://127.0.0.1:${port}/v1 failed: connection failed, after 2 retries`),
    );
  });

  it('stops at the call budget with a clear error; tokens and cost are counted', async () => {
    handler = (_s, res) => json(res, 200, completion('1. What is a budget?'));
    const inner = new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 0 });
    const p = new GuardedProvider(inner, { maxCalls: 2, pricePer1kPromptTokens: 0.5, pricePer1kCompletionTokens: 1.5 });
    await p.complete({ prompt: 'a', maxTokens: 8, temperature: 0, seed: 1 });
    await p.complete({ prompt: 'b', maxTokens: 8, temperature: 0, seed: 1 });
    const err = await p.complete({ prompt: 'c', maxTokens: 8, temperature: 0, seed: 1 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(BudgetExhaustedError);
    expect((err as Error).message).toMatch(
      /LLM budget reached: bootstrap.max_calls = 2 \(used 2 calls, 96 tokens\).*run again/,
    );
    expect(seen).toHaveLength(2);
    expect(p.usage).toEqual({ calls: 2, promptTokens: 62, completionTokens: 34, cost: (62 * 0.5 + 34 * 1.5) / 1000 });
    const byTokens = new GuardedProvider(inner, { maxTotalTokens: 40 });
    await byTokens.complete({ prompt: 'a', maxTokens: 8, temperature: 0, seed: 1 });
    await expect(byTokens.complete({ prompt: 'b', maxTokens: 8, temperature: 0, seed: 1 })).rejects.toThrow(
      /bootstrap.max_total_tokens = 40/,
    );
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    handler = (_s, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        json(res, 200, completion('1. Why?'));
      }, 60);
    };
    const p = new GuardedProvider(
      new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 0 }),
      { concurrency: 2 },
    );
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => p.complete({ prompt: `p${i}`, maxTokens: 8, temperature: 0, seed: i })),
    );
    expect(seen).toHaveLength(6);
    expect(peak).toBe(2);
  });

  it('runs thought rounds on the first questions with full lineage, and stops a seed at its quota', async () => {
    const THOUGHT =
      ' To answer this I need to know what an orbit is.\nConcepts: orbit; equator\nSub-questions:\n1. What keeps a geostationary satellite above one point of the equator?\n2. Why must geostationary orbits lie over the equator?';
    handler = (s, res) => {
      const prompt = (s.body.messages as { content: string }[])[0]!.content;
      json(res, 200, completion(prompt.endsWith('Thinking:\n') ? THOUGHT : LIST));
    };
    const config: BootstrapConfigInput = {
      provider: 'openai',
      model: 'test-model',
      base_url: baseURL,
      api_key_env: KEY_ENV,
      samples_per_seed: 1,
      max_retries: 0,
      thought_rounds: 1,
      thought_parents_per_seed: 2,
      concurrency: 2,
    };
    const seed: Seed = {
      id: 's-000000000002',
      domain: 'space',
      type: 'keyword',
      text: 'geostationary orbits',
      source: { file: 'inline', row: 1 },
    };
    const run = async (quota?: number) => {
      seen = [];
      const ctx = { ...testContext(config), provider: createProvider(config)!, quotaFor: () => quota };
      const qs: Query[] = [];
      for await (const q of extendQuestions(
        (async function* () {
          yield seed;
        })(),
        ctx,
      ))
        qs.push(q);
      return { qs, ctx };
    };
    const { qs, ctx } = await run();
    const round1 = qs.filter(q => q.lineage.round === 1);
    expect(round1).toHaveLength(2);
    // Two parents, one thought each: both answers name the same sub-questions, so the second pair are duplicates.
    expect(seen).toHaveLength(3);
    expect((seen[1]!.body.messages as { content: string }[])[0]!.content).toContain(
      `Question: ${round1[0]!.text}\nThinking:`,
    );
    const round2 = qs.filter(q => q.lineage.round === 2);
    expect(round2.map(q => q.text)).toEqual([
      'What keeps a geostationary satellite above one point of the equator?',
      'Why must geostationary orbits lie over the equator?',
    ]);
    expect(round2[0]!.lineage).toMatchObject({
      seed_id: seed.id,
      parent_query_id: round1[0]!.id,
      method: 'thought_generation',
      prompt_version: 'thought-generation.v1',
      model: 'openai:test-model',
    });
    expect(round2[0]!.lineage.sampling_seed).toBe(seen[1]!.body.seed);
    expect(ctx.counters.get('bootstrap.duplicates')).toBe(2);
    expect(ctx.counters.get('bootstrap.thought.concepts')).toBe(4);

    const capped = await run(3);
    expect(capped.qs.map(q => q.lineage.round)).toEqual([0, 1, 1]);
    expect(seen).toHaveLength(1); // quota spent after extension: no thought calls
    expect(capped.ctx.counters.get('bootstrap.budget.domain_quota')).toBe(0);
    const tight = await run(2);
    expect(tight.qs).toHaveLength(2);
    expect(tight.ctx.counters.get('bootstrap.budget.domain_quota')).toBe(1);
  });
});
