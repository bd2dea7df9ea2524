import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Query, Removal, Seed } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  CachedProvider,
  cleanLine,
  bootstrapConfigSchema,
  createProvider,
  extendQuestions,
  loadTemplate,
  parseQuestions,
  parseTemplate,
  queryId,
  renderPrompt,
  resolveModelPath,
  samplingSeed,
  type BootstrapConfigInput,
  type CompletionRequest,
  type CompletionResult,
  type LlmProvider,
} from '../stages/bootstrap/index.js';

/** A scripted provider: answers from a function of the request, and records every request. */
class FakeProvider implements LlmProvider {
  readonly name = 'fake';
  readonly model = 'fake-1';
  readonly requests: CompletionRequest[] = [];
  closed = false;
  constructor(
    private readonly answer: (req: CompletionRequest, n: number) => Partial<CompletionResult> & { text: string },
  ) {}
  async complete(req: CompletionRequest): Promise<CompletionResult> {
    this.requests.push(req);
    return { promptTokens: 10, completionTokens: 5, finishReason: 'stop', ...this.answer(req, this.requests.length) };
  }
  async close() {
    this.closed = true;
  }
}

function seed(domain: string, text: string, id = `s-${domain}`): Seed {
  return { id, domain, type: 'keyword', text, source: { file: 'x.csv', row: 1 } };
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect(it: AsyncIterable<Query>): Promise<Query[]> {
  const out: Query[] = [];
  for await (const q of it) out.push(q);
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcc-bootstrap-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseQuestions', () => {
  const opts = { minWords: 3, maxWords: 12 };
  it('reads numbered, bulleted and plain lines and says why each drop happened', () => {
    const text = [
      '1. What are the early symptoms of type 2 diabetes?',
      '2) **How is   insulin resistance diagnosed?**',
      '- Explain how HbA1c is measured',
      '• "Why does thirst increase with high blood sugar?"',
      '5.',
      "6. I'm sorry, but I cannot answer medical questions?",
      'Topic: insulin pumps',
      '7. Diabetes is common.',
      '8. Why?',
      '9. What is the full list of every complication that type 2 diabetes can cause in adults and children over time?',
    ].join('\n');
    const parsed = parseQuestions(text, opts);
    expect(parsed).toEqual([
      { text: 'What are the early symptoms of type 2 diabetes?' },
      { text: 'How is insulin resistance diagnosed?' },
      { text: 'Explain how HbA1c is measured' },
      { text: 'Why does thirst increase with high blood sugar?' },
      { text: '', drop: 'empty' },
      { text: "I'm sorry, but I cannot answer medical questions?", drop: 'refusal' },
      { text: 'Topic: insulin pumps', drop: 'template_echo' },
      { text: 'Diabetes is common.', drop: 'not_question' },
      { text: 'Why?', drop: 'too_short' },
      {
        text: 'What is the full list of every complication that type 2 diabetes can cause in adults and children over time?',
        drop: 'too_long',
      },
    ]);
  });

  it('strips markers, emphasis and quotes but not numbers that belong to the question', () => {
    expect(cleanLine('**3.** What is RSA?')).toBe('What is RSA?');
    expect(cleanLine('Q2: Why are   keys "public"?')).toBe('Why are keys "public"?');
    expect(cleanLine('4. 5.5 million people have diabetes: why?')).toBe('5.5 million people have diabetes: why?');
    expect(cleanLine('a) how do orbits decay?')).toBe('how do orbits decay?');
  });

  it('drops the cut-off last line of a completion that hit max tokens', () => {
    const text = '1. What is public key encryption?\n2. How does RSA choose its';
    expect(parseQuestions(text, { ...opts, truncated: true })).toEqual([
      { text: 'What is public key encryption?' },
      { text: 'How does RSA choose its', drop: 'truncated' },
    ]);
    // Not truncated: the same line is judged on its own (a question start, so kept).
    expect(parseQuestions(text, opts)[1]).toEqual({ text: 'How does RSA choose its' });
  });
});

describe('prompt templates', () => {
  it('strips and records the version line and fills the seed in', () => {
    const t = loadTemplate('config/prompts/question-extension.v1.txt');
    expect(t.version).toBe('question-extension.v1');
    const prompt = renderPrompt(t, seed('medicine', 'symptoms of  type 2\ndiabetes'));
    expect(prompt).not.toContain('# version');
    expect(prompt).not.toContain('{{');
    expect(prompt.endsWith('Topic: symptoms of type 2 diabetes\nQuestions:\n')).toBe(true);
    // Few-shot: at least one worked example before the seed's topic.
    expect(prompt.match(/^Topic: /gm)!.length).toBeGreaterThanOrEqual(2);
  });

  it('rejects templates without a version line, without {{topic}}, or with unknown placeholders', () => {
    expect(() => parseTemplate('Topic: {{topic}}\n', 'a.txt')).toThrow(
      /a\.txt: the first line must be `# version: <name>`/,
    );
    expect(() => parseTemplate('# version: x.v1\nTopic:\n', 'b.txt')).toThrow(
      /b\.txt: the template has no \{\{topic\}\}/,
    );
    expect(() => parseTemplate('# version: x.v1\n{{topic}} {{colour}}\n', 'c.txt')).toThrow(
      /unknown placeholder \{\{colour\}\}/,
    );
  });
});

