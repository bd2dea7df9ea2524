import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { JsonlWriter, readJsonl } from './jsonl.js';

/** Where each block of a blocked file lies: `[start, length]` in bytes, by block number (length 0: empty). */
export type BlockRanges = Array<[start: number, length: number]>;

/**
 * A .jsonl.gz file written in numbered blocks, each block one gzip member, with the byte range of each: a reader
 * of one block reads only its own bytes (`readJsonlBlock`), and the file as a whole is still one valid .jsonl.gz
 * (gzip members concatenate). Records of a block may arrive in any order relative to other blocks: each block
 * fills its own part file (`ordered`: blocks arrive in order, so only one part is open at a time), and `close`
 * appends the parts in block order.
 */
export class BlockedJsonlWriter {
  private readonly parts = new Map<number, JsonlWriter>();
  private last = -1;
  records = 0;

  constructor(
    readonly path: string,
    readonly blocks: number,
    private readonly opts: { ordered?: boolean } = {},
  ) {}

  private partPath(block: number): string {
    return `${this.path}.part-${block}.gz`;
  }

  async write(block: number, record: unknown): Promise<void> {
    await this.writeMany(block, [record]);
  }

  async writeMany(block: number, records: unknown[]): Promise<void> {
    if (!Number.isInteger(block) || block < 0 || block >= this.blocks)
      throw new Error(`${this.path}: block ${block} is outside 0..${this.blocks - 1}`);
    let part = this.parts.get(block);
    if (!part) {
      if (this.opts.ordered) {
        if (block < this.last) throw new Error(`${this.path}: block ${block} written after block ${this.last}`);
        await this.parts.get(this.last)?.close();
      }
      part = await JsonlWriter.open(this.partPath(block));
      this.parts.set(block, part);
      this.last = block;
    }
    this.records += records.length;
    await part.writeMany(records);
  }

  /** Appends the parts in block order to `path` and removes them; returns each block's byte range. */
  async close(): Promise<BlockRanges> {
    const ranges: BlockRanges = [];
    const out = await open(this.path, 'w');
    let offset = 0;
    try {
      for (let b = 0; b < this.blocks; b++) {
        const part = this.parts.get(b);
        if (!part) {
          ranges.push([offset, 0]);
          continue;
        }
        await part.close();
        const start = offset;
        for await (const chunk of createReadStream(this.partPath(b))) {
          await out.write(chunk as Buffer);
          offset += (chunk as Buffer).length;
        }
        ranges.push([start, offset - start]);
      }
    } finally {
      await out.close();
      await this.discardParts();
    }
    return ranges;
  }

  /** Removes the part files (after `close`, or when the shard failed). */
  async discardParts(): Promise<void> {
    for (const [b, part] of this.parts) {
      await part.close().catch(() => {});
      await rm(this.partPath(b), { force: true });
    }
  }
}

/** The records of one block of a blocked file; nothing for an empty block. */
export async function* readJsonlBlock<T = unknown>(
  path: string,
  range: [number, number] | undefined,
): AsyncGenerator<T> {
  if (!range || range[1] === 0) return;
  const [start, length] = range;
  yield* readJsonl<T>(path, createReadStream(path, { start, end: start + length - 1 }));
}
