#!/usr/bin/env node
// A large WARC file for the memory run: the real WARC samples of ../shared/data/cc/ (the CC-MAIN-2020-34
// sample, whirlwind, sample-0000/0001 and the ClueWeb quirks file: 866 KB of gzip members, 83 response
// records) concatenated whole, over and over, until the output reaches --bytes (default 1e9).
// Whole files are sequences of gzip members, so the output is a valid multi-member WARC.gz.
//   node scripts/bench/ingest/concat-cc.mjs /tmp/cc-1gb.warc.gz [--bytes 1000000000]
//   node node_modules/.cache/qcc-bench/run-qcc.mjs /tmp/cc-1gb.warc.gz 0   # (bundle built by ingest.mjs)
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

const shared = resolve(
  process.env.QCC_SHARED_DATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data'),
);
const out = process.argv[2];
if (!out) {
  console.error('usage: concat-cc.mjs <out.warc.gz> [--bytes N]');
  process.exit(2);
}
const bi = process.argv.indexOf('--bytes');
const target = bi > 0 ? Number(process.argv[bi + 1]) : 1e9;
const unit = Buffer.concat(
  [
    'commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz',
    'commoncrawl/whirlwind.warc.gz',
    'other/sample-0000.warc.gz',
    'other/sample-0001.warc.gz',
    'other/clueweb-quirk.warc.gz',
  ].map(f => readFileSync(join(shared, 'cc', f))),
);
const fd = openSync(out, 'w');
let written = 0;
let copies = 0;
try {
  while (written < target) {
    writeSync(fd, unit);
    written += unit.length;
    copies++;
  }
} finally {
  closeSync(fd);
}
console.error(`${out}: ${copies} copies of ${unit.length} bytes, ${(written / 1e6).toFixed(1)} MB`);
