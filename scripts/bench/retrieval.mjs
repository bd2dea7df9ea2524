#!/usr/bin/env node
// Retrieval benchmark: SQLite FTS5 and Elasticsearch in the same run, on the same derived corpus and the
// same real queries (the seed texts in data/seeds/).
//
//   node --import tsx scripts/bench/retrieval.mjs [--docs 1000000] [--k 100] [--runs 3] [--shard-docs 100000] [--fts5-only]
//
// Reports index build docs/s per backend, top-k queries/s (median of --runs passes; FTS5 one query at a
// time, Elasticsearch one at a time and in _msearch batches of 32, 2 in flight), and overlap@k of the two
// rankings. Elasticsearch: QCC_ES_URL, else a node started with scripts/es.mjs (name "bench", port 9202,
// heap 1g) and stopped at the end; --fts5-only skips it (and the overlap). Progress on stderr, a JSON summary on stdout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { derivedDocs, loadChunks } from './retrieval/corpus.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { openSearchIndex } = await import(join(repo, 'stages/index/open.ts'));
const { indexConfigSchema } = await import(join(repo, 'stages/index/config.ts'));

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    k: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
    'shard-docs': { type: 'string', default: '100000' },
    'batch-size': { type: 'string', default: '2000' },
    'fts5-only': { type: 'boolean', default: false },
  },
});
const N = Number(values.docs);
const K = Number(values.k);
const RUNS = Number(values.runs);
const SHARD = Number(values['shard-docs']);
const BATCH = Number(values['batch-size']);
const log = msg => process.stderr.write(`bench: ${msg}\n`);
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sharedData = resolve(process.env.QCC_SHARED_DATA ?? join(repo, '..', 'shared', 'data'));
const corpus = join(sharedData, 'corpora', '20news-bydate-train.jsonl.gz');

function seedQueries() {
  const dir = join(repo, 'data', 'seeds');
  const files = [
    join(dir, 'demo.csv'),
    ...['humanities', 'medicine', 'social-sciences', 'stem'].map(d => join(dir, 'domains', `${d}.csv`)),
  ];
  const texts = new Set();
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      // domain,subdomain,type,text: the text is the rest of the line, maybe quoted.
      const m = line.match(/^[^,]*,[^,]*,[^,]*,(.*)$/);
      if (m) texts.add(m[1].replace(/^"|"$/g, '').replace(/""/g, '"').trim());
    }
  }
  return [...texts].filter(Boolean);
}

async function* shardDocs(chunks, from, to) {
  let j = 0;
  for (const doc of derivedDocs(chunks, to, corpus)) if (j++ >= from) yield doc;
}

async function build(index, chunks, label) {
  const t0 = performance.now();
  for (let from = 0, s = 0; from < N; from += SHARD, s++) {
    const to = Math.min(N, from + SHARD);
    const r = await index.addShard(`shard-${s}`, shardDocs(chunks, from, to), BATCH);
    const secs = (performance.now() - t0) / 1000;
    log(
      `${label}: ${to.toLocaleString()} / ${N.toLocaleString()} docs (${r.indexed} new in shard ${s}), ${Math.round(to / secs)} docs/s`,
    );
  }
  const secs = (performance.now() - t0) / 1000;
  return { seconds: Number(secs.toFixed(1)), docs_per_s: Math.round(N / secs) };
}

async function timeQueries(run, queries, label) {
  const rates = [];
  let last;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    last = await run(queries);
    const secs = (performance.now() - t0) / 1000;
    rates.push(queries.length / secs);
    log(`${label}: pass ${r + 1}/${RUNS} ${Math.round(queries.length / secs)} queries/s`);
  }
  return { queries_per_s: Number(median(rates).toFixed(1)), rankings: last };
}

const sequential = index => async queries => {
  const out = [];
  for (const q of queries) out.push(await index.search(q, K));
  return out;
};
const batched =
  (index, size = 32, inFlight = 2) =>
  async queries => {
    const batches = [];
    for (let i = 0; i < queries.length; i += size)
      batches.push(queries.slice(i, i + size).map(query => ({ query, k: K })));
    const out = new Array(batches.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < batches.length) {
          const i = next++;
          out[i] = await index.searchBatch(batches[i]);
        }
      }),
    );
    return out.flat();
  };

function overlap(a, b) {
  const per = a.map((hits, i) => {
    const other = new Set(b[i].map(h => h.id));
    const denom = Math.min(K, Math.max(hits.length, b[i].length));
    return denom === 0 ? null : hits.filter(h => other.has(h.id)).length / denom;
  });
  const scored = per.filter(x => x !== null);
  return {
    mean: Number((scored.reduce((s, x) => s + x, 0) / scored.length).toFixed(3)),
    min: Math.min(...scored),
    queries: scored.length,
  };
}

function startEs() {
  if (process.env.QCC_ES_URL) return { url: process.env.QCC_ES_URL, stop() {} };
  const args = [join(repo, 'scripts', 'es.mjs'), '--name', 'bench', '--port', '9202', '--heap', '1g'];
  const out = execFileSync(process.execPath, [args[0], 'start', ...args.slice(1)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n');
  const started = out.at(-2) === 'started';
  return {
    url: out.at(-1),
    stop: () => started && execFileSync(process.execPath, [args[0], 'stop', ...args.slice(1)], { stdio: 'inherit' }),
  };
}

log(`deriving ${N.toLocaleString()} documents from ${corpus}`);
const chunks = await loadChunks(corpus);
const queries = seedQueries();
log(`${chunks.length.toLocaleString()} chunks of real posts; ${queries.length} real seed queries; top-${K}`);

const dir = mkdtempSync(join(tmpdir(), 'qcc-bench-retrieval-'));
const result = {
  docs: N,
  k: K,
  runs: RUNS,
  queries: queries.length,
  shard_docs: SHARD,
  batch_size: BATCH,
  machine: { cores: (await import('node:os')).cpus().length },
};

const ftsPath = join(dir, 'index.sqlite');
const fts = openSearchIndex(indexConfigSchema.parse({}), { path: ftsPath });
result.fts5 = { build: await build(fts, chunks, 'fts5 build') };
fts.close();
result.fts5.file_mb = Math.round(
  (statSync(ftsPath).size + (statSync(`${ftsPath}-wal`, { throwIfNoEntry: false })?.size ?? 0)) / 1e6,
);
const ftsRead = openSearchIndex(indexConfigSchema.parse({}), { path: ftsPath, readonly: true });
const ftsQ = await timeQueries(sequential(ftsRead), queries, 'fts5 top-k');
result.fts5.queries_per_s = ftsQ.queries_per_s;
ftsRead.close();

if (values['fts5-only']) {
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
const node = startEs();
process.env.QCC_ES_URL = node.url;
try {
  const esConfig = indexConfigSchema.parse({
    backend: 'elasticsearch',
    elasticsearch: { index: `qcc-bench-${N}`, bulk_concurrency: 2 },
  });
  const es = openSearchIndex(esConfig, { path: ftsPath });
  await es.drop();
  result.elasticsearch = { build: await build(es, chunks, 'elasticsearch build') };
  const esSeq = await timeQueries(sequential(es), queries, 'elasticsearch top-k, one at a time');
  const esBatch = await timeQueries(batched(es), queries, 'elasticsearch top-k, msearch 32 x 2');
  result.elasticsearch.queries_per_s = esSeq.queries_per_s;
  result.elasticsearch.msearch_queries_per_s = esBatch.queries_per_s;
  result.overlap_at_k = overlap(ftsQ.rankings, esSeq.rankings);
  await es.drop();
  await es.close();
} finally {
  node.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(result, null, 2));
