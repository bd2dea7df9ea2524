/** Thought parsing, the thought prompt, and post-processing of a query set: no model needed. */
import { describe, expect, it } from 'vitest';
import { Counters, type Query } from '../core/types.js';
import {
  NearDuplicateIndex,
  jaccard,
  loadTemplate,
  nearDuplicateRate,
  normaliseQuery,
  parseBootstrapConfig,
  parseThought,
  postprocessQueries,
  renderQuestionPrompt,
  shingles,
} from '../stages/bootstrap/index.js';
import { tempDir } from './helpers.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const opts = { minWords: 3, maxWords: 40 };

// A real completion of the 270M base model for "What causes atherosclerosis?" (thought-generation.v1, seed 7).
const REAL = ` To answer this I need to know the causes of atherosclerosis, the development of the disease over time and the benefits of cholesterol to the body.
Concepts: atherosclerosis; cholesterol; atherosclerosis (heart disease)
Sub-questions:
1. What are the two major causes of atherosclerosis?
2. How did the development of the disease over time?
3. What benefits do cholesterol to the body and cholesterol to the heart have on the body?
4. What are the two types of cholesterol?`;

describe('parseThought', () => {
  it('reads reasoning, concepts and the numbered sub-questions of a real completion', () => {
    const t = parseThought(REAL, opts);
    expect(t.structured).toBe(true);
    expect(t.thinking).toMatch(/^To answer this I need to know the causes of atherosclerosis/);
    expect(t.concepts).toEqual(['atherosclerosis', 'cholesterol', 'atherosclerosis (heart disease)']);
    expect(t.questions.filter(q => !q.drop).map(q => q.text)).toEqual([
      'What are the two major causes of atherosclerosis?',
      'How did the development of the disease over time?',
      'What benefits do cholesterol to the body and cholesterol to the heart have on the body?',
      'What are the two types of cholesterol?',
    ]);
  });

  it('takes concepts wrapped onto the next line, and a list that starts without its header', () => {
    const t = parseThought(
      ' To answer this I need chlorophyll.\nConcepts:\nChlorophyll; light reactions\n1. How does chlorophyll absorb light?\n- Why are leaves green in summer?',
      opts,
    );
    expect(t.concepts).toEqual(['Chlorophyll', 'light reactions']);
    expect(t.structured).toBe(false);
    expect(t.questions.map(q => q.text)).toEqual([
      'How does chlorophyll absorb light?',
      'Why are leaves green in summer?',
    ]);
  });

  it('counts a rambling answer as having no questions, and marks a cut-off last line', () => {
    expect(parseThought(' I think this is about stars and they are very big', opts).questions).toEqual([]);
    const cut = parseThought(' x\nConcepts: a\nSub-questions:\n1. What is a neutron star?\n2. How do neutron stars', {
      ...opts,
      truncated: true,
    });
    expect(cut.questions.map(q => q.drop)).toEqual([undefined, 'truncated']);
  });
});

describe('thought prompt', () => {
  it('is versioned few-shot text ending where the model continues', () => {
    const config = parseBootstrapConfig({});
    const t = loadTemplate(config.thought_prompt, 'question');
    expect(t.version).toBe('thought-generation.v1');
    const seed = {
      id: 's-1',
      domain: 'medicine',
      type: 'keyword' as const,
      text: 'heart disease',
      source: { file: 'x', row: 1 },
    };
    const p = renderQuestionPrompt(t, '  What causes\n atherosclerosis? ', seed);
    expect(p.endsWith('Question: What causes atherosclerosis?\nThinking:\n')).toBe(true);
    expect(p.match(/Sub-questions:/g)).toHaveLength(2); // two worked examples
  });
});

function q(
  id: string,
  text: string,
  domain = 'medicine',
  method: Query['lineage']['method'] = 'question_extension',
): Query {
  return { id, domain, text, lineage: { seed_id: 's-1', round: method === 'seed' ? 0 : 1, method } };
}

