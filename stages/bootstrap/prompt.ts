/** Versioned prompt templates: first line `# version: <name>`, then the prompt with {{placeholders}}. */
import { readFileSync } from 'node:fs';
import type { Seed } from '../../core/types.js';
import { fromRepo } from '../../core/repo.js';

export interface PromptTemplate {
  /** Absolute path of the template file. */
  file: string;
  /** From the `# version:` line, e.g. `question-extension.v1`; recorded in each query's lineage. */
  version: string;
  /** The prompt text, version line removed. */
  body: string;
}

const VERSION_LINE = /^#\s*version:\s*(\S+)\s*$/;
const PLACEHOLDERS = ['topic', 'question', 'domain', 'subdomain', 'type'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

export function parseTemplate(text: string, file: string, required: 'topic' | 'question' = 'topic'): PromptTemplate {
  const normalised = text.replace(/\r\n/g, '\n');
  const nl = normalised.indexOf('\n');
  const first = nl < 0 ? normalised : normalised.slice(0, nl);
  const m = VERSION_LINE.exec(first);
  if (!m)
    throw new Error(
      `${file}: the first line must be \`# version: <name>\` (got ${JSON.stringify(first.slice(0, 60))})`,
    );
  const body = nl < 0 ? '' : normalised.slice(nl + 1);
  if (!body.includes(`{{${required}}}`)) throw new Error(`${file}: the template has no {{${required}}} placeholder`);
  for (const [, name] of body.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name ?? '')) {
      throw new Error(`${file}: unknown placeholder {{${name}}} (known: ${PLACEHOLDERS.join(', ')})`);
    }
  }
  return { file, version: m[1]!, body };
}

/** Load a template; relative paths are the repository's. */
export function loadTemplate(path: string, required: 'topic' | 'question' = 'topic'): PromptTemplate {
  const file = fromRepo(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`prompt template ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseTemplate(text, file, required);
}

/** Longer seeds (excerpts) are cut to this many words in the prompt. */
export const MAX_TOPIC_WORDS = 120;

/** The prompt for one seed. The topic is the seed text on one line, at most MAX_TOPIC_WORDS words. */
export function renderPrompt(t: PromptTemplate, seed: Seed): string {
  const words = seed.text.split(/\s+/).filter(Boolean);
  const topic = words.length > MAX_TOPIC_WORDS ? `${words.slice(0, MAX_TOPIC_WORDS).join(' ')} …` : words.join(' ');
  return fill(t, {
    topic,
    question: topic,
    domain: seed.domain,
    subdomain: seed.subdomain ?? seed.domain,
    type: seed.type,
  });
}

/** The thought-generation prompt for one question of a seed's lineage. */
export function renderQuestionPrompt(t: PromptTemplate, question: string, seed: Seed): string {
  const q = question.replace(/\s+/g, ' ').trim();
  return fill(t, {
    topic: seed.text,
    question: q,
    domain: seed.domain,
    subdomain: seed.subdomain ?? seed.domain,
    type: seed.type,
  });
}

function fill(t: PromptTemplate, values: Record<Placeholder, string>): string {
  return t.body.replace(
    /\{\{\s*(topic|question|domain|subdomain|type)\s*\}\}/g,
    (_m, name: Placeholder) => values[name],
  );
}
