#!/usr/bin/env node
// What gzip level 1 (the work folder's intermediates) saves against level 6 (published files), on real ingest
// records: the 20 Newsgroups WET file of the stream benches read by qcc's ingest, written through JsonlWriter's
// gzip settings, levels taking turns; CPU per record (process.cpuUsage: zlib's threads included) and bytes.
//
//   node --import tsx scripts/bench/gzip-level.mjs [--runs 5]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { constants, createGzip } from 'node:zlib';
import { repo } from './stream/demo-work.mjs';

const { Counters } = await import(join(repo, 'core/types.ts'));
const { ingestConfigSchema } = await import(join(repo, 'stages/ingest/config.ts'));
const { readArchive } = await import(join(repo, 'stages/ingest/index.ts'));

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const dir = join(tmpdir(), 'qcc-bench-stream-cpu');
const file = join(dir, '20news.warc.wet.gz');
mkdirSync(dir, { recursive: true });
if (!existsSync(file))
  execFileSync(process.execPath, [join(repo, 'scripts', 'bench', 'stream', 'make-wet.mjs'), file], {
    stdio: 'inherit',
  });

const config = ingestConfigSchema.parse({ warc: [file], on_error: 'skip', workers: 0 });
const ctx = {
  config,
  log: { info() {}, warn() {}, error() {} },
  counters: new Counters(),
  signal: new AbortController().signal,
};
const lines = [];
for await (const doc of readArchive(file, ctx)) lines.push(`${JSON.stringify(doc)}\n`);
const rawBytes = lines.reduce((a, l) => a + Buffer.byteLength(l), 0);

async function write(level) {
  let bytes = 0;
  const gzip = createGzip({ level, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  const c0 = process.cpuUsage();
  await pipeline(Readable.from(lines), gzip, sink);
  const c = process.cpuUsage(c0);
  return { us: (c.user + c.system) / lines.length, bytes };
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = { 6: [], 1: [] };
const bytes = {};
for (let r = 0; r < Number(values.runs); r++)
  for (const level of [6, 1]) {
    const res = await write(level);
    runs[level].push(res.us);
    bytes[level] = res.bytes;
  }
console.log(
  `${lines.length} ingest records, ${(rawBytes / lines.length).toFixed(0)} bytes of JSON each; median of ${values.runs}`,
);
console.log('| gzip level | CPU µs / record | compressed / raw |\n|---|---|---|');
for (const level of [6, 1])
  console.log(`| ${level} | ${median(runs[level]).toFixed(1)} | ${((100 * bytes[level]) / rawBytes).toFixed(1)}% |`);
console.log(`level 1 / level 6 CPU: ${(median(runs[1]) / median(runs[6])).toFixed(2)}x`);
