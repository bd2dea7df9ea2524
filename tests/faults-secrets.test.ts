/**
 * Issue 16, the LLM endpoint rows, against a local OpenAI-compatible stand-in on 127.0.0.1:
 *   F9  a server that echoes the key in its 401 body; a base_url with user:password@; secrets from the
 *       environment (API keys, S3 secret keys) never reach a log line or the CLI's error
 *   F11 a 20 MB valid completion: refused past the response cap, not retried, not cached
 *   F16 a 200 answer with `choices: []`: retried like malformed JSON
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../pipeline/log.js';
import { createProvider, OpenAIProvider } from '../stages/bootstrap/index.js';
import { redactText } from '../stages/shared/redact.js';
import { cc, haveSharedData, qcc, repo, tempDir } from './helpers.js';

/** Env var names the redaction cannot guess from the name: the provider registers the key itself. */
const KEY_ENV = 'QCC_LLM_ACCESS';
const KEY = 'sk-live-0123456789abcdef-not-real';
const PASSWORD = 'hunter2-very-secret';

interface Seen {
  url: string;
  auth: string | undefined;
}
type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server;
let baseURL: string;
let handler: Handler;
let seen: Seen[] = [];

function completion(content: string) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1,
    model: 'test-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The 401 some proxies send: the key the client sent, echoed in the message. */
const echoKey: Handler = (req, res) =>
  json(res, 401, {
    error: {
      message: `Incorrect API key provided: ${(req.headers.authorization ?? '').replace(/^Bearer /, '')}`,
      code: 'invalid_api_key',
    },
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      handler(req, res, seen.length);
    });
  });
  await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  process.env[KEY_ENV] = KEY;
});
afterAll(async () => {
  delete process.env[KEY_ENV];
  await new Promise<void>(ok => server.close(() => ok()));
});

const request = { prompt: 'Topic: asthma\nQuestions:\n', maxTokens: 16, temperature: 0, seed: 1 };
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error) => e,
  );

function captureLogger() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk;
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { log: createLogger({}, stream), text: () => text };
}