describe('bootstrap config', () => {
  it('applies defaults and is strict', () => {
    const c = bootstrapConfigSchema.parse({});
    expect(c).toMatchObject({
      provider: 'llama',
      threads: 1,
      samples_per_seed: 2,
      temperature: 0.9,
      max_tokens: 160,
      base_seed: 1,
      include_seeds: true,
      api_key_env: 'OPENAI_API_KEY',
    });
    expect(c.prompt).toBe('config/prompts/question-extension.v1.txt');
    expect(() => bootstrapConfigSchema.parse({ sample_per_seed: 3 })).toThrow(/sample_per_seed/);
    expect(() => bootstrapConfigSchema.parse({ provider: 'openai' })).toThrow(/required when provider is 'openai'/);
    expect(() => bootstrapConfigSchema.parse({ min_query_words: 9, max_query_words: 4 })).toThrow(/max_query_words/);
    expect(createProvider({ provider: 'none' })).toBeNull();
  });

  it('names the missing model file and the command that fetches it', () => {
    const missing = join(dir, 'nope.gguf');
    expect(() => resolveModelPath(missing)).toThrow(missing);
    expect(() => resolveModelPath(missing)).toThrow(/npm run fetch-model/);
    expect(() => createProvider({ provider: 'llama', model: missing })).toThrow(/npm run fetch-model/);
  });
});

