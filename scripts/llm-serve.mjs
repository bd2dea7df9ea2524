#!/usr/bin/env node
// An OpenAI-compatible endpoint over the embedded GGUF model (LlamaProvider, CPU, one request at a time).
//
//   node scripts/llm-serve.mjs [--model <gguf>] [--port 8080] [--host 127.0.0.1] [--threads 1] [--context 2048]
//
// Serves GET /v1/models, POST /v1/completions and POST /v1/chat/completions (no streaming). The default
// model is a BASE model: a chat request is answered as a plain completion of its messages' contents
// joined by blank lines, so send few-shot prompts. If QCC_SERVE_API_KEY is set, requests must carry it
// as `Authorization: Bearer <key>`. Prints `listening on http://<host>:<port>/v1` once ready.
import { createServer } from 'node:http';
import { argv, env, exit, stderr, stdout } from 'node:process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: argv.slice(2),
  options: {
    model: { type: 'string' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    threads: { type: 'string', default: '1' },
    context: { type: 'string', default: '2048' },
  },
});
const dist = new URL('../dist/stages/bootstrap/index.js', import.meta.url);
const { LlamaProvider, resolveModelPath } = await import(dist.href).catch(err => {
  stderr.write(`llm-serve: cannot load ${dist.pathname} (run \`npm run build\` first): ${err.message}\n`);
  exit(1);
});
let modelPath;
try {
  modelPath = resolveModelPath(values.model);
} catch (err) {
  stderr.write(`llm-serve: ${err.message}\n`);
  exit(1);
}
const llm = new LlamaProvider({ modelPath, threads: Number(values.threads), contextSize: Number(values.context) });
const key = env.QCC_SERVE_API_KEY;

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
const fail = (res, status, message, type = 'invalid_request_error') => send(res, status, { error: { message, type } });

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/** The sampling settings of an OpenAI request, as a LlamaProvider request. */
function toRequest(body, prompt) {
  const stop = body.stop === undefined || body.stop === null ? [] : [body.stop].flat();
  return {
    prompt,
    maxTokens: Number(body.max_tokens ?? body.max_completion_tokens ?? 128),
    temperature: Number(body.temperature ?? 1),
    seed: Number.isInteger(body.seed) ? body.seed : 0,
    stop: stop.filter(s => typeof s === 'string' && s.length > 0),
  };
}

const usage = r => ({
  prompt_tokens: r.promptTokens,
  completion_tokens: r.completionTokens,
  total_tokens: r.promptTokens + r.completionTokens,
});
const created = () => Math.floor(Date.now() / 1000);
let counter = 0;

const server = createServer(async (req, res) => {
  try {
    if (key && req.headers.authorization !== `Bearer ${key}`)
      return fail(res, 401, 'missing or wrong API key', 'authentication_error');
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      return send(res, 200, {
        object: 'list',
        data: [{ id: llm.model, object: 'model', created: 0, owned_by: 'local' }],
      });
    }
    if (req.method !== 'POST' || (path !== '/v1/completions' && path !== '/v1/chat/completions'))
      return fail(res, 404, `no route ${req.method} ${path}`);
    let body;
    try {
      body = await readJson(req);
    } catch (err) {
      return fail(res, 400, `request body is not JSON: ${err.message}`);
    }
    if (body.stream) return fail(res, 400, 'stream: true is not supported by this server');
    const chat = path === '/v1/chat/completions';
    const prompt = chat
      ? (Array.isArray(body.messages) ? body.messages : [])
          .map(m => (typeof m.content === 'string' ? m.content : ''))
          .join('\n\n')
      : [body.prompt].flat().join('');
    if (!prompt) return fail(res, 400, chat ? 'messages must hold text content' : 'prompt is required');
    const r = await llm.complete(toRequest(body, prompt));
    const finish_reason = r.finishReason === 'length' ? 'length' : 'stop';
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${process.pid}-${++counter}`;
    const choice = chat
      ? { index: 0, message: { role: 'assistant', content: r.text }, finish_reason }
      : { index: 0, text: r.text, finish_reason };
    send(res, 200, {
      id,
      object: chat ? 'chat.completion' : 'text_completion',
      created: created(),
      model: llm.model,
      choices: [choice],
      usage: usage(r),
    });
  } catch (err) {
    fail(res, 500, `llm-serve: ${err.message}`, 'server_error');
  }
});

const shutdown = () => server.close(() => llm.close().then(() => exit(0)));
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
server.listen(Number(values.port), values.host, () => {
  const { address, port } = server.address();
  stdout.write(`llm-serve: ${llm.model} (${values.threads} thread(s))\nlistening on http://${address}:${port}/v1\n`);
});