describe('near duplicates', () => {
  it('finds pairs at or above the threshold and no others (MinHash candidates, exact Jaccard check)', () => {
    expect(
      jaccard(shingles('what causes high blood pressure', 2), shingles('What causes high blood pressure?', 2)),
    ).toBe(1);
    const idx = new NearDuplicateIndex(0.6, 2);
    expect(idx.check('a', 'What are the symptoms of type 2 diabetes in adults?')).toBeUndefined();
    expect(idx.check('b', 'What are the early symptoms of type 2 diabetes in adults?')).toMatchObject({ of: 'a' });
    expect(idx.check('c', 'How is type 1 diabetes treated in children?')).toBeUndefined();
  });
});

describe('postprocessQueries', () => {
  it('normalises, bounds, blocks, removes exact and near duplicates per domain, and counts every drop', async () => {
    const dir = await tempDir();
    const blocklist = join(dir, 'block.txt');
    await writeFile(blocklist, '# test list\ncasino\nlanguage model\n');
    const config = parseBootstrapConfig({
      postprocess: { blocklist, near_duplicate_threshold: 0.6, min_chars: 10, max_chars: 80 },
    }).postprocess;
    const input = [
      q('q1', 'diabetes', 'medicine', 'seed'), // a seed: kept though shorter than min_chars
      q('q1b', 'Diabetes!', 'medicine', 'seed'), // seeds are the user's words: always kept
      q('q1c', 'Diabetes.', 'medicine'), // a generated copy of a seed, too short as well: bounds first
      q('q2', '  "What are the symptoms of type 2 diabetes in adults ?"  '),
      q('q3', 'what are the symptoms of type 2 diabetes in adults'),
      q('q4', 'What are the early symptoms of type 2 diabetes in adults?'),
      q('q5', 'What are the symptoms of type 2 diabetes in adults?', 'stem'), // another domain: kept
      q('q6', 'Which casino games have the best odds for diabetes patients?'),
      q('q7', 'Wie behandelt man Diabetes bei älteren Menschen im Krankenhaus?'),
      q('q8', `What is ${'very '.repeat(20)}long?`),
      q('q9', 'How does insulin resistance develop??'),
      q('q10', 'How does insulin resistance develop'), // same words as q9: an exact duplicate
    ];
    const counters = new Counters();
    const { kept, removed } = postprocessQueries(input, config, counters);
    expect(kept.map(k => [k.id, k.text])).toEqual([
      ['q1', 'diabetes'],
      ['q1b', 'Diabetes!'],
      ['q2', 'What are the symptoms of type 2 diabetes in adults?'],
      ['q5', 'What are the symptoms of type 2 diabetes in adults?'],
      ['q9', 'How does insulin resistance develop?'],
    ]);
    expect(Object.fromEntries(removed.map(r => [r.record.id, r.rule]))).toEqual({
      q1c: 'bootstrap.post.too_short',
      q3: 'bootstrap.post.exact_duplicate',
      q4: 'bootstrap.post.near_duplicate',
      q6: 'bootstrap.post.blocklist',
      q7: 'bootstrap.post.language',
      q8: 'bootstrap.post.too_long',
      q10: 'bootstrap.post.exact_duplicate',
    });
    expect(removed.find(r => r.record.id === 'q4')!.values).toMatchObject({ duplicate_of: 'q2' });
    expect(counters.get('bootstrap.post.in')).toBe(12);
    expect(counters.get('bootstrap.post.kept') + removed.length).toBe(12);
    expect(nearDuplicateRate(input.slice(3, 7), 0.6, 2)).toBe(0.5); // q3, q4 near q2; q5 in another domain
  });

  it('names the blocklist key when the file is missing', () => {
    const config = parseBootstrapConfig({ postprocess: { blocklist: '/nonexistent/block.txt' } }).postprocess;
    expect(() => postprocessQueries([q('a', 'What is a heart attack?')], config, new Counters())).toThrow(
      /bootstrap.postprocess.blocklist \/nonexistent\/block.txt/,
    );
  });

  it('keeps plain English text, normalises odd spacing and quotes', () => {
    expect(normaliseQuery('“How do  vaccines work ?!”')).toBe('How do vaccines work?');
  });
});
