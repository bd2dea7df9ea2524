#!/usr/bin/env node
// Dedup benchmark. Run: node --import tsx scripts/bench/dedup.mjs [--docs 1000000] [--shard-docs 50000]
//   [--sample-docs 20000] [--runs 3] [--python /tmp/qcc-dedup-venv/bin/python] [--work /tmp/qcc-bench-dedup]
// 1. MinHash signatures, docs/s on one core: qcc vs datatrove's MinhashDedupSignature on the same JSONL
//    (read + signatures + write), runs interleaved, medians.
// 2. The whole near-duplicate pass (signature files per shard, key and bucket runs merged from disk,
//    union-find, the run's ledger written) on --docs documents derived from 20 Newsgroups
//    (scripts/bench/dedup/derive.mjs); the barrier runs in its own process (dedup/barrier.mjs), so its peak
//    RSS is its own. Then the same shards as two versions: the second half deduplicated against the first's ledger.
// 3. LSH quality: LSH pairs vs exact Jaccard on real posts plus edited copies.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { readJsonl } from '../../core/jsonl.js';
import { dedupConfigSchema, impliedThreshold } from '../../stages/dedup/config.js';
import { SignatureWriter } from '../../stages/dedup/signature-file.js';
import { docId, derivedText, derivedUrl, loadPosts, sentencePool } from './dedup/derive.mjs';
import { lshQuality } from './dedup/quality.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const shared = process.env.QCC_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname;
const corpus = join(shared, 'corpora', '20news-bydate-train.jsonl.gz');
const N = Number(arg('docs', 1_000_000));
const SHARD = Number(arg('shard-docs', 50_000));
const SAMPLE = Number(arg('sample-docs', 20_000));
const RUNS = Number(arg('runs', 3));
const python = arg('python', '/tmp/qcc-dedup-venv/bin/python');
const work = arg('work', '/tmp/qcc-bench-dedup');
const cfg = dedupConfigSchema.parse({});
const mh = cfg.minhash;
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = m => process.stderr.write(`[bench dedup ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const posts = await loadPosts(corpus);
const pool = sentencePool(posts);
log(
  `${posts.length} posts, ${pool.length} distinct sentences; cpus ${cpus().length}; load ${JSON.stringify(process.env.BENCH_NOTE ?? '')}`,
);

// 1. Per-core signature throughput on the same sample file.
const samplePath = join(work, 'sample.jsonl');
writeFileSync(
  samplePath,
  Array.from({ length: SAMPLE }, (_, j) => JSON.stringify({ id: docId(j), text: derivedText(pool, j) })).join('\n') +
    '\n',
);
async function qccSignatures() {
  const start = performance.now();
  const w = new SignatureWriter(join(work, 'sample.bin'), mh);
  for await (const r of readJsonl(samplePath))
    w.add({ id: r.id, text: r.text, source: { kind: 'corpus', file: samplePath, line: 0, original_id: r.id } });
  await w.close();
  return SAMPLE / ((performance.now() - start) / 1000);
}
function datatroveRun(path, expected) {
  const out = execFileSync(
    python,
    [
      new URL('./dedup/datatrove_signatures.py', import.meta.url).pathname,
      path,
      String(mh.bands),
      String(mh.rows),
      String(mh.ngram),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1));
  if (r.docs !== expected) throw new Error(`datatrove read ${r.docs} documents of ${path}, expected ${expected}`);
  return r.seconds;
}
// datatrove's fixed cost (executor and spaCy set-up), measured on 10 documents and subtracted.
const tinyPath = join(work, 'tiny.jsonl');
writeFileSync(
  tinyPath,
  Array.from({ length: 10 }, (_, j) => JSON.stringify({ id: docId(j), text: derivedText(pool, j) })).join('\n') + '\n',
);
let datatroveSetup = 0;
function datatroveSignatures() {
  return SAMPLE / Math.max(1e-3, datatroveRun(samplePath, SAMPLE) - datatroveSetup);
}
const haveDatatrove = (() => {
  if (RUNS === 0 || !existsSync(python)) return false;
  try {
    execFileSync(python, ['-c', 'import datatrove, spacy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (haveDatatrove) datatroveSetup = median([0, 1, 2].map(() => datatroveRun(tinyPath, 10)));
const ours = [];
const theirs = [];
for (let i = 0; i < RUNS; i++) {
  ours.push(await qccSignatures());
  if (haveDatatrove) theirs.push(datatroveSignatures());
  log(
    `run ${i + 1}: qcc ${ours.at(-1).toFixed(0)} docs/s${haveDatatrove ? `, datatrove ${theirs.at(-1).toFixed(0)} docs/s` : ''}`,
  );
}
const speed =
  RUNS === 0
    ? { skipped: '--runs 0' }
    : {
        sample_docs: SAMPLE,
        runs: RUNS,
        datatrove_setup_seconds_subtracted: Number(datatroveSetup.toFixed(2)),
        qcc_docs_per_s: Math.round(median(ours)),
        datatrove_docs_per_s: haveDatatrove ? Math.round(median(theirs)) : null,
      };
if (RUNS > 0)
  speed.ratio = speed.datatrove_docs_per_s
    ? Number((speed.qcc_docs_per_s / speed.datatrove_docs_per_s).toFixed(2))
    : null;
log(`signature speed: ${JSON.stringify(speed)}`);
if (!haveDatatrove && RUNS > 0)
  log(
    `no datatrove at ${python}: python -m venv /tmp/qcc-dedup-venv && /tmp/qcc-dedup-venv/bin/pip install 'datatrove[io,processing]' spacy`,
  );

// 2. The whole near-duplicate pass on N derived documents.
const shardDir = join(work, 'shards');
mkdirSync(shardDir, { recursive: true });
const files = [];
let genSeconds = 0;
const sigStart = performance.now();
for (let s = 0, j = 0; j < N; s++) {
  const w = new SignatureWriter(join(shardDir, `s${String(s).padStart(5, '0')}.bin`), mh);
  const end = Math.min(N, j + SHARD);
  for (; j < end; j++) {
    const g = performance.now();
    const text = derivedText(pool, j);
    genSeconds += (performance.now() - g) / 1000;
    w.add({
      id: docId(j),
      text,
      url: derivedUrl(j),
      source: { kind: 'corpus', file: 'derived', line: j, original_id: docId(j) },
    });
  }
  await w.close();
  files.push(w.path);
  log(
    `signatures: ${j} of ${N} documents, ${Math.round(j / ((performance.now() - sigStart) / 1000 - genSeconds))} docs/s`,
  );
}
const sigSeconds = (performance.now() - sigStart) / 1000;
const sigRss = Math.round(process.resourceUsage().maxRSS / 1024);
const barrier = args => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', new URL('./dedup/barrier.mjs', import.meta.url).pathname, JSON.stringify(args)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').at(-1));
};
// The whole pass, writing the run's ledger, in a process of its own (its peak RSS is the barrier's).
const whole = barrier({ files, ledger: join(work, 'ledger.bin'), docs: N });
log(`barrier: ${JSON.stringify(whole)}`);
// Two versions: the first half of the shards published (its ledger), the second half deduplicated against it.
const half = Math.floor(files.length / 2);
const firstHalfDocs = Math.min(N, half * SHARD);
const v1 = barrier({ files: files.slice(0, half), ledger: join(work, 'v1-ledger.bin'), docs: firstHalfDocs });
const v2 = barrier({
  files: files.slice(half),
  ledger: join(work, 'v2-ledger.bin'),
  prior: [{ version: 'v0001', path: join(work, 'v1-ledger.bin') }],
  first: firstHalfDocs,
  docs: N - firstHalfDocs,
});
log(`two versions: ${JSON.stringify({ v1, v2 })}`);
const pass = {
  docs: N,
  shards: files.length,
  signature_seconds: Number(sigSeconds.toFixed(1)),
  of_which_generating_text_seconds: Number(genSeconds.toFixed(1)),
  signature_docs_per_s: Math.round(N / (sigSeconds - genSeconds)),
  signature_process_peak_rss_mb: sigRss,
  barrier_seconds: whole.seconds,
  barrier_peak_rss_mb: whole.peak_rss_mb,
  ledger_bytes_per_doc: Math.round(whole.ledger_bytes / whole.stats.ledger_docs),
  whole_pass_docs_per_s: Math.round(N / (sigSeconds - genSeconds + whole.seconds)),
  removed: whole.stats.removed,
  near_clusters: whole.stats.near_clusters,
  rejected_pairs: whole.stats.rejected_pairs,
  planted_near_duplicates: whole.planted,
  planted_found: whole.planted_found,
  two_versions: {
    v1: { docs: firstHalfDocs, seconds: v1.seconds, peak_rss_mb: v1.peak_rss_mb, removed: v1.stats.removed },
    v2: {
      docs: N - firstHalfDocs,
      prior_docs: v2.stats.prior_docs,
      seconds: v2.seconds,
      peak_rss_mb: v2.peak_rss_mb,
      removed: v2.stats.removed,
    },
    planted_found: v1.planted_found + v2.planted_found,
  },
};

// 3. LSH quality on real posts.
const quality = lshQuality(posts, mh);
const result = {
  config: { ...mh, implied_threshold: Number(impliedThreshold(mh).toFixed(3)) },
  cpu: cpus()[0]?.model,
  speed,
  pass,
  quality,
};
console.log(JSON.stringify(result, null, 2));
rmSync(work, { recursive: true, force: true });
