import { KeyTable } from './key-table.js';

/** A growable Int32Array (the index is built once; a plain array would cost twice the memory). */
class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): number {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length] = v;
    return this.length++;
  }
}

export interface Run {
  item: number;
  /** Index of the field in the item's texts. */
  field: number;
  /** Consecutive windows of the field found in order, at consecutive places of the document. */
  windows: number;
  /** Where the run starts in the document (token index). */
  at: number;
}

/**
 * Every window of every field with its place in the field: key → chain of postings (item, field, offset).
 * A field's postings are numbered consecutively, so the posting after `p` in the field is `p + 1`.
 */
export class Postings {
  private readonly head = new KeyTable();
  private readonly item = new IntList();
  private readonly field = new IntList();
  private readonly offset = new IntList();
  private readonly next = new IntList();

  get keys(): number {
    return this.head.size;
  }

  addField(keys: Float64Array, item: number, field: number): void {
    for (let o = 0; o < keys.length; o++) {
      const key = keys[o]!;
      const p = this.item.push(item);
      this.field.push(field);
      this.offset.push(o);
      this.next.push(this.head.get(key));
      this.head.set(key, p);
    }
  }

  /**
   * The longest run of a field's windows found in order at consecutive places of the document, among the
   * runs `accept` takes (it sees the item, field, the run's length so far, where it starts in the document and
   * where in the field).
   */
  longestRun(
    docKeys: Float64Array,
    accept: (item: number, field: number, windows: number, at: number, fieldAt: number) => boolean,
  ): Run | undefined {
    let best: Run | undefined;
    // The postings found at the previous place and the runs they end; a run continues only from p - 1 to p.
    let prev: number[] = [];
    let prevLen: number[] = [];
    let prevN = 0;
    let cur: number[] = [];
    let curLen: number[] = [];
    for (let at = 0; at < docKeys.length; at++) {
      let curN = 0;
      for (let p = this.head.get(docKeys[at]!); p !== -1; p = this.next.data[p]!) {
        let len = 1;
        if (this.offset.data[p]! > 0) {
          for (let k = 0; k < prevN; k++) if (prev[k] === p - 1) len += prevLen[k]!;
        }
        cur[curN] = p;
        curLen[curN++] = len;
        const item = this.item.data[p]!;
        const field = this.field.data[p]!;
        if ((!best || len > best.windows) && accept(item, field, len, at - len + 1, this.offset.data[p]! - len + 1))
          best = { item, field, windows: len, at: at - len + 1 };
      }
      [prev, cur] = [cur, prev];
      [prevLen, curLen] = [curLen, prevLen];
      prevN = curN;
    }
    return best;
  }
}
