// The labelled evaluation corpora of docs/relevance-eval.md: how each is read from ../shared/data/corpora/, cut into
// documents {id, label, text, unit} and split once into a development and a validation part. Used by
// prepare-corpora.mjs (which writes them) and tests/relevance-corpora.test.ts. Labels are for measuring only.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Corpus name → source file in the shared corpora folder and how to read it. */
export const CORPORA = {
  '20news': {
    file: '20news-bydate-train.jsonl.gz',
    read: dir => readJsonlGz(join(dir, '20news-bydate-train.jsonl.gz')),
  },
  bbc: { file: 'bbc-news.jsonl.gz', read: dir => readJsonlGz(join(dir, 'bbc-news.jsonl.gz')) },
  abc: { file: 'nltk-abc.zip', read: dir => readAbc(join(dir, 'nltk-abc.zip')) },
  brown: { file: 'nltk-brown.zip', read: dir => readBrown(join(dir, 'nltk-brown.zip')) },
};

/**
 * The part a document belongs to: sha1 of its unit id (the story or text it was cut from; the record id itself for
 * corpora that are not cut), first byte < 128 → dev, else val. Chunks of one text never straddle the parts.
 */
export function partOf(unit) {
  return createHash('sha1').update(unit).digest()[0] < 128 ? 'dev' : 'val';
}

export const wordCount = text => text.split(/\s+/).filter(Boolean).length;

function readJsonlGz(file) {
  const docs = [];
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let r;
    try {
      r = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}: line ${i + 1}: invalid JSON (${err.message})`);
    }
    for (const key of ['id', 'label', 'text'])
      if (typeof r[key] !== 'string') throw new Error(`${file}: line ${i + 1}: no string field "${key}"`);
    docs.push({ id: r.id, label: r.label, text: r.text, unit: r.id });
  });
  return docs;
}

/** One member of a zip archive as text (the `unzip` tool: Node has no zip reader and the project no zip library). */
export function zipMember(zip, member) {
  if (!existsSync(zip)) throw new Error(`corpus not found: ${zip}`);
  try {
    return execFileSync('unzip', ['-p', zip, member], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error(`reading ${zip} needs the unzip program (apt-get install unzip)`);
    throw new Error(`${zip}: cannot read ${member}: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** Calls `read(dir)` with the archive's members extracted into a temporary folder (removed afterwards). */
function withExtracted(zip, read) {
  if (!existsSync(zip)) throw new Error(`corpus not found: ${zip}`);
  const dir = mkdtempSync(join(tmpdir(), 'qcc-corpus-'));
  try {
    try {
      execFileSync('unzip', ['-qq', zip, '-d', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      if (err.code === 'ENOENT') throw new Error(`reading ${zip} needs the unzip program (apt-get install unzip)`);
      throw new Error(`${zip}: cannot extract: ${err.stderr?.toString().trim() || err.message}`);
    }
    return read(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Greedy cut of a story's lines (paragraphs) into passages of whole lines: a passage closes once it has at least
 * `min` words and the next line would take it over `max`. A short last passage joins the one before.
 */
export function cutLines(lines, { min = 60, max = 150 } = {}) {
  const out = [];
  let cur = [];
  let words = 0;
  for (const line of lines) {
    const n = wordCount(line);
    if (cur.length && words >= min && words + n > max) {
      out.push(cur);
      cur = [];
      words = 0;
    }
    cur.push(line);
    words += n;
  }
  if (cur.length) {
    if (out.length && words < min) out[out.length - 1].push(...cur);
    else out.push(cur);
  }
  return out;
}

/**
 * NLTK ABC: two files (science, rural) of transcripts, one paragraph per line, blocks separated by blank lines.
 * A science block is a whole story (median 464 words), a rural block a story or one sub-headed section of one
 * (median 114 words): neither file marks where a rural story ends. So the unit is the block, and every block is cut
 * at paragraph boundaries into passages of ~60–150 words with the same rule for both labels, which keeps
 * length from telling the labels apart and makes this the short-text corpus. Ids: abc-<label>-<block>-<passage>.
 */
export function readAbc(zip) {
  const docs = [];
  for (const label of ['science', 'rural']) {
    const text = zipMember(zip, `abc/${label}.txt`).replace(/\r\n?/g, '\n');
    const blocks = text
      .split(/\n\s*\n/)
      .map(b =>
        b
          .split('\n')
          .map(l => l.trim())
          .filter(Boolean),
      )
      .filter(b => b.length);
    blocks.forEach((lines, b) => {
      const unit = `abc-${label}-${String(b + 1).padStart(4, '0')}`;
      cutLines(lines).forEach((passage, p) =>
        docs.push({ id: `${unit}-${p + 1}`, label, text: passage.join('\n'), unit }),
      );
    });
  }
  return docs;
}

/** Brown tokens `word/tag` → running text: tags dropped, `` and '' as ", no space before punctuation. */
export function untag(line) {
  let out = '';
  let glue = true;
  for (const token of line.trim().split(/\s+/)) {
    if (!token) continue;
    const slash = token.lastIndexOf('/');
    let word = slash > 0 ? token.slice(0, slash) : token;
    if (word === '``' || word === "''") word = '"';
    const opening = token.startsWith('``') || word === '(' || word === '[';
    const closing = token.startsWith("''") || /^[.,;:!?)\]]+$/.test(word);
    if (word === '.' && out.endsWith('.')) continue; // "Jr./np ./." ends a sentence once
    out += (glue || closing ? '' : ' ') + word;
    glue = opening;
  }
  return out;
}

/**
 * NLTK Brown: 500 texts of ~2,000 words, one sentence per line, genre from cats.txt. Each text is cut into 4 passages
 * of about equal length at sentence boundaries (~500 words): 2,000 documents, enough per genre to measure on one
 * part (religion, the smallest chosen genre, has 17 texts). Ids: brown-<text>-<passage>; the unit is the text.
 */
export function readBrown(zip, pieces = 4) {
  return withExtracted(zip, dir => brownDocs(zip, join(dir, 'brown'), pieces));
}

function brownDocs(zip, dir, pieces) {
  const member = name => {
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`${zip}: no brown/${name} in the archive`);
    return readFileSync(file, 'utf8');
  };
  const cats = member('cats.txt')
    .split('\n')
    .map(l => l.trim().split(/\s+/))
    .filter(p => p.length >= 2 && p[0]);
  const docs = [];
  for (const [name, label] of cats) {
    const sentences = member(name).split('\n').map(untag).filter(Boolean);
    const total = sentences.reduce((n, s) => n + wordCount(s), 0);
    const cut = Array.from({ length: pieces }, () => []);
    let seen = 0;
    for (const s of sentences) {
      cut[Math.min(pieces - 1, Math.floor((seen * pieces) / total))].push(s);
      seen += wordCount(s);
    }
    cut.forEach((passage, p) => {
      if (passage.length)
        docs.push({ id: `brown-${name}-${p + 1}`, label, text: passage.join(' '), unit: `brown-${name}` });
    });
  }
  return docs;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return 0;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
