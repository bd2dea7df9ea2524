/** A scored document of one shard: `ord` is its position among the shard's (unique) documents. */
export interface ShardHit {
  doc_id: string;
  ord: number;
  score: number;
}

/** Whether `a` ranks before `b` within a shard: higher score, then earlier document (FTS5: lower rowid). */
const before = (a: ShardHit, b: ShardHit) => a.score > b.score || (a.score === b.score && a.ord < b.ord);

/** The best k hits of one query, as a binary heap with the worst hit on top. */
export class TopK {
  private readonly heap: ShardHit[] = [];

  constructor(private readonly k: number) {}

  /** Whether a hit with this score and a later position than every hit so far would get in. */
  admits(score: number): boolean {
    return this.heap.length < this.k || score > this.heap[0]!.score;
  }

  /** A score at or below this cannot get in any more (for a hit later than every hit so far). */
  threshold(): number {
    return this.heap.length < this.k ? -Infinity : this.heap[0]!.score;
  }

  push(hit: ShardHit): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push(hit);
      let i = h.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!before(h[parent]!, h[i]!)) break;
        [h[parent], h[i]] = [h[i]!, h[parent]!];
        i = parent;
      }
      return;
    }
    if (!before(hit, h[0]!)) return;
    h[0] = hit;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && before(h[worst]!, h[l]!)) worst = l;
      if (r < h.length && before(h[worst]!, h[r]!)) worst = r;
      if (worst === i) break;
      [h[worst], h[i]] = [h[i]!, h[worst]!];
      i = worst;
    }
  }

  /** Best first. */
  sorted(): ShardHit[] {
    return [...this.heap].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }
}