describe('extendQuestions', () => {
  const seeds = [seed('medicine', 'symptoms of type 2 diabetes'), seed('space', 'geostationary orbits')];
  const answer = (req: CompletionRequest) => {
    const topic = /Topic: (.*)\nQuestions:\n$/.exec(req.prompt)![1]!;
    return {
      text:
        `1. What is ${topic}?\n` + // the same in every sample: a duplicate from the second on
        `2. Why does ${topic} matter to people, sample ${req.seed}?\n` +
        `3. what IS ${topic}?\n` + // case variant of 1.
        `4. Not a question about ${topic}.\n` +
        '5. Why not?',
    };
  };

  it('emits each seed, then parsed questions with complete lineage, counting every drop', async () => {
    const provider = new FakeProvider(answer);
    const removed: Removal[] = [];
    const ctx = { ...testContext<BootstrapConfigInput>({ samples_per_seed: 2, base_seed: 7 }), provider };
    ctx.remove = r => removed.push(r);
    const queries = await collect(extendQuestions(from(seeds), ctx));

    expect(provider.requests).toHaveLength(4);
    const seedsOf = provider.requests.map(r => r.seed);
    expect(new Set(seedsOf).size).toBe(4);
    expect(seedsOf).toEqual([
      samplingSeed(7, 's-medicine', 0),
      samplingSeed(7, 's-medicine', 1),
      samplingSeed(7, 's-space', 0),
      samplingSeed(7, 's-space', 1),
    ]);
    for (const r of provider.requests) {
      expect(r).toMatchObject({ maxTokens: 160, temperature: 0.9, stop: ['\n\n'] });
      expect(r.prompt).not.toContain('# version');
    }

    // Per seed: the seed, "What is ..." once, "Why ..." per sample.
    expect(queries.map(q => [q.domain, q.lineage.method, q.text])).toEqual([
      ['medicine', 'seed', 'symptoms of type 2 diabetes'],
      ['medicine', 'question_extension', 'What is symptoms of type 2 diabetes?'],
      [
        'medicine',
        'question_extension',
        `Why does symptoms of type 2 diabetes matter to people, sample ${seedsOf[0]}?`,
      ],
      [
        'medicine',
        'question_extension',
        `Why does symptoms of type 2 diabetes matter to people, sample ${seedsOf[1]}?`,
      ],
      ['space', 'seed', 'geostationary orbits'],
      ['space', 'question_extension', 'What is geostationary orbits?'],
      ['space', 'question_extension', `Why does geostationary orbits matter to people, sample ${seedsOf[2]}?`],
      ['space', 'question_extension', `Why does geostationary orbits matter to people, sample ${seedsOf[3]}?`],
    ]);
    expect(queries[0]!.lineage).toEqual({ seed_id: 's-medicine', round: 0, method: 'seed' });
    expect(queries[2]!.lineage).toEqual({
      seed_id: 's-medicine',
      round: 1,
      method: 'question_extension',
      prompt_version: 'question-extension.v1',
      model: 'fake:fake-1',
      sampling_seed: seedsOf[0],
    });
    expect(queries[1]!.id).toBe(queryId('medicine', 'what is SYMPTOMS of type 2   diabetes?'));
    expect(queries.every(q => /^q-[0-9a-f]{12}$/.test(q.id))).toBe(true);

    expect(ctx.counters.toJSON()).toEqual({
      'bootstrap.completion_tokens': 20,
      'bootstrap.duplicates': 6, // per seed: "What is" in sample 2, and the case variant in both samples
      'bootstrap.llm_calls': 4,
      'bootstrap.parse.not_question': 4,
      'bootstrap.parse.too_short': 4,
      'bootstrap.prompt_tokens': 40,
      'bootstrap.queries': 8,
      'bootstrap.queries.question_extension': 6,
      'bootstrap.queries.seed': 2,
      'bootstrap.seeds': 2,
    });
    expect(removed).toHaveLength(14);
    expect(removed.filter(r => r.rule === 'bootstrap.parse.not_question')[0]!.record).toMatchObject({
      seed_id: 's-medicine',
      text: 'Not a question about symptoms of type 2 diabetes.',
    });
  });

  it("with provider 'none' or samples_per_seed 0 emits the seeds alone; include_seeds false leaves them out", async () => {
    const none = { ...testContext<BootstrapConfigInput>({ provider: 'none' }), provider: null };
    expect((await collect(extendQuestions(from(seeds), none))).map(q => q.text)).toEqual([
      'symptoms of type 2 diabetes',
      'geostationary orbits',
    ]);

    const provider = new FakeProvider(answer);
    const noSeeds = { ...testContext<BootstrapConfigInput>({ include_seeds: false, samples_per_seed: 1 }), provider };
    const qs = await collect(extendQuestions(from(seeds), noSeeds));
    expect(qs.every(q => q.lineage.method === 'question_extension')).toBe(true);
    expect(qs).toHaveLength(4);

    const missing = { ...testContext<BootstrapConfigInput>({ provider: 'llama' }), provider: null };
    await expect(collect(extendQuestions(from(seeds), missing))).rejects.toThrow(/no LLM provider was given/);
  });

  it('counts a completion that hit max tokens and drops its cut-off line', async () => {
    const provider = new FakeProvider(() => ({
      text: '1. What is a geostationary orbit?\n2. How high above the equator do',
      finishReason: 'length',
    }));
    const ctx = { ...testContext<BootstrapConfigInput>({ samples_per_seed: 1, include_seeds: false }), provider };
    const qs = await collect(extendQuestions(from([seeds[1]!]), ctx));
    expect(qs.map(q => q.text)).toEqual(['What is a geostationary orbit?']);
    expect(ctx.counters.get('bootstrap.parse.truncated')).toBe(1);
    expect(ctx.counters.get('bootstrap.finish_length')).toBe(1);
  });
});

describe('CachedProvider', () => {
  it('answers a repeated request from disk, keyed on everything that changes the answer', async () => {
    const cacheDir = join(dir, 'cache');
    const inner = new FakeProvider((req, n) => ({ text: `answer ${n} to seed ${req.seed}` }));
    const cached = new CachedProvider(inner, cacheDir);
    const req = { prompt: 'Topic: x\nQuestions:\n', maxTokens: 50, temperature: 0.9, seed: 3, stop: ['\n\n'] };
    const first = await cached.complete(req);
    expect(first).toMatchObject({ text: 'answer 1 to seed 3', cached: false });
    expect(await cached.complete(req)).toMatchObject({ text: 'answer 1 to seed 3', cached: true });
    await cached.complete({ ...req, seed: 4 });
    await cached.complete({ ...req, temperature: 0.5 });
    await cached.complete({ ...req, stop: [] });
    expect(cached.stats).toEqual({ calls: 4, hits: 1 });

    // A fresh wrapper over the same folder makes no call at all.
    const inner2 = new FakeProvider(() => ({ text: 'should not be asked' }));
    const again = new CachedProvider(inner2, cacheDir);
    expect(await again.complete(req)).toMatchObject({ text: 'answer 1 to seed 3', cached: true });
    expect(again.stats).toEqual({ calls: 0, hits: 1 });
    expect(inner2.requests).toHaveLength(0);

    // Files are sharded by the first two hex characters of the key; a torn file is recomputed.
    const { key } = again.keyOf(req);
    expect(await readdir(join(cacheDir, key.slice(0, 2)))).toContain(`${key}.json`);
    await writeFile(again.pathOf(key), '{"key": "trunc');
    expect(await again.complete(req)).toMatchObject({ text: 'should not be asked', cached: false });
    await again.close();
    expect(inner2.closed).toBe(true);
  });
});
