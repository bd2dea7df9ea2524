import { uniform } from '../shared/random.js';

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A uniform sample of k items from a stream of unknown length (Algorithm R), seeded by a name. */
export class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  private readonly random: () => number;

  constructor(
    readonly k: number,
    name: string,
  ) {
    this.random = uniform(seedOf(name));
  }

  /** `make` runs only for items that enter the sample, so building a sample item may be costly. */
  offer(make: () => T): void {
    this.seen++;
    if (this.items.length < this.k) {
      this.items.push(make());
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < this.k) this.items[j] = make();
  }
}
