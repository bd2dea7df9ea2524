import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlockedJsonlWriter, readJsonlBlock } from '../core/jsonl-blocks.js';
import { readAllJsonl, readJsonl } from '../core/jsonl.js';
import { haveSharedData, newsCorpus, tempDir } from './helpers.js';

interface Post {
  id: string;
  label: string;
  text: string;
}

async function firstPosts(n: number): Promise<Post[]> {
  const posts: Post[] = [];
  for await (const p of readJsonl<Post>(newsCorpus)) {
    posts.push(p);
    if (posts.length === n) break;
  }
  return posts;
}

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe.runIf(haveSharedData())('blocked .jsonl.gz files (stream_score hits and kept documents)', () => {
  it('reads back each block alone, and the whole file in block order; empty blocks are empty', async () => {
    const posts = await firstPosts(600);
    const groups = [...new Set(posts.map(p => p.label))].sort();
    // One block per newsgroup plus two that stay empty; posts arrive in corpus order, so blocks interleave.
    const blocks = groups.length + 2;
    const dir = await tempDir('qcc-blocks-');
    const file = join(dir, 'docs.jsonl.gz');
    const writer = new BlockedJsonlWriter(file, blocks);
    for (const p of posts) await writer.write(groups.indexOf(p.label) + 1, p);
    const ranges = await writer.close();

    expect(ranges).toHaveLength(blocks);
    expect(ranges[0]![1]).toBe(0);
    expect(ranges[blocks - 1]![1]).toBe(0);
    expect(await collect(readJsonlBlock(file, ranges[0]))).toEqual([]);
    for (const [g, label] of groups.entries())
      expect(await collect(readJsonlBlock<Post>(file, ranges[g + 1]))).toEqual(posts.filter(p => p.label === label));
    const inBlockOrder = groups.flatMap(label => posts.filter(p => p.label === label));
    expect(await readAllJsonl<Post>(file)).toEqual(inBlockOrder);
    // Contiguous ranges that cover the file; no part file is left beside it.
    let end = 0;
    for (const [start, length] of ranges) {
      expect(start).toBe(end);
      end = start + length;
    }
    expect(readdirSync(dir)).toEqual(['docs.jsonl.gz']);
  });

  it('in ordered mode refuses a block that comes back after a later one, and names the file', async () => {
    const posts = await firstPosts(10);
    const dir = await tempDir('qcc-blocks-');
    const file = join(dir, 'hits.jsonl.gz');
    const writer = new BlockedJsonlWriter(file, 3, { ordered: true });
    await writer.writeMany(0, posts.slice(0, 5));
    await writer.writeMany(2, posts.slice(5));
    await expect(writer.write(1, posts[0])).rejects.toThrow(`${file}: block 1 written after block 2`);
    await expect(writer.write(3, posts[0])).rejects.toThrow(`${file}: block 3 is outside 0..2`);
    await writer.discardParts();
    expect(readdirSync(dir)).toEqual([]);
  });
});
