/**
 * Model answers, content-addressed like the cache: a request's key is the sha256 of everything that can change
 * its answer. A run records every answer it was served (from the cache or the model) in its work folder, one
 * file per key; publishing gathers them into the version so that `--replay` can serve them again.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from '../../../core/atomic.js';
import type { CompletionRequest, CompletionResult, LlmProvider } from './types.js';

/** What identifies a request: the backend, the model and every sampling parameter. */
export interface AnswerRequest {
  provider: string;
  model: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  seed: number;
  stop: string[];
}

export type AnswerResponse = Omit<CompletionResult, 'cached'>;

/** One request and the answer it got. */
export interface ModelAnswer {
  key: string;
  request: AnswerRequest;
  response: AnswerResponse;
}

/** The key and identity of a request to `provider`/`model` (the cache's key: the same request, the same key). */
export function requestKey(
  provider: string,
  model: string,
  req: CompletionRequest,
): { key: string; request: AnswerRequest } {
  const request: AnswerRequest = {
    provider,
    model,
    prompt: req.prompt,
    maxTokens: req.maxTokens,
    temperature: req.temperature,
    seed: req.seed,
    stop: req.stop ?? [],
  };
  return { key: keyOfRequest(request), request };
}

export const keyOfRequest = (request: AnswerRequest): string =>
  createHash('sha256').update(JSON.stringify(request)).digest('hex');

/** The request as a person reads it in an error: what it is about, and the end of its prompt (after the few-shot examples). */
export function describeRequest(req: Pick<CompletionRequest, 'prompt' | 'about'>): string {
  const text = req.prompt.replace(/\s+/g, ' ').trim();
  const shown = text.length > 160 ? `…${text.slice(-160)}` : text;
  return `${req.about ?? 'a request'} (prompt ending ${JSON.stringify(shown)})`;
}

const fileOf = (dir: string, key: string) => join(dir, key.slice(0, 2), `${key}.json`);

/** Passes requests through and writes each answer served to `dir` (once per key), before returning it. */
export class RecordingProvider implements LlmProvider {
  constructor(
    readonly inner: LlmProvider,
    readonly dir: string,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get model(): string {
    return this.inner.model;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const res = await this.inner.complete(req);
    const { key, request } = requestKey(this.inner.name, this.inner.model, req);
    const file = fileOf(this.dir, key);
    if (!existsSync(file)) {
      const { cached: _c, ...response } = res;
      await replaceFile(file, JSON.stringify({ key, request, response } satisfies ModelAnswer) + '\n');
    }
    return res;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Every answer recorded in `dir`, in key order, one file read at a time (none when the folder does not exist). */
export async function* recordedAnswers(dir: string): AsyncGenerator<ModelAnswer> {
  if (!existsSync(dir)) return;
  // Folders are the keys' first two hex digits and files the keys: sorted names are sorted keys.
  for (const sub of (await readdir(dir)).sort()) {
    for (const name of (await readdir(join(dir, sub))).sort()) {
      if (!name.endsWith('.json')) continue; // a temporary file of a killed run
      const file = join(dir, sub, name);
      const answer = JSON.parse(await readFile(file, 'utf8')) as ModelAnswer;
      if (answer.key !== name.slice(0, -'.json'.length) || keyOfRequest(answer.request) !== answer.key) {
        throw new Error(`${file}: recorded model answer whose key does not match its request`);
      }
      yield answer;
    }
  }
}
