import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlockedJsonlWriter } from '../core/jsonl-blocks.js';
import { readJsonl } from '../core/jsonl.js';
import type { Doc } from '../core/types.js';
import { keptDocs, type ScoredShardFiles } from '../stages/retrieve/stream/shard-files.js';
import { haveSharedData, newsCorpus, tempDir } from './helpers.js';

describe.runIf(haveSharedData())('stream mode: the candidates read of kept documents (real posts)', () => {
  it('gives each id its first copy in the order asked, in one pass or in many under a small memory cap', async () => {
    const posts: Doc[] = [];
    for await (const p of readJsonl<Doc>(newsCorpus)) {
      posts.push(p);
      if (posts.length === 900) break;
    }
    // Three shards, two id-range blocks each (by the parity of the post's place); the third shard repeats ten
    // ids of the first with other text: the first shard's copy must win.
    const dir = await tempDir('qcc-kept-docs-');
    const shardDocs = [
      posts.slice(0, 300),
      posts.slice(300, 600),
      [...posts.slice(600), ...posts.slice(0, 20).map(p => ({ ...p, text: `later copy ${p.text}` }))],
    ];
    const shards: ScoredShardFiles[] = [];
    for (const [s, docs] of shardDocs.entries()) {
      const files = { hits: '', docs: join(dir, `docs-${s}.jsonl.gz`), blocks: join(dir, `blocks-${s}.json`) };
      const writer = new BlockedJsonlWriter(files.docs, 2);
      for (const doc of docs) await writer.write(posts.indexOf(posts.find(p => p.id === doc.id)!) % 2, doc);
      await writeFile(files.blocks, JSON.stringify({ hits: [], docs: await writer.close() }));
      shards.push(files);
    }
    // Block 1's ids in an order of their own (by text length), as the candidates step asks for a sorted range.
    const wanted = posts
      .filter((_, i) => i % 2 === 1)
      .sort((a, b) => a.text.length - b.text.length || a.id.localeCompare(b.id));
    const read = async (maxChars?: number) => {
      const out: Doc[] = [];
      for await (const doc of keptDocs(
        wanted.map(p => p.id),
        shards,
        1,
        maxChars,
      ))
        out.push(doc);
      return out;
    };
    const totalChars = wanted.reduce((n, p) => n + p.text.length, 0);
    expect(await read()).toEqual(wanted);
    expect(await read(Math.floor(totalChars / 10))).toEqual(wanted);
    expect(await read(1)).toEqual(wanted.slice(0, 450));
    await expect(
      (async () => {
        for await (const _ of keptDocs(['no-such-id'], shards, 1)) void _;
      })(),
    ).rejects.toThrow('document no-such-id was retrieved but no stream_score shard kept it');
  });
});
