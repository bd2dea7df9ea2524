import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import { fromRepo } from '../core/repo.js';
import { buildSemanticJudge, passages, semanticVerdict, standardiserOf } from '../stages/relevance/semantic-judge.js';
import { openEmbedderOrSkip } from './embed-helpers.js';
import { haveSharedData, newsCorpus } from './helpers.js';

describe('semantic judge: pure parts', () => {
  it('cuts a text into passages of whole words from its start, at most `chunks` of them', () => {
    const text = Array.from({ length: 25 }, (_, i) => `w${i}`).join('  \n');
    expect(passages(text, 2, 10)).toEqual([
      Array.from({ length: 10 }, (_, i) => `w${i}`).join(' '),
      Array.from({ length: 10 }, (_, i) => `w${i + 10}`).join(' '),
    ]);
    expect(passages(text, 9, 10)).toHaveLength(3);
    expect(passages('', 4, 10)).toEqual(['']);
  });

  it('gives the document to the domain with the highest standardised score, and says nothing with one domain', () => {
    expect(semanticVerdict('space', { space: 1.2, medicine: 0.4 })).toMatchObject({
      on_domain: true,
      nearest: 'space',
    });
    expect(semanticVerdict('space', { space: 0.3, medicine: 0.4 })).toMatchObject({
      on_domain: false,
      nearest: 'medicine',
    });
    expect(semanticVerdict('space', { space: 0.4, medicine: 0.4 }).on_domain).toBe(true);
    expect(semanticVerdict('space', { space: 2 })).toMatchObject({ on_domain: null, nearest: null });
    expect(semanticVerdict('law', { space: 1, medicine: 0 }).on_domain).toBeNull();
  });

  it('standardises by mean and spread, and survives a spread of zero', () => {
    expect(standardiserOf([1, 3])).toEqual({ mean: 2, sd: 1 });
    expect(standardiserOf([0.5, 0.5]).sd).toBeGreaterThan(0);
  });
});

const embedder = haveSharedData() ? await openEmbedderOrSkip({ threads: 1 }) : undefined;
afterAll(() => embedder?.close());

describe.skipIf(!embedder)('semantic judge on real posts with the demo seeds', () => {
  it('tells the four science groups apart well above chance, as posts are stored (headers included)', async () => {
    // The demo's seeds are its queries here (no bootstrapping), by domain.
    const queries = new Map<string, string[]>();
    for (const line of readFileSync(fromRepo('data/seeds/demo.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [domain, , , ...text] = line.split(',');
      queries.set(domain!, [...(queries.get(domain!) ?? []), text.join(',').replace(/^"|"$/g, '')]);
    }
    const groups: Record<string, string> = {
      'sci.med': 'medicine',
      'sci.space': 'space',
      'sci.crypt': 'cryptography',
      'sci.electronics': 'electronics',
    };
    const posts: { domain: string; text: string }[] = [];
    const controls: string[] = [];
    const seen = new Map<string, number>();
    let i = 0;
    for await (const r of readJsonl<{ label: string; text: string }>(newsCorpus)) {
      if (i++ % 50 === 7 && controls.length < 40) controls.push(r.text);
      const d = groups[r.label];
      if (d && (seen.get(d) ?? 0) < 10 && i % 7 === 0) {
        posts.push({ domain: d, text: r.text });
        seen.set(d, (seen.get(d) ?? 0) + 1);
      }
      if (posts.length === 40 && controls.length === 40) break;
    }
    expect(posts).toHaveLength(40);
    const judge = await buildSemanticJudge(embedder!, queries, controls, { chunks: 2, chunk_words: 90, neighbours: 3 });
    let right = 0;
    let wrongDomainYes = 0;
    for (const p of posts) {
      if ((await judge.judge(p.domain, p.text)).on_domain) right++;
      // The same post put in another domain: the judge should mostly say no.
      const other = Object.values(groups).find(d => d !== p.domain)!;
      if ((await judge.judge(other, p.text)).on_domain) wrongDomainYes++;
    }
    expect(right, 'posts judged on-domain in their own group').toBeGreaterThanOrEqual(28);
    expect(wrongDomainYes, 'posts judged on-domain in another group').toBeLessThanOrEqual(8);
    expect(judge.model).toBe(embedder!.model);
  }, 120_000);
});
