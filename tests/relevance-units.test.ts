import { describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import { relevanceConfigSchema } from '../stages/relevance/config.js';
import { pickJudgements, queryYields, type CandidateInfo } from '../stages/relevance/evidence.js';
import { Featurizer } from '../stages/relevance/features.js';
import { judgeExcerpt, loadJudgeTemplate, parseJudgement, renderJudgePrompt } from '../stages/relevance/judge.js';
import { PackedExamples, trainLogistic } from '../stages/relevance/linear.js';
import { thresholdFor } from '../stages/relevance/train.js';
import { normalQuantile, wilsonInterval } from '../stages/relevance/yield.js';
import type { Query } from '../core/types.js';
import { haveSharedData, newsCorpus } from './helpers.js';

describe('relevance config', () => {
  it('is off by default and rejects unknown keys', () => {
    expect(relevanceConfigSchema.parse({}).enabled).toBe(false);
    expect(() => relevanceConfigSchema.parse({ enabled: true, classifier: { hash_bit: 12 } })).toThrow(/hash_bit/);
    expect(() => relevanceConfigSchema.parse({ yield: { floor: 2 } })).toThrow();
  });
});

describe('hashed features', () => {
  const f = new Featurizer({ hashBits: 16, wordNgrams: 2, charNgrams: 4, maxChars: 4000 });
  const ids = (text: string) => {
    const { indices, count } = f.extract(text);
    return [...indices.subarray(0, count)];
  };

  it('are deterministic, case-folded, and count word bigrams and character n-grams', () => {
    expect(ids('Space Shuttle launch')).toEqual(ids('space shuttle LAUNCH'));
    // 3 unigrams + 2 bigrams + char 4-grams of _space_ (4), _shuttle_ (6), _launch_ (5)
    expect(ids('space shuttle launch')).toHaveLength(3 + 2 + 4 + 6 + 5);
    expect(ids('shuttle space launch')).not.toEqual(ids('space shuttle launch'));
    expect(ids('')).toEqual([]);
    expect(ids('a').every(i => i >= 0 && i < 2 ** 16)).toBe(true);
  });

  it('stop at max_chars', () => {
    const short = new Featurizer({ hashBits: 16, wordNgrams: 1, charNgrams: 0, maxChars: 11 });
    expect(short.extract('hello world and more words').count).toBe(2);
  });
});

describe('query yield', () => {
  it('Wilson interval matches the textbook values', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.96, 2);
    const { low, high } = wilsonInterval(8, 10, 0.95);
    expect(low).toBeCloseTo(0.4902, 3);
    expect(high).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 0, 0.9)).toEqual({ low: 0, high: 1 });
  });

  it('prunes a query only with enough judgements and an upper bound under the floor', () => {
    const queries = new Map<string, Query>([
      ['q1', { id: 'q1', domain: 'med', text: 'heart', lineage: { seed_id: 's', round: 0, method: 'seed' } }],
      ['q2', { id: 'q2', domain: 'med', text: 'car', lineage: { seed_id: 's', round: 0, method: 'seed' } }],
    ]);
    const cands: CandidateInfo[] = Array.from({ length: 8 }, (_, i) => ({
      id: `d${i}`,
      domain: 'med',
      hits: [{ query_id: i < 4 ? 'q1' : 'q2', score: 1, rank: (i % 4) + 1 }],
    }));
    const verdicts = new Map<string, boolean | null>(cands.map((c, i) => [`med\u0000${c.id}`, i < 4]));
    const rule = relevanceConfigSchema.parse({}).yield;
    const y = new Map(queryYields(cands, queries, verdicts, { ...rule, floor: 0.5 }).map(r => [r.query_id, r]));
    expect(y.get('q1')).toMatchObject({ judged: 4, on_domain: 4, yield: 1, pruned: false });
    expect(y.get('q2')).toMatchObject({ judged: 4, on_domain: 0, yield: 0, pruned: true });
    const picks = pickJudgements(cands, queries, {
      ...relevanceConfigSchema.parse({}).judge,
      per_query: 2,
      max_judgements: 3,
    });
    expect(picks).toHaveLength(3);
    expect(
      pickJudgements(cands, queries, { ...relevanceConfigSchema.parse({}).judge, per_query: 2, max_judgements: 3 }),
    ).toEqual(picks);
  });
});

describe('judge prompts and answers', () => {
  it('reads yes/no completions and JSON chat answers; anything else is unreadable', () => {
    expect(parseJudgement(' yes')).toEqual({ on_domain: true, reason: '' });
    expect(parseJudgement('No, it is about cars.')).toEqual({ on_domain: false, reason: 'it is about cars.' });
    expect(parseJudgement('```json\n{"on_domain": true, "reason": "a drug trial"}\n```')).toEqual({
      on_domain: true,
      reason: 'a drug trial',
    });
    expect(parseJudgement('Answer:').on_domain).toBeNull();
    expect(parseJudgement('yesterday I').on_domain).toBeNull();
  });

  it('renders the shipped templates with the document last and no trailing newline', () => {
    for (const file of ['config/prompts/relevance-judge.v1.txt', 'config/prompts/relevance-judge-chat.v1.txt']) {
      const t = loadJudgeTemplate(file);
      const prompt = renderJudgePrompt(t, 'medicine', judgeExcerpt('He said "take aspirin"\n\tdaily', 60));
      expect(prompt).toContain("He said 'take aspirin' daily");
      expect(prompt).toBe(prompt.trimEnd());
    }
    expect(() => loadJudgeTemplate('config/prompts/question-extension.v1.txt')).toThrow(
      /no \{\{document\}\} placeholder/,
    );
  });
});

describe('threshold for a target precision', () => {
  it('takes the deepest cut that keeps the target, weighting examples', () => {
    const margins = [5, 4, 3, 2, 1, 0];
    const labels = [1, 1, 0, 1, 0, 0];
    expect(thresholdFor(margins, labels, [1, 1, 1, 1, 1, 1], 0.75).threshold).toBe(2);
    expect(thresholdFor(margins, labels, [1, 1, 1, 1, 1, 1], 0.9).threshold).toBe(4);
    expect(thresholdFor(margins, labels, [1, 1, 5, 1, 1, 1], 0.75).threshold).toBe(4);
    expect(thresholdFor([1, 0], [0, 0], [1, 1], 0.5).threshold).toBe(Infinity);
  });
});

describe.runIf(haveSharedData())('logistic regression on real posts', () => {
  it('separates sci.space from rec.autos on held-back posts', async () => {
    const f = new Featurizer({ hashBits: 18, wordNgrams: 2, charNgrams: 4, maxChars: 4000 });
    const train = new PackedExamples();
    const test: { text: string; y: number }[] = [];
    let i = 0;
    for await (const post of readJsonl<{ label: string; text: string }>(newsCorpus)) {
      if (post.label !== 'sci.space' && post.label !== 'rec.autos') continue;
      const y = post.label === 'sci.space' ? 1 : 0;
      if (i++ % 4 === 0) test.push({ text: post.text, y });
      else train.add(f.extract(post.text), y);
    }
    const opts = { epochs: 4, learningRate: 0.5, l2: 1e-6, seed: 1 };
    const model = trainLogistic(train, f.dims, opts);
    const right = test.filter(({ text, y }) => {
      const { indices, count } = f.extract(text);
      return (model.margin(indices, count) >= 0 ? 1 : 0) === y;
    }).length;
    expect(right / test.length).toBeGreaterThan(0.93);
    expect(trainLogistic(train, f.dims, opts).weights).toEqual(model.weights);
  });
});
