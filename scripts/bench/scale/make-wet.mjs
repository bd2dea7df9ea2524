// WET files of real text for the scale run, written as Common Crawl writes them (a warcinfo record, then one
// `conversion` record per page, one gzip member each), `docsPerFile` pages per file.
//
// The text pools (../shared/data): the 11,314 20 Newsgroups train posts (tabs become line breaks again), the 2,225
// BBC News articles, the NLTK ABC science and rural news cut into paragraphs of ~300 words, and the main content of
// the 1,497 WCXB dev pages (their ground truth: articles, forums, products, listings, documentation, …). Each page
// is one pool text, chosen by a seeded PRNG, followed by one or two paragraphs of other pool texts: every page
// is distinct (no exact duplicates to skew dedup or statistics), every sentence is real, and page lengths spread
// like a crawl's (median ~350 words). The same (page number, seed) always gives the same page, so a size is a
// prefix of the next: 30k pages are the first 3 files of the 300k set.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { uniform } from '../../../stages/shared/random.js';

const jsonl = file =>
  gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l));

/** Every pool text, each with a short source tag for the URL. */
export function textPools(sharedData) {
  const texts = [];
  for (const p of jsonl(join(sharedData, 'corpora', '20news-bydate-train.jsonl.gz')))
    texts.push({ source: '20news', text: p.text.replaceAll('\t', '\n') });
  for (const a of jsonl(join(sharedData, 'corpora', 'bbc-news.jsonl.gz'))) texts.push({ source: 'bbc', text: a.text });
  for (const part of ['abc/science.txt', 'abc/rural.txt']) {
    const words = execFileSync('unzip', ['-p', join(sharedData, 'corpora', 'nltk-abc.zip'), part], {
      encoding: 'latin1',
      maxBuffer: 1 << 26,
    }).split(/(?<=\.)\s+/);
    let chunk = [];
    let count = 0;
    for (const sentence of words) {
      chunk.push(sentence);
      count += sentence.split(/\s+/).length;
      if (count >= 300) {
        texts.push({ source: 'abc', text: chunk.join(' ') });
        chunk = [];
        count = 0;
      }
    }
  }
  const gt = join(sharedData, 'extraction', 'wcxb-dev', 'dev', 'ground-truth');
  for (const f of readdirSync(gt)
    .filter(x => x.endsWith('.json'))
    .sort()) {
    const text = JSON.parse(readFileSync(join(gt, f), 'utf8')).ground_truth?.main_content;
    if (typeof text === 'string' && text.trim()) texts.push({ source: 'wcxb', text });
  }
  return texts;
}

const paragraphsOf = text => text.split(/\n\s*\n/).filter(p => p.trim().length > 80);

function page(pools, n, seed) {
  const rand = uniform(Math.imul(n + 1, 0x9e3779b1) ^ seed);
  const pick = () => pools[Math.floor(rand() * pools.length)];
  const base = pick();
  const parts = [base.text];
  const extra = 1 + Math.floor(rand() * 2);
  for (let i = 0; i < extra; i++) {
    const paras = paragraphsOf(pick().text);
    if (paras.length) parts.push(paras[Math.floor(rand() * paras.length)]);
  }
  return { source: base.source, text: parts.join('\n\n') };
}

const uuid = (...parts) => {
  const h = createHash('sha1').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

function record(headers, body, id) {
  const block = Buffer.from(body, 'utf8');
  const head = [
    'WARC/1.0',
    ...Object.entries({ ...headers, 'WARC-Record-ID': `<urn:uuid:${id}>`, 'Content-Length': String(block.length) }).map(
      ([k, v]) => `${k}: ${v}`,
    ),
  ].join('\r\n');
  return gzipSync(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), block, Buffer.from('\r\n\r\n')]));
}

/** Writes (or reuses) `files` WET files of `docsPerFile` pages in `dir`; returns their paths. */
export function scaleWetFiles({ dir, files, docsPerFile, sharedData, seed = 19 }) {
  const paths = Array.from({ length: files }, (_, f) =>
    join(dir, `scale-${docsPerFile}-${seed}-${String(f).padStart(4, '0')}.warc.wet.gz`),
  );
  let pools;
  for (const [f, path] of paths.entries()) {
    if (existsSync(path)) continue;
    pools ??= textPools(sharedData);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(
      fd,
      record(
        { 'WARC-Type': 'warcinfo', 'WARC-Date': '2024-05-31T01:16:46Z', 'Content-Type': 'application/warc-fields' },
        `isPartOf: qcc-scale-bench\r\nfile: ${f}\r\n`,
        uuid('info', seed, f),
      ),
    );
    for (let i = 0; i < docsPerFile; i++) {
      const n = f * docsPerFile + i;
      const p = page(pools, n, seed);
      writeSync(
        fd,
        record(
          {
            'WARC-Type': 'conversion',
            'WARC-Target-URI': `https://${p.source}.scale.example/page/${n}`,
            'WARC-Date': '2024-05-18T01:58:10Z',
            'WARC-Refers-To': `<urn:uuid:${uuid('response', seed, n)}>`,
            'Content-Type': 'text/plain',
          },
          p.text,
          uuid('conversion', seed, n),
        ),
      );
    }
    closeSync(fd);
    renameSync(tmp, path);
    console.error(`scale: wrote ${path} (${docsPerFile} pages)`);
  }
  return paths;
}
