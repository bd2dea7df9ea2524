import { describe, expect, it } from 'vitest';
import { configDiff } from '../stages/report/diff.js';
import { Reservoir } from '../stages/report/reservoir.js';
import { barChart, columnChart, distinctColours, esc } from '../stages/report/svg.js';
import { TopCounter } from '../stages/report/top-counter.js';
import { sizeCategory } from '../stages/write/card.js';

describe('report building blocks', () => {
  it('TopCounter is exact below its capacity and keeps the heavy keys once pruned', () => {
    const exact = new TopCounter(10);
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) exact.add(k);
    expect(exact.top(2)).toEqual([
      { name: 'a', count: 3 },
      { name: 'b', count: 2 },
    ]);
    expect(exact.exact).toBe(true);

    const bounded = new TopCounter(4);
    for (let i = 0; i < 1000; i++) {
      bounded.add(`rare-${i}`);
      if (i % 10 === 0) bounded.add('heavy');
    }
    expect(bounded.exact).toBe(false);
    expect(bounded.size).toBeLessThan(8);
    expect(bounded.top(1)[0]!.name).toBe('heavy');
  });

  it('Reservoir gives the same sample for the same name and a roughly uniform one over many names', () => {
    const sample = (name: string) => {
      const r = new Reservoir<number>(3, name);
      for (let i = 0; i < 100; i++) r.offer(() => i);
      return r.items;
    };
    expect(sample('v0001/space')).toEqual(sample('v0001/space'));
    const counts = new Array(100).fill(0) as number[];
    for (let n = 0; n < 2000; n++) for (const i of sample(`name-${n}`)) counts[i]!++;
    // 6000 picks over 100 items: 60 each on average; every decile of the stream gets its share.
    for (let d = 0; d < 10; d++) {
      const share = counts.slice(d * 10, d * 10 + 10).reduce((a, b) => a + b, 0);
      expect(share, `decile ${d}`).toBeGreaterThan(480);
      expect(share, `decile ${d}`).toBeLessThan(720);
    }
  });

  it('charts escape their labels and draw one mark per non-empty value', () => {
    const svg = barChart('t', [
      { label: '<script>x</script>', value: 3 },
      { label: 'b&c', value: 0 },
    ]);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg.match(/<rect class="mark/g)!.length).toBe(2);
    expect(svg).toMatch(/data-value="0"[^>]*>|width="0"/);
    const cols = columnChart('c', [
      { label: '2020-08', value: 2 },
      { label: '2020-09', value: 0 },
      { label: '2020-10', value: 5 },
    ]);
    expect(
      [...cols.matchAll(/height="([\d.]+)" data-value="(\d+)"/g)].map(m => [Number(m[2]), Number(m[1]) > 0]),
    ).toEqual([
      [2, true],
      [0, false],
      [5, true],
    ]);
    expect(esc(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('distinctColours gives as many different colours as asked, none of them the kept blue', () => {
    for (const n of [1, 10, 11, 40]) {
      const colours = distinctColours(n);
      expect(new Set(colours).size).toBe(n);
      expect(colours).not.toContain('#3b6fd4');
      for (const c of colours.filter(x => x.startsWith('hsl'))) {
        const hue = Number(/^hsl\((\d+)/.exec(c)![1]);
        expect(hue > 195 && hue < 245, c).toBe(false);
      }
    }
  });

  it('sizeCategory and configDiff', () => {
    expect([0, 999, 1000, 1768, 10_000, 2_500_000].map(sizeCategory)).toEqual([
      'n<1K',
      'n<1K',
      '1K<n<10K',
      '1K<n<10K',
      '10K<n<100K',
      '1M<n<10M',
    ]);
    expect(
      configDiff(
        { retrieve: { top_k: 25, min_score: 0 }, seeds: { files: ['a'] } },
        { retrieve: { top_k: 10, min_score: 0 }, seeds: { files: ['a', 'b'] }, extra: 1 },
      ),
    ).toEqual([
      { key: 'extra', a: undefined, b: 1 },
      { key: 'retrieve.top_k', a: 25, b: 10 },
      { key: 'seeds.files', a: ['a'], b: ['a', 'b'] },
    ]);
  });
});
