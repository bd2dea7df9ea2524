/** The OpenAI-compatible provider against a local stand-in for /v1/chat/completions. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type Query, type Seed } from '../pipeline/types.js';
import { OpenAIProvider, createProvider, extendQuestions, type BootstrapConfigInput } from '../stages/bootstrap/index.js';

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

const LIST = '1. What is a geostationary orbit?\n2) How high above the equator do geostationary satellites fly?\n- Why do they need station keeping?\n3. ok';

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: text ? JSON.parse(text) : {} };
      seen.push(s);
      if (s.url !== '/v1/chat/completions' || s.method !== 'POST') return json(res, 404, { error: { message: 'not found' } });
      handler(s, res, seen.length);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  process.env[KEY_ENV] = KEY;
});
afterEach(() => {
  seen = [];
});
afterAll(async () => {
  delete process.env[KEY_ENV];
  await new Promise<void>((ok) => server.close(() => ok()));
});

describe('OpenAIProvider', () => {
  it('sends model, prompt, sampling settings and the key from the named env var; returns text and usage', async () => {
    handler = (_s, res) => json(res, 200, completion(LIST));
    const p = new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 0 });
    const r = await p.complete({ prompt: 'Topic: geostationary orbits\nQuestions:\n', maxTokens: 64, temperature: 0.7, seed: 1234, stop: ['\n\n'] });
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
    handler = (_s, res, n) => (n === 1 ? json(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '0' }) : json(res, 200, completion('1. Why?')));
    const p = new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 2 });
    const started = Date.now();
    const r = await p.complete({ prompt: 'x', maxTokens: 8, temperature: 0, seed: 1 });
    expect(r.text).toBe('1. Why?');
    expect(seen).toHaveLength(2);
    // The SDK's own back-off would wait at least 375 ms before the first retry: Retry-After: 0 was honoured.
    expect(Date.now() - started).toBeLessThan(350);
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
    expect(err!.message).toContain(`openai provider: chat completion (model test-model) at ${baseURL} failed HTTP 500 after 2 retries`);
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
    const config: BootstrapConfigInput = { provider: 'openai', model: 'test-model', base_url: baseURL, api_key_env: KEY_ENV, samples_per_seed: 1, max_retries: 0 };
    const provider = createProvider(config)!;
    expect(provider.name).toBe('openai');
    const seed: Seed = { id: 's-000000000001', domain: 'space', type: 'keyword', text: 'geostationary orbits', source: { file: 'inline', row: 1 } };
    const ctx = { ...testContext(config), provider };
    const qs: Query[] = [];
    for await (const q of extendQuestions((async function* () { yield seed; })(), ctx)) qs.push(q);
    expect(qs.map((q) => q.text)).toEqual([
      'geostationary orbits',
      'What is a geostationary orbit?',
      'How high above the equator do geostationary satellites fly?',
    ]);
    // Shares no content word with its seed: dropped and counted, not kept.
    expect(ctx.counters.get('bootstrap.parse.off_topic')).toBe(1);
    expect(qs[1]!.lineage).toMatchObject({ model: 'openai:test-model', method: 'question_extension', prompt_version: 'question-extension.v1' });
    expect(ctx.counters.get('bootstrap.parse.not_question')).toBe(1);
    expect(seen[0]!.body).toMatchObject({ max_tokens: 160, temperature: 0.9, stop: ['\n\n'] });
    expect(seen[0]!.body.seed).toBe(qs[1]!.lineage.sampling_seed);
  });
});
