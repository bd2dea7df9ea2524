#!/usr/bin/env node
// Builds the benchmark input: every distinct real page of the two extraction sets (trafilatura's
// 1,033 HTML files and Readability's 130 source pages) wrapped into WARC response records, one gzip
// member each, as Common Crawl writes them (with WARC-Identified-Payload-Type, which datatrove's
// reader needs). The sequence is written `--copies` times (default 1) to make a larger file, each
// copy with fresh record ids; pages are distinct within a copy, so no extractor profits from a cache.
//   node scripts/bench/ingest/make-warc.mjs <out.warc.gz> [--copies N]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const shared = resolve(
  process.env.QCC_SHARED_DATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data'),
);
const out = process.argv[2];
if (!out) {
  console.error('usage: make-warc.mjs <out.warc.gz> [--copies N]');
  process.exit(2);
}
const ci = process.argv.indexOf('--copies');
const copies = ci > 0 ? Number(process.argv[ci + 1]) : 1;

function pages() {
  const root = mkdtempSync(join(tmpdir(), 'qcc-bench-pages-'));
  execFileSync('tar', [
    '-xJf',
    join(shared, 'extraction', 'trafilatura-eval', 'html-tests-eval-and-cache.tar.xz'),
    '-C',
    root,
  ]);
  const files = [];
  for (const sub of ['eval', 'cache'])
    for (const f of readdirSync(join(root, 'tests', sub)).sort()) files.push(join(root, 'tests', sub, f));
  const list = files.map((f, i) => ({ url: `https://trafilatura-eval.example/${i}`, body: readFileSync(f) }));
  rmSync(root, { recursive: true, force: true });
  const rd = join(shared, 'extraction', 'mozilla-readability-test-pages');
  for (const d of readdirSync(rd).sort()) {
    try {
      list.push({ url: `https://readability.example/${d}`, body: readFileSync(join(rd, d, 'source.html')) });
    } catch {}
  }
  return list;
}

function member(url, body, date) {
  const http = Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n`,
    'latin1',
  );
  const block = Buffer.concat([http, body]);
  const head =
    `WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: ${date}\r\nWARC-Record-ID: <urn:uuid:${randomUUID()}>\r\n` +
    `WARC-Target-URI: ${url}\r\nWARC-Identified-Payload-Type: text/html\r\n` +
    `Content-Type: application/http; msgtype=response\r\nContent-Length: ${block.length}\r\n\r\n`;
  return gzipSync(Buffer.concat([Buffer.from(head, 'latin1'), block, Buffer.from('\r\n\r\n')]), { level: 6 });
}

const list = pages();
const fd = openSync(out, 'w');
for (let c = 0; c < copies; c++) {
  for (const p of list) writeSync(fd, member(p.url, p.body, '2024-05-18T01:58:10Z'));
}
closeSync(fd);
console.error(
  `${out}: ${list.length} distinct pages x ${copies}, ${(statSync(out).size / 1e6).toFixed(1)} MB compressed`,
);
