import type { SignatureFile } from './signature-file.js';

interface Cursor {
  blocks: Generator<Uint32Array>;
  block: Uint32Array;
  at: number;
  offset: number;
}

function advance(c: Cursor): boolean {
  c.at += 3;
  if (c.at < c.block.length) return true;
  const next = c.blocks.next();
  if (next.done) return false;
  c.block = next.value;
  c.at = 0;
  return true;
}

const less = (a: Cursor, b: Cursor) => {
  const ah = a.block[a.at]!, bh = b.block[b.at]!;
  if (ah !== bh) return ah < bh;
  return a.block[a.at + 1]! < b.block[b.at + 1]!;
};

/**
 * Merges one band's sorted runs from every shard file (a k-way merge with a binary heap, reading blocks,
 * so memory is k blocks, not the band) and calls `bucket` with the global indices of each key shared by
 * two or more documents.
 */
export function mergeBand(files: SignatureFile[], offsets: number[], band: number, bucket: (members: number[]) => void, block = 65536): number {
  const heap: Cursor[] = [];
  files.forEach((f, i) => {
    const blocks = f.bandRun(band, block);
    const first = blocks.next();
    if (!first.done && first.value.length > 0) heap.push({ blocks, block: first.value, at: 0, offset: offsets[i]! });
  });
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  let buckets = 0;
  let members: number[] = [];
  let curHi = -1, curLo = -1;
  while (heap.length > 0) {
    const top = heap[0]!;
    const hi = top.block[top.at]!, lo = top.block[top.at + 1]!;
    const doc = top.offset + top.block[top.at + 2]!;
    if (hi !== curHi || lo !== curLo) {
      if (members.length > 1) {
        bucket(members);
        buckets++;
      }
      members = [];
      curHi = hi;
      curLo = lo;
    }
    members.push(doc);
    if (!advance(top)) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) siftDown(0);
  }
  if (members.length > 1) {
    bucket(members);
    buckets++;
  }
  return buckets;
}
