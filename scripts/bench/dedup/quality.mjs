// LSH quality: pairs LSH proposes (and after signature verification) against exact Jaccard similarity
// of the same 5-word shingles, on real posts plus edited copies spanning similarities 0.4-1.0.
import { MinHasher, bandKeys, estimatedJaccard } from '../../../stages/dedup/minhash.js';
import { hashString32 } from '../../../stages/dedup/hash.js';
import { mulberry32 } from '../../../stages/shared/random.js';
import { lightEdit } from './derive.mjs';

function shingleSet(text, n) {
  const w = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}\p{M}]+/u)
    .filter(Boolean);
  const out = new Set();
  if (w.length === 0) return new Uint32Array(0);
  for (let i = 0; i + n <= Math.max(w.length, n); i++) out.add(hashString32(w.slice(i, i + n).join(' ')));
  return Uint32Array.from(out).sort();
}

export function lshQuality(posts, cfg, { copies = 3000, maxPosting = 2000 } = {}) {
  const texts = posts.map(p => p.text);
  const rng = mulberry32(42);
  for (let k = 0; k < copies; k++)
    texts.push(lightEdit(texts[rng() % posts.length].replace(/\s+/g, ' '), 6 + (rng() % 200), k + 1));
  const sets = texts.map(t => shingleSet(t, cfg.ngram));
  const postings = new Map();
  sets.forEach((s, d) =>
    s.forEach(h => {
      const l = postings.get(h);
      l ? l.push(d) : postings.set(h, [d]);
    }),
  );
  const truth = new Map();
  const counts = new Map();
  for (let d = 0; d < sets.length; d++) {
    counts.clear();
    for (const h of sets[d]) {
      const l = postings.get(h);
      if (l.length > maxPosting) continue;
      for (const e of l) if (e > d) counts.set(e, (counts.get(e) ?? 0) + 1);
    }
    for (const [e, c] of counts) truth.set(d * 1e6 + e, c / (sets[d].length + sets[e].length - c));
  }
  const hasher = new MinHasher(cfg);
  const sigs = texts.map(t => hasher.signature(t));
  const buckets = new Map();
  const keys = new Uint32Array(2 * cfg.bands);
  const candidates = new Set();
  sigs.forEach((s, d) => {
    bandKeys(s, cfg.bands, cfg.rows, keys);
    for (let b = 0; b < cfg.bands; b++) {
      const key = `${b}:${keys[2 * b]}:${keys[2 * b + 1]}`;
      const l = buckets.get(key);
      if (l) {
        for (const e of l) candidates.add(Math.min(d, e) * 1e6 + Math.max(d, e));
        l.push(d);
      } else buckets.set(key, [d]);
    }
  });
  const t = (1 / cfg.bands) ** (1 / cfg.rows);
  const verified = new Set(
    [...candidates].filter(p => estimatedJaccard(sigs[Math.floor(p / 1e6)], sigs[p % 1e6]) >= cfg.verify_min_jaccard),
  );
  const positives = new Set([...truth].filter(([, j]) => j >= t).map(([p]) => p));
  const score = pairs => {
    let tp = 0;
    for (const p of pairs) if (positives.has(p)) tp++;
    return {
      pairs: pairs.size,
      precision: pairs.size ? tp / pairs.size : 1,
      recall: positives.size ? tp / positives.size : 1,
      precision_at_t_minus_0_1: pairs.size
        ? [...pairs].filter(p => (truth.get(p) ?? 0) >= t - 0.1).length / pairs.size
        : 1,
    };
  };
  return {
    docs: texts.length,
    threshold: t,
    true_pairs: positives.size,
    lsh: score(candidates),
    lsh_verified: score(verified),
  };
}
