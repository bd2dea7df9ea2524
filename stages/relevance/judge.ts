/**
 * LLM relevance judgements: "is this document about the domain?" A base model (llama) gets a few-shot
 * yes/no completion; an OpenAI-compatible endpoint gets a chat prompt asking for JSON. Calls go through
 * the bootstrap's provider stack, so they are cached, budgeted and counted like every other LLM call.
 */
import { readFileSync } from 'node:fs';
import { fromRepo } from '../../core/repo.js';
import type { LlmProvider } from '../bootstrap/providers/types.js';

export interface JudgeTemplate {
  file: string;
  version: string;
  body: string;
}

export interface Judgement {
  /** null: the answer could not be read as yes or no (counted, never used as a label). */
  on_domain: boolean | null;
  reason: string;
  model: string;
  prompt_version: string;
  cached: boolean;
  prompt_tokens: number;
  completion_tokens: number;
}

const VERSION_LINE = /^#\s*version:\s*(\S+)\s*$/;

export function loadJudgeTemplate(path: string): JudgeTemplate {
  const file = fromRepo(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  } catch (err) {
    throw new Error(`relevance judge prompt ${file}: ${(err as Error).message}`, { cause: err });
  }
  const nl = text.indexOf('\n');
  const m = VERSION_LINE.exec(nl < 0 ? text : text.slice(0, nl));
  if (!m) throw new Error(`${file}: the first line must be \`# version: <name>\``);
  const body = text.slice(nl + 1);
  for (const name of ['topic', 'document']) {
    if (!body.includes(`{{${name}}}`)) throw new Error(`${file}: the template has no {{${name}}} placeholder`);
  }
  return { file, version: m[1]!, body };
}

/** The document as the judge sees it: its first `words` words on one line, quotes made single. */
export function judgeExcerpt(text: string, words: number): string {
  const all = text.replace(/"/g, "'").split(/\s+/).filter(Boolean);
  return all.length > words ? `${all.slice(0, words).join(' ')} …` : all.join(' ');
}

export function renderJudgePrompt(t: JudgeTemplate, topic: string, excerpt: string): string {
  // A trailing newline after the last "Answer:" would make the model start a new line instead of answering.
  return t.body
    .replace(/\{\{topic\}\}/g, topic)
    .replace(/\{\{document\}\}/g, excerpt)
    .trimEnd();
}

/** Reads `yes`/`no` at the start of a completion, or `{"on_domain": …}` from a chat answer. */
export function parseJudgement(text: string): { on_domain: boolean | null; reason: string } {
  const trimmed = text.trim();
  const json = /\{[\s\S]*\}/.exec(trimmed);
  if (json) {
    try {
      const value = JSON.parse(json[0]) as { on_domain?: unknown; reason?: unknown };
      if (typeof value.on_domain === 'boolean')
        return { on_domain: value.on_domain, reason: String(value.reason ?? '').slice(0, 200) };
    } catch {
      // not JSON after all: read it as text
    }
  }
  const m = /^\W*(yes|no)\b[\s,.:;-]*(.*)$/is.exec(trimmed);
  if (!m) return { on_domain: null, reason: `unreadable answer: ${JSON.stringify(trimmed.slice(0, 60))}` };
  return { on_domain: m[1]!.toLowerCase() === 'yes', reason: m[2]!.trim().slice(0, 200) };
}

export interface JudgeOptions {
  maxTokens: number;
  /** Sampling seed; judgements use temperature 0, so it only has to be fixed. */
  seed: number;
  signal?: AbortSignal;
  /** What is judged, for people (named when a replay lacks the answer). */
  about?: string;
}

export async function judgeOne(
  provider: LlmProvider,
  t: JudgeTemplate,
  topic: string,
  excerpt: string,
  opts: JudgeOptions,
): Promise<Judgement> {
  const chat = provider.name === 'openai';
  const res = await provider.complete({
    prompt: renderJudgePrompt(t, topic, excerpt),
    maxTokens: chat ? Math.max(opts.maxTokens, 60) : opts.maxTokens,
    temperature: 0,
    seed: opts.seed,
    stop: chat ? undefined : ['\n'],
    signal: opts.signal,
    about: opts.about,
  });
  const parsed = parseJudgement(res.text);
  return {
    ...parsed,
    model: provider.model,
    prompt_version: t.version,
    cached: res.cached === true,
    prompt_tokens: res.promptTokens,
    completion_tokens: res.completionTokens,
  };
}

/** One (domain, document) pair to judge with the excerpt the judge sees. */
export interface JudgeRequest {
  domain: string;
  doc_id: string;
  excerpt: string;
}

export interface JudgeUsage {
  judged: number;
  on_domain: number;
  off_domain: number;
  unreadable: number;
  calls: number;
  cached: number;
  prompt_tokens: number;
  completion_tokens: number;
  model: string | null;
  prompt_version: string | null;
}

export const emptyUsage = (): JudgeUsage => ({
  judged: 0,
  on_domain: 0,
  off_domain: 0,
  unreadable: 0,
  calls: 0,
  cached: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  model: null,
  prompt_version: null,
});

/** Adds judgements to a usage tally (cached answers count their tokens too: the cost, whichever run paid it). */
export function tallyUsage(usage: JudgeUsage, judgements: Iterable<Judgement>): JudgeUsage {
  for (const j of judgements) {
    usage.judged++;
    if (j.on_domain === true) usage.on_domain++;
    else if (j.on_domain === false) usage.off_domain++;
    else usage.unreadable++;
    if (j.cached) usage.cached++;
    else usage.calls++;
    usage.prompt_tokens += j.prompt_tokens;
    usage.completion_tokens += j.completion_tokens;
    usage.model = j.model;
    usage.prompt_version = j.prompt_version;
  }
  return usage;
}

/** Judges every request (in order, one model call each unless cached); `onProgress` sees the running count. */
export async function judgeAll(
  provider: LlmProvider,
  template: JudgeTemplate,
  requests: JudgeRequest[],
  topicOf: (domain: string) => string,
  opts: JudgeOptions & { onProgress?: (done: number, total: number) => void },
): Promise<Judgement[]> {
  let done = 0;
  return Promise.all(
    requests.map(async r => {
      const j = await judgeOne(provider, template, topicOf(r.domain), r.excerpt, {
        ...opts,
        about: `judgement of document ${r.doc_id} for domain ${r.domain}`,
      });
      opts.onProgress?.(++done, requests.length);
      return j;
    }),
  );
}
