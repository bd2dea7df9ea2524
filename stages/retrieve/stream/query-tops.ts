/**
 * Every query's best k hits in one shard, as binary heaps over typed arrays (worst hit on top), one per query and
 * allocated at its first hit. A shard admits hundreds of hits per document at 10,000 queries; a heap of objects
 * cost an allocation and pointer chasing per admission (scripts/bench/stream-cpu.mjs measures the difference).
 * A hit is (score, ord); of equal scores the earlier document ranks first (FTS5: lower rowid).
 */
export class QueryTops {
  private readonly scores: (Float64Array | undefined)[];
  private readonly ords: (Int32Array | undefined)[];
  private readonly sizes: Int32Array;

  constructor(
    queries: number,
    private readonly k: number,
  ) {
    this.scores = new Array<Float64Array | undefined>(queries).fill(undefined);
    this.ords = new Array<Int32Array | undefined>(queries).fill(undefined);
    this.sizes = new Int32Array(queries);
  }

  /** A score at or below this cannot get in any more, for a hit later than every hit so far (-Infinity: any can). */
  threshold(q: number): number {
    return this.sizes[q]! < this.k ? -Infinity : this.scores[q]![0]!;
  }

  /** Adds a hit later than every hit of q so far, if it ranks above q's worst kept hit or q has fewer than k. */
  push(q: number, score: number, ord: number): void {
    let s = this.scores[q];
    let o = this.ords[q]!;
    if (s === undefined) {
      s = this.scores[q] = new Float64Array(this.k);
      o = this.ords[q] = new Int32Array(this.k);
    }
    const n = this.sizes[q]!;
    if (n < this.k) {
      let i = n;
      this.sizes[q] = n + 1;
      // Sift up: a parent that ranks before the new hit moves down (the worst hit stays on top).
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!ranksBefore(s[parent]!, o[parent]!, score, ord)) break;
        s[i] = s[parent]!;
        o[i] = o[parent]!;
        i = parent;
      }
      s[i] = score;
      o[i] = ord;
      return;
    }
    if (!ranksBefore(score, ord, s[0]!, o[0]!)) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      // The child that ranks last, if it ranks after the new hit, moves up.
      let worst = l;
      if (r < n && ranksBefore(s[l]!, o[l]!, s[r]!, o[r]!)) worst = r;
      if (!ranksBefore(score, ord, s[worst]!, o[worst]!)) break;
      s[i] = s[worst]!;
      o[i] = o[worst]!;
      i = worst;
    }
    s[i] = score;
    o[i] = ord;
  }

  /** Query q's kept hits, best first. */
  sorted(q: number): { score: number; ord: number }[] {
    const n = this.sizes[q]!;
    const s = this.scores[q];
    const o = this.ords[q];
    const out: { score: number; ord: number }[] = [];
    for (let i = 0; i < n; i++) out.push({ score: s![i]!, ord: o![i]! });
    return out.sort((a, b) => b.score - a.score || a.ord - b.ord);
  }
}

/** Whether hit (sa, oa) ranks before hit (sb, ob): higher score, then earlier document. */
function ranksBefore(sa: number, oa: number, sb: number, ob: number): boolean {
  return sa > sb || (sa === sb && oa < ob);
}