describe('F9: secrets never reach a message', () => {
  it('a 401 body echoing the key: the error says HTTP 401 and [redacted], never the key', async () => {
    seen = [];
    handler = echoKey;
    const p = new OpenAIProvider({ model: 'test-model', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 0 });
    const err = await failure(p.complete(request));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.auth).toBe(`Bearer ${KEY}`);
    expect(err!.message).toContain('failed: HTTP 401');
    expect(err!.message).toContain('Incorrect API key provided: [redacted]');
    expect(err!.message).not.toContain(KEY);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(KEY);
    // And the logger redacts it wherever it turns up, message or field.
    const { log, text } = captureLogger();
    log.error(`echo: ${KEY}`, { detail: { body: `key=${KEY}` }, list: [KEY] });
    expect(text()).not.toContain(KEY);
    expect(text()).toContain('[redacted]');
  });

  it('a base_url with user:password@: a config error naming the URL without them; no request sent', async () => {
    seen = [];
    handler = (_req, res) => json(res, 200, completion('1. ok'));
    const withCreds = baseURL.replace('http://', `http://operator:${PASSWORD}@`);
    let err: Error | undefined;
    try {
      createProvider({ provider: 'openai', model: 'test-model', base_url: withCreds, api_key_env: KEY_ENV });
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain(`bootstrap.base_url ${baseURL} has a user name or password in it`);
    expect(err!.message).not.toContain(PASSWORD);
    expect(err!.message).not.toContain('operator');
    expect(err!.message).not.toMatch(/connection failed/);
    expect(seen).toHaveLength(0);
    // Any other message that carries the URL loses its credentials too.
    expect(redactText(`could not reach ${withCreds}/chat`)).toBe(
      `could not reach ${baseURL.replace('http://', 'http://[redacted]@')}/chat`,
    );
  });

  it('S3 and other secrets from the environment are redacted from log lines', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    process.env.AWS_SECRET_ACCESS_KEY = secret;
    try {
      const { log, text } = captureLogger();
      log.warn(`upload failed: signature mismatch for ${secret}`, {
        endpoint: `http://user:${PASSWORD}@127.0.0.1:1/b`,
      });
      expect(text()).not.toContain(secret);
      expect(text()).not.toContain(PASSWORD);
      expect(text()).toContain('signature mismatch for [redacted]');
    } finally {
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  describe.runIf(haveSharedData())('through `qcc run`', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await tempDir('qcc-secrets-');
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    async function run(name: string, baseUrl: string) {
      const file = join(dir, `${name}.yaml`);
      await writeFile(
        file,
        `dataset: secrets
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: openai, model: test-model, base_url: "${baseUrl}", api_key_env: ${KEY_ENV}, max_retries: 0 }
ingest:
  warc: [${cc('other/sample-0001.warc.gz')}]
`,
      );
      return qcc(['run', '--config', file, '--out', join(dir, `out-${name}`)], { [KEY_ENV]: KEY });
    }

    it('the echoed key and the URL password appear nowhere on stderr or stdout', async () => {
      seen = [];
      handler = echoKey;
      const echoed = await run('echo', baseURL);
      expect(echoed.code).toBe(1);
      expect(seen.length).toBeGreaterThan(0);
      expect(echoed.stderr).toContain('HTTP 401');
      expect(echoed.stderr + echoed.stdout).not.toContain(KEY);

      seen = [];
      const creds = await run('creds', baseURL.replace('http://', `http://operator:${PASSWORD}@`));
      expect(creds.code).toBe(1);
      expect(seen).toHaveLength(0);
      expect(creds.stderr).toContain('has a user name or password in it');
      expect(creds.stderr + creds.stdout).not.toContain(PASSWORD);
      expect(creds.stderr).not.toMatch(/connection failed/);
    });
  });
});

describe('F11: a 20 MB valid completion', () => {
  const huge = JSON.stringify(completion('1. ' + 'why '.repeat(5 * 1024 * 1024)));

  it('with Content-Length or chunked: refused past 1 MiB, not retried, not cached', async () => {
    expect(huge.length).toBeGreaterThan(20 * 1000 * 1000);
    for (const chunked of [false, true]) {
      seen = [];
      handler = (_req, res) => {
        res.writeHead(
          200,
          chunked
            ? { 'content-type': 'application/json' }
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(huge)) },
        );
        res.end(huge);
      };
      const cacheDir = await tempDir('qcc-f11-');
      try {
        const p = createProvider(
          { provider: 'openai', model: 'test-model', base_url: baseURL, api_key_env: KEY_ENV, max_retries: 2 },
          { cacheDir },
        )!;
        const err = await failure(p.complete(request));
        expect(err!.message).toContain('failed: response larger than 1048576 bytes, after 0 retries');
        expect(seen).toHaveLength(1);
        expect(readdirSync(cacheDir)).toEqual([]);
      } finally {
        await rm(cacheDir, { recursive: true, force: true });
      }
    }
  });

  it('an answer under the cap is read and cached as before', async () => {
    seen = [];
    handler = (_req, res) => json(res, 200, completion('1. What triggers asthma?'));
    const cacheDir = await tempDir('qcc-f11-');
    try {
      const p = createProvider(
        { provider: 'openai', model: 'test-model', base_url: baseURL, api_key_env: KEY_ENV },
        { cacheDir },
      )!;
      expect((await p.complete(request)).text).toBe('1. What triggers asthma?');
      expect(readdirSync(cacheDir)).toHaveLength(1);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('F16: a 200 answer with choices: []', () => {
  it('is retried like malformed JSON, and succeeds when the next answer is good', async () => {
    seen = [];
    handler = (_req, res, n) => json(res, 200, n === 1 ? { ...completion('x'), choices: [] } : completion('1. Why?'));
    const p = new OpenAIProvider({
      model: 'test-model',
      baseURL,
      apiKeyEnv: KEY_ENV,
      maxRetries: 2,
      maxRetryWaitMs: 10,
    });
    expect((await p.complete(request)).text).toBe('1. Why?');
    expect(seen).toHaveLength(2);
  });

  it('fails with a clear message after its retries when every answer has no choices', async () => {
    seen = [];
    handler = (_req, res) => json(res, 200, { ...completion('x'), choices: [] });
    const p = new OpenAIProvider({
      model: 'test-model',
      baseURL,
      apiKeyEnv: KEY_ENV,
      maxRetries: 2,
      maxRetryWaitMs: 10,
    });
    const err = await failure(p.complete(request));
    expect(seen).toHaveLength(3);
    expect(err!.message).toBe(
      `openai provider: chat completion (model test-model) at ${baseURL} failed: malformed response, after 2 retries: ${baseURL} answered without choices (model test-model)`,
    );
  });
});
