#!/usr/bin/env node
// A WET file of real text: every 20 Newsgroups post (../shared/data/corpora) as a WET conversion record, one gzip
// member each, after a warcinfo record, as Common Crawl writes WET files. Tabs in the derived corpus are its line
// breaks and become newlines again.
//   node scripts/bench/stream/make-wet.mjs <out.warc.wet.gz>
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sharedData } from './demo-work.mjs';

const out = process.argv[2];
if (!out) {
  console.error('usage: make-wet.mjs <out.warc.wet.gz>');
  process.exit(2);
}
const record = (headers, body) => {
  const block = Buffer.from(body, 'utf8');
  const head = [
    'WARC/1.0',
    ...Object.entries({
      ...headers,
      'WARC-Record-ID': `<urn:uuid:${randomUUID()}>`,
      'Content-Length': String(block.length),
    }).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  return gzipSync(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), block, Buffer.from('\r\n\r\n')]));
};
const fd = openSync(out, 'w');
writeSync(
  fd,
  record(
    { 'WARC-Type': 'warcinfo', 'WARC-Date': '2024-05-31T01:16:46Z', 'Content-Type': 'application/warc-fields' },
    'isPartOf: bench-20news\r\n',
  ),
);
const lines = gunzipSync(readFileSync(join(sharedData, 'corpora', '20news-bydate-train.jsonl.gz')))
  .toString('utf8')
  .split('\n')
  .filter(Boolean);
for (const line of lines) {
  const post = JSON.parse(line);
  writeSync(
    fd,
    record(
      {
        'WARC-Type': 'conversion',
        'WARC-Target-URI': `https://20news.example/${post.id}`,
        'WARC-Date': '2024-05-18T01:58:10Z',
        'WARC-Refers-To': `<urn:uuid:${randomUUID()}>`,
        'Content-Type': 'text/plain',
      },
      post.text.replaceAll('\t', '\n'),
    ),
  );
}
closeSync(fd);
console.error(`${out}: ${lines.length} conversion records`);
