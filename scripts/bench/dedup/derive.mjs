// Documents derived from real text for the dedup benchmark: each one is 10-40 real sentences drawn
// (seeded) from the sentence pool of the 20 Newsgroups posts, so its words, shingles and length are
// real while its mix is new; every 10th is a light edit of an earlier one (a planted near-duplicate).
import { readJsonl } from '../../../core/jsonl.js';
import { mulberry32 } from '../../../stages/shared/random.js';

export async function loadPosts(file) {
  const posts = [];
  for await (const r of readJsonl(file)) posts.push({ id: String(r.id), text: String(r.text) });
  return posts;
}

export function sentencePool(posts) {
  const seen = new Set();
  for (const p of posts) {
    for (const s of p.text.split(/(?<=[.!?])\s+|\n{2,}/)) {
      const t = s.replace(/\s+/g, ' ').trim();
      if (t.split(' ').length >= 5) seen.add(t);
    }
  }
  return [...seen];
}

/** Replaces one word in `every` with a marker: the Jaccard of 5-shingles falls by about 5/every. */
export function lightEdit(text, every, salt) {
  const words = text.split(' ');
  for (let i = salt % every; i < words.length; i += every) words[i] = `w${salt % 997}x`;
  return words.join(' ');
}

export const isPlanted = j => j % 10 === 9;
export const docId = j => `d${String(j).padStart(10, '0')}`;

export function plantedSource(j) {
  const rng = mulberry32(j ^ 0x5bd1e995);
  let base = j - 1 - (rng() % Math.min(j, 5000));
  if (isPlanted(base)) base -= 1;
  return base;
}

export function derivedText(pool, j) {
  if (isPlanted(j)) {
    const rng = mulberry32(j * 31 + 7);
    return lightEdit(derivedText(pool, plantedSource(j)), 40 + (rng() % 160), j);
  }
  const rng = mulberry32(Math.imul(j, 2654435761) + 1);
  const n = 10 + (rng() % 31);
  const out = [];
  for (let k = 0; k < n; k++) out.push(pool[rng() % pool.length]);
  return out.join(' ');
}

/** A URL per document; every 100th (never a planted one) repeats the URL of a document 1-3,000 before it. */
export function derivedUrl(j) {
  if (j % 100 === 50) return derivedUrl(j - 1 - (mulberry32(j)() % Math.min(j, 3000)));
  return `https://site${j % 997}.example.org/post/${j}`;
}
