/**
 * Frequent keys in bounded memory: counts are exact while fewer than `2 × capacity` distinct keys
 * were seen. Past that, the map is pruned to its `capacity` largest counts whenever it doubles, so
 * a key's count can miss occurrences from before it was last pruned (`exact` turns false).
 */
export class TopCounter {
  private counts = new Map<string, number>();
  private pruned = false;

  constructor(readonly capacity: number) {}

  add(key: string, by = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
    if (this.counts.size >= 2 * this.capacity) {
      this.counts = new Map(this.sorted().slice(0, this.capacity));
      this.pruned = true;
    }
  }

  get exact(): boolean {
    return !this.pruned;
  }

  get size(): number {
    return this.counts.size;
  }

  private sorted(): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  top(k: number): { name: string; count: number }[] {
    return this.sorted()
      .slice(0, k)
      .map(([name, count]) => ({ name, count }));
  }
}
