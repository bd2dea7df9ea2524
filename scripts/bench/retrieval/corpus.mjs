// The benchmark corpus: any number of documents derived from the 11,314 real 20 Newsgroups posts.
// Each post is cut into consecutive chunks of CHUNK words (~81k chunks in all); document j joins three
// chunks picked by a fixed pseudo-random sequence seeded by j, so the vocabulary and term statistics are
// real, no two documents are the same, and the same `n` always gives the same documents.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { uniform as rng } from '../../../stages/shared/random.js';

const CHUNK = 40;
const PER_DOC = 3;

export async function loadChunks(corpusPath) {
  const chunks = [];
  const lines = createInterface({ input: createReadStream(corpusPath).pipe(createGunzip()) });
  for await (const line of lines) {
    const words = JSON.parse(line).text.split(/\s+/).filter(Boolean);
    for (let i = 0; i + CHUNK / 2 <= words.length; i += CHUNK) chunks.push(words.slice(i, i + CHUNK).join(' '));
  }
  return chunks;
}

export function* derivedDocs(chunks, n, corpusPath) {
  for (let j = 0; j < n; j++) {
    const next = rng(j * 2654435761);
    const parts = [];
    for (let p = 0; p < PER_DOC; p++) parts.push(chunks[Math.floor(next() * chunks.length)]);
    const id = `d${String(j).padStart(8, '0')}`;
    yield { id, text: parts.join('\n\n'), source: { kind: 'corpus', file: corpusPath, line: j + 1, original_id: id } };
  }
}
