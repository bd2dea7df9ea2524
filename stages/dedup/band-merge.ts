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
  const ah = a.block[a.at]!,
    bh = b.block[b.at]!;
  if (ah !== bh) return ah < bh;
  return a.block[a.at + 1]! < b.block[b.at + 1]!;
};

/**
 * Visits, in key order, every (hi, lo, global index) record of sorted run `run` of every file: a k-way
 * merge with a binary heap over blocks read from disk, so memory is k blocks, not the run.
 */
export function mergeRecords(
  files: SignatureFile[],
  offsets: number[],
  run: (f: SignatureFile) => Generator<Uint32Array>,
  visit: (hi: number, lo: number, doc: number) => void,
): void {
  const heap: Cursor[] = [];
  files.forEach((f, i) => {
    const blocks = run(f);
    const first = blocks.next();
    if (!first.done && first.value.length > 0) heap.push({ blocks, block: first.value, at: 0, offset: offsets[i]! });
  });
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  while (heap.length > 0) {
    const top = heap[0]!;
    visit(top.block[top.at]!, top.block[top.at + 1]!, top.offset + top.block[top.at + 2]!);
    if (!advance(top)) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) siftDown(0);
  }
}

/**
 * Merges one sorted run of every file and calls `group` with the global indices of each key shared by two
 * or more documents (and the key); returns how many such groups there were.
 */
export function mergeGroups(
  files: SignatureFile[],
  offsets: number[],
  run: (f: SignatureFile) => Generator<Uint32Array>,
  group: (members: number[], hi: number, lo: number) => void,
  skipKey?: (hi: number, lo: number) => boolean,
): number {
  let groups = 0;
  let members: number[] = [];
  let curHi = -1,
    curLo = -1;
  let skipping = false;
  const flush = () => {
    if (members.length > 1 && !skipping) {
      group(members, curHi, curLo);
      groups++;
    }
  };
  mergeRecords(files, offsets, run, (hi, lo, doc) => {
    if (hi !== curHi || lo !== curLo) {
      flush();
      members = [];
      curHi = hi;
      curLo = lo;
      skipping = skipKey?.(hi, lo) ?? false;
    }
    if (!skipping) members.push(doc);
  });
  flush();
  return groups;
}

/** The buckets of one band: documents sharing a band key. */
export function mergeBand(
  files: SignatureFile[],
  offsets: number[],
  band: number,
  bucket: (members: number[]) => void,
  block = 65536,
): number {
  return mergeGroups(
    files,
    offsets,
    f => f.bandRun(band, block),
    members => bucket(members),
  );
}
