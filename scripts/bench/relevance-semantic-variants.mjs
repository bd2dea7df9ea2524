#!/usr/bin/env node
// Reads dumps of relevance-semantic.mjs and prints P / R per domain for boundary rules (exploration only).
//   node scripts/bench/relevance-semantic-variants.mjs dump1.jsonl [dump2.jsonl ...]
import { readFileSync } from 'node:fs';

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Infinity;
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))];
};
const argmax = z => Object.entries(z).sort((a, b) => b[1] - a[1])[0][0];

const variants = [];
const grid = JSON.parse(process.env.GRID ?? '{}');
for (const band of grid.band ?? [0.5, 1])
  for (const q of grid.q ?? [0, 0.05, 0.1, 0.2])
    for (const remove of grid.remove ?? ['none', 'nearest', 0.1, 0.25, 0.5])
      for (const need of grid.need ?? ['nearest']) variants.push({ band, q, remove, need });

const files = process.argv.slice(2);
const results = variants.map(() => []);
const base = [];
for (const file of files) {
  const meta = JSON.parse(readFileSync(file.replace(/\.jsonl$/, '.meta.json'), 'utf8'));
  const rows = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map(l => JSON.parse(l));
  for (const d of Object.keys(meta.accepted)) {
    if (!(d in meta.totals)) continue;
    const label = meta.positive[d];
    const A = meta.accepted[d];
    base.push(
      `${file.split('/').pop().replace('.jsonl', '')} ${d}: ${(meta.tp[d] / A).toFixed(3)} / ${(meta.tp[d] / meta.totals[d]).toFixed(3)}`,
    );
    const posZ = rows.filter(r => r.positive.includes(d) && argmax(r.z) === d).map(r => r.z[d]);
    const inside = rows.filter(r => r.accepted === d).sort((a, b) => a.m[d] - b.m[d]);
    const best = r => argmax(r.m);
    const outside = rows.filter(r => r.accepted === null && best(r) === d).sort((a, b) => b.m[d] - a.m[d]);
    variants.forEach((v, i) => {
      const n = Math.ceil(v.band * A);
      const tau = quantile(posZ, v.q);
      let acc = A;
      let tp = meta.tp[d];
      for (const r of outside.slice(0, n)) {
        const ok = (v.need === 'any' || argmax(r.z) === d) && r.z[d] >= tau;
        if (!ok) continue;
        acc++;
        if (r.label === label) tp++;
      }
      if (v.remove !== 'none')
        for (const r of inside.slice(0, n)) {
          if (argmax(r.z) === d) continue;
          if (v.remove !== 'nearest' && r.z[d] >= quantile(posZ, v.remove)) continue;
          acc--;
          if (r.label === label) tp--;
        }
      results[i].push({
        key: `${file.split('/').pop().replace('.jsonl', '')} ${d}`,
        P: tp / acc,
        R: tp / meta.totals[d],
        P0: meta.tp[d] / A,
        R0: meta.tp[d] / meta.totals[d],
      });
    });
  }
}
console.log('base: ' + base.join(' | '));
variants.forEach((v, i) => {
  const r = results[i];
  const worstP = Math.min(...r.map(x => x.P - x.P0));
  const worstR = Math.min(...r.map(x => x.R - x.R0));
  const cells = r.map(x => `${x.P.toFixed(3)}/${x.R.toFixed(3)}`).join(' ');
  console.log(`${JSON.stringify(v)} worstΔP ${worstP.toFixed(3)} worstΔR ${worstR.toFixed(3)} | ${cells}`);
});
