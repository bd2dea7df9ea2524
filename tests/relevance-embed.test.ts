import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import { defaultEmbedModelDir, EmbedderUnavailableError, openEmbedder } from '../stages/relevance/embed.js';
import { openEmbedderOrSkip } from './embed-helpers.js';
import { haveSharedData, newsCorpus } from './helpers.js';

const embedder = haveSharedData() ? await openEmbedderOrSkip({ maxTokens: 128 }) : undefined;
afterAll(() => embedder?.close());

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/**
 * The first `n` posts of each group, in file order, without their Usenet header lines (From:, Organization:,
 * Lines: ... fill most of the first 128 tokens of a stored post and would make every post look alike).
 */
async function postsOf(groups: string[], n: number): Promise<{ label: string; text: string }[]> {
  const out: { label: string; text: string }[] = [];
  const count = new Map<string, number>();
  for await (const r of readJsonl<{ label: string; text: string }>(newsCorpus)) {
    const c = count.get(r.label) ?? 0;
    if (groups.includes(r.label) && c < n) {
      out.push({ label: r.label, text: r.text.slice(r.text.indexOf('\t\t') + 2) });
      count.set(r.label, c + 1);
    }
  }
  return out;
}

describe.skipIf(!embedder)('sentence embedder (all-MiniLM-L6-v2, int8 ONNX)', () => {
  const e = embedder!;

  it('gives unit vectors of the model dimension, named with the token cut', async () => {
    const [v] = await e.embed(['The shuttle reached orbit after a delayed launch.']);
    expect(e.dim).toBe(384);
    expect(e.model).toBe('all-MiniLM-L6-v2-onnx-int8@128');
    expect(v).toHaveLength(384);
    expect(Math.abs(dot(v!, v!) - 1)).toBeLessThan(1e-5);
  });

  it('puts real posts of the same newsgroup closer together than posts of other groups', async () => {
    const groups = ['sci.space', 'sci.med', 'rec.sport.hockey', 'comp.graphics'];
    const posts = await postsOf(groups, 8);
    expect(posts).toHaveLength(32);
    const vecs = await e.embed(posts.map(p => p.text));
    const mean = (a: string, b: string) => {
      const sims: number[] = [];
      posts.forEach((p, i) =>
        posts.forEach((q, j) => {
          if (i !== j && p.label === a && q.label === b) sims.push(dot(vecs[i]!, vecs[j]!));
        }),
      );
      return sims.reduce((s, x) => s + x, 0) / sims.length;
    };
    for (const a of groups)
      for (const b of groups) if (a !== b) expect(mean(a, a), `${a} vs ${b}`).toBeGreaterThan(mean(a, b) + 0.05);
    // Nearest neighbour among the other 31 posts is from the same group for most posts.
    const sameGroup = posts.filter((p, i) => {
      let best = -1;
      let bestSim = -Infinity;
      vecs.forEach((v, j) => {
        const s = j === i ? -Infinity : dot(vecs[i]!, v);
        if (s > bestSim) [best, bestSim] = [j, s];
      });
      return posts[best]!.label === p.label;
    }).length;
    expect(sameGroup).toBeGreaterThanOrEqual(24);
  });

  it('is deterministic: the same text gives the same bits alone, in a batch and in another order', async () => {
    const posts = (await postsOf(['sci.crypt'], 3)).map(p => p.text);
    const batch = await e.embed(posts);
    const reversed = (await e.embed([...posts].reverse())).reverse();
    const alone = await e.embed([posts[1]!]);
    for (let i = 0; i < posts.length; i++) expect(Array.from(reversed[i]!)).toEqual(Array.from(batch[i]!));
    expect(Array.from(alone[0]!)).toEqual(Array.from(batch[1]!));
  });

  it('reads only the first maxTokens tokens: text past the cut does not change the vector', async () => {
    const [post] = (await postsOf(['sci.electronics'], 1)).map(p => p.text);
    expect(post!.length).toBeGreaterThan(1200); // longer than the first slice the embedder tokenizes (126 × 8 chars)
    const [a, b] = await e.embed([post!, `${post} Completely unrelated words about baking bread and football.`]);
    expect(Array.from(b!)).toEqual(Array.from(a!));
    const [c] = await e.embed([post!.slice(0, 200)]);
    expect(dot(a!, c!)).toBeLessThan(0.999);
  });

  it('embeds an empty text and a text of symbols without failing', async () => {
    const [empty, symbols] = await e.embed(['', '!!! ### ***']);
    expect(empty).toHaveLength(384);
    expect(Math.abs(dot(symbols!, symbols!) - 1)).toBeLessThan(1e-5);
  });

  it('names the model file when it is not a model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qcc-embed-bad-'));
    for (const f of ['embedder.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(defaultEmbedModelDir(), f), join(dir, f));
    writeFileSync(join(dir, 'model.onnx'), 'not an onnx model');
    await expect(openEmbedder({ modelDir: dir })).rejects.toThrow(`cannot load ${join(dir, 'model.onnx')}`);
  });

  it('refuses a token cut the model cannot take, naming the limit', async () => {
    await expect(openEmbedder({ maxTokens: 1000 })).rejects.toThrow(
      /maxTokens must be an integer in 3\.\.512, got 1000/,
    );
  });
});

describe('sentence embedder without a model', () => {
  it('says which folder is missing and how to fetch it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'qcc-embed-')), 'none');
    expect(existsSync(dir)).toBe(false);
    const err = await openEmbedder({ modelDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbedderUnavailableError);
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toContain('scripts/fetch-embedder.mjs');
    expect(defaultEmbedModelDir()).toMatch(/all-MiniLM-L6-v2$/);
  });
});
