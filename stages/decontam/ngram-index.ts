import type { DecontamConfig } from './config.js';
import { normaliseTokens, windowKeys } from './normalise.js';
import type { BenchmarkItem } from './benchmarks.js';

export interface Contamination {
  benchmark: string;
  item_id: string;
  /** Distinct n-grams of the item found in the document. */
  matched_ngrams: number;
  /** n-grams the item has (so matched / item = how much of it the page holds). */
  item_ngrams: number;
  /** The first matching window of the document, normalised. */
  example: string;
}

/**
 * Every n-gram of every benchmark item, keyed by a 53-bit hash. Fields shorter than n words are indexed
 * whole (at their own length) so short questions are caught too.
 */
export class BenchmarkIndex {
  private readonly byLength = new Map<number, Map<number, number>>();
  private readonly itemNgrams: number[] = [];
  readonly items: BenchmarkItem[] = [];
  skippedShortFields = 0;

  constructor(private readonly cfg: Pick<DecontamConfig, 'n' | 'min_matches' | 'min_short_words'>) {}

  add(item: BenchmarkItem): void {
    const index = this.items.length;
    this.items.push(item);
    let grams = 0;
    for (const text of item.texts) {
      const tokens = normaliseTokens(text);
      let len = this.cfg.n;
      if (tokens.length < this.cfg.n) {
        if (this.cfg.min_short_words === 0 || tokens.length < this.cfg.min_short_words) {
          if (tokens.length > 0) this.skippedShortFields++;
          continue;
        }
        len = tokens.length;
      }
      let table = this.byLength.get(len);
      if (!table) this.byLength.set(len, (table = new Map()));
      for (const key of windowKeys(tokens, len)) {
        if (!table.has(key)) {
          table.set(key, index);
          grams++;
        }
      }
    }
    this.itemNgrams.push(grams);
  }

  get size(): number {
    let n = 0;
    for (const t of this.byLength.values()) n += t.size;
    return n;
  }

  /** The item the text overlaps most, if it shares at least min_matches of its n-grams. */
  match(text: string): Contamination | undefined {
    const tokens = normaliseTokens(text);
    const hits = new Map<number, Set<number>>();
    const firstAt = new Map<number, { at: number; len: number }>();
    for (const [len, table] of this.byLength) {
      const keys = windowKeys(tokens, len);
      for (let i = 0; i < keys.length; i++) {
        const item = table.get(keys[i]!);
        if (item === undefined) continue;
        let set = hits.get(item);
        if (!set) {
          hits.set(item, (set = new Set()));
          firstAt.set(item, { at: i, len });
        }
        set.add(keys[i]!);
      }
    }
    let best: number | undefined;
    for (const [item, set] of hits) {
      if (set.size < this.cfg.min_matches) continue;
      if (best === undefined || set.size > hits.get(best)!.size) best = item;
    }
    if (best === undefined) return undefined;
    const item = this.items[best]!;
    const first = firstAt.get(best)!;
    return {
      benchmark: item.benchmark,
      item_id: item.id,
      matched_ngrams: hits.get(best)!.size,
      item_ngrams: this.itemNgrams[best]!,
      example: tokens.slice(first.at, first.at + first.len).join(' '),
    };
  }
}
