/**
 * 53-bit integer keys (as numbers) to non-negative integers, open addressing with linear probing over typed
 * arrays: no boxed number per key as in a Map<number, …> holding keys above 2^31, and about a third of the
 * memory. Keys are only added, never removed.
 */
export class KeyTable {
  private keys = new Float64Array(1 << 12);
  private values = new Int32Array(1 << 12).fill(-1);
  private mask = (1 << 12) - 1;
  size = 0;

  private slot(key: number): number {
    // The low 32 bits hold the second hash; mixed so that nearby keys spread.
    return Math.imul((key >>> 0) ^ ((key / 4294967296) | 0), 0x9e3779b1) >>> 0;
  }

  /** The value stored for the key, or -1. */
  get(key: number): number {
    let i = this.slot(key) & this.mask;
    for (;;) {
      const v = this.values[i]!;
      if (v === -1 || this.keys[i] === key) return v;
      i = (i + 1) & this.mask;
    }
  }

  set(key: number, value: number): void {
    if (value < 0) throw new RangeError('KeyTable holds non-negative values only');
    if ((this.size + 1) * 2 > this.values.length) this.grow();
    let i = this.slot(key) & this.mask;
    for (;;) {
      const v = this.values[i]!;
      if (v === -1) {
        this.keys[i] = key;
        this.values[i] = value;
        this.size++;
        return;
      }
      if (this.keys[i] === key) {
        this.values[i] = value;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.values = new Int32Array(values.length * 2).fill(-1);
    this.mask = keys.length * 2 - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (values[i] !== -1) this.set(keys[i]!, values[i]!);
  }
}
