/**
 * scripts/llm-serve.mjs on the real local model, and the openai provider against it: the same request
 * gives the same text over HTTP as from the embedded provider. Needs the model and a built dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Query } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  LlamaProvider,
  OpenAIProvider,
  extendQuestions,
  type BootstrapConfigInput,
} from '../stages/bootstrap/index.js';
import { seedId } from '../stages/seeds/index.js';
import { haveModel, modelPath, repo } from './helpers.js';

const KEY_ENV = 'QCC_TEST_SERVE_KEY';
const KEY = 'local-serve-test-key';
const request = {
  prompt: 'Topic: photosynthesis\nQuestions:\n1. How do plants use light?\n\nTopic: volcanic eruptions\nQuestions:\n',
  maxTokens: 40,
  temperature: 0.8,
  seed: 11,
  stop: ['\n\n'],
};

describe.runIf(haveModel())('llm-serve over the local model', () => {
  let child: ChildProcess;
  let baseURL: string;
  let stderr = '';

  beforeAll(async () => {
    process.env[KEY_ENV] = KEY;
    child = spawn(process.execPath, [join(repo, 'scripts', 'llm-serve.mjs'), '--port', '0', '--model', modelPath()], {
      env: { ...process.env, QCC_SERVE_API_KEY: KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', d => (stderr += d));
    baseURL = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', d => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', code => reject(new Error(`llm-serve exited ${code}: ${stderr}`)));
    });
  }, 60_000);

  afterAll(async () => {
    delete process.env[KEY_ENV];
    if (child && child.exitCode === null) {
      const exited = new Promise(ok => child.on('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('lists its model and refuses a wrong key', async () => {
    const models = await fetch(`${baseURL}/models`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(await models.json()).toMatchObject({ object: 'list', data: [{ id: 'gemma-3-270m-q4_k_m.gguf' }] });
    const denied = await fetch(`${baseURL}/models`, { headers: { authorization: 'Bearer wrong' } });
    expect(denied.status).toBe(401);
    const bad = await fetch(`${baseURL}/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/not JSON/);
  });

  it('answers chat and text completions with the text the embedded provider gives for the same request', async () => {
    const viaHttp = new OpenAIProvider({
      model: 'gemma-3-270m-q4_k_m.gguf',
      baseURL,
      apiKeyEnv: KEY_ENV,
      maxRetries: 0,
      timeoutMs: 120_000,
    });
    const chat = await viaHttp.complete(request);
    expect(chat.text.length).toBeGreaterThan(0);
    expect(chat.promptTokens).toBeGreaterThan(20);
    expect(chat.completionTokens).toBeGreaterThan(0);
    const text = await fetch(`${baseURL}/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'x',
        prompt: request.prompt,
        max_tokens: 40,
        temperature: 0.8,
        seed: 11,
        stop: ['\n\n'],
      }),
    }).then(r => r.json() as Promise<{ object: string; choices: { text: string }[] }>);
    expect(text.object).toBe('text_completion');
    expect(text.choices[0]!.text).toBe(chat.text);

    // The server is idle now; one model in this process at a time.
    const local = new LlamaProvider({ modelPath: modelPath(), threads: 1 });
    try {
      expect((await local.complete(request)).text).toBe(chat.text);
    } finally {
      await local.close();
    }
  }, 240_000);

  it('drives question extension through the openai provider', async () => {
    const config: BootstrapConfigInput = {
      provider: 'openai',
      model: 'gemma',
      base_url: baseURL,
      api_key_env: KEY_ENV,
      samples_per_seed: 1,
      max_tokens: 80,
      max_retries: 0,
      timeout_ms: 120_000,
    };
    const provider = new OpenAIProvider({
      model: 'gemma',
      baseURL,
      apiKeyEnv: KEY_ENV,
      maxRetries: 0,
      timeoutMs: 120_000,
    });
    const seed = {
      id: seedId('medicine', 'keyword', 'asthma in children'),
      domain: 'medicine',
      type: 'keyword' as const,
      text: 'asthma in children',
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
    const generated = qs.filter(q => q.lineage.method === 'question_extension');
    expect(generated.length, JSON.stringify(ctx.counters.toJSON())).toBeGreaterThanOrEqual(1);
    expect(generated.every(q => /asthma|child/i.test(q.text))).toBe(true);
    expect(generated[0]!.lineage).toMatchObject({
      model: 'openai:gemma',
      round: 1,
      prompt_version: 'question-extension.v1',
    });
  }, 240_000);
});
