#!/usr/bin/env node
// One timed pass of qcc's readArchive over a WARC file; prints one JSON line.
//   node --import tsx scripts/bench/ingest/run-qcc.mjs <file.warc.gz> [workers]
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { ingestConfigSchema } from '../../../stages/ingest/config.js';
import { readArchive } from '../../../stages/ingest/index.js';
import { Counters } from '../../../core/types.js';

const file = process.argv[2];
const workers = Number(process.argv[3] ?? '0');
const config = ingestConfigSchema.parse({ warc: [file], min_text_chars: 1, on_error: 'skip', workers });
const quiet = { info() {}, warn() {}, error() {} };
const ctx = { config, log: quiet, counters: new Counters(), signal: new AbortController().signal };
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let docs = 0;
let chars = 0;
// QCC_BENCH_DIGEST=1: a digest of every document's text and language, to check that a speed change keeps the output.
const digest = process.env.QCC_BENCH_DIGEST === '1' ? createHash('sha1') : undefined;
for await (const d of readArchive(file, ctx)) {
  docs++;
  chars += d.text.length;
  digest?.update(`${d.lang?.code} ${d.lang?.score}\n${d.text}\n`);
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    side: 'qcc',
    workers,
    docs,
    records: ctx.counters.get('ingest.records.response'),
    chars,
    seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    bytes: statSync(file).size,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    ...(digest ? { digest: digest.digest('hex') } : {}),
  }),
);
