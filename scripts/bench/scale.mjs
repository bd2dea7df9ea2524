#!/usr/bin/env node
// The scale run (issue 19): real-text WET files at several sizes, 1 and 2 workers, both retrieval modes, 1,000 and
// 10,000 queries; every stage of every rank is its own `qcc run --stage <step> --rank r --world W` process, timed
// by /usr/bin/time (user + system CPU, peak RSS, wall), and the bytes under the dataset's .work/ are measured after
// each stage. One JSON line per (run, stage, rank) goes to --results as soon as it is measured; --table prints the
// summary tables of a results file (docs/scale.md).
//
//   node --import tsx scripts/bench/scale.mjs [--sizes 30000,100000,300000] [--workers 1,2] [--modes index,stream,es]
//        [--queries 1000,10000] [--post] [--dir /tmp/qcc-bench-scale] [--results <file.jsonl>]
//   node --import tsx scripts/bench/scale.mjs --table <file.jsonl>
//
// Inputs: scripts/bench/scale/make-wet.mjs (10,000 pages per WET file, made once in --dir). Queries: real short
// texts (scripts/bench/stream/queries.mjs) as seeds with `bootstrap.provider: none`, so the seeds are the queries;
// relevance off (it grows with the kept corpus and calls the model). --post also times the steps after candidates
// (filters, decontamination off, dedup, publish) as one process per rank. Mode `es` is the indexed path with
// `index.backend: elasticsearch`: one node started by scripts/es.mjs (name `scale`, port 9250, --es-heap) for the
// run and stopped after; the node's own CPU per stage (/proc/<pid>/stat) and its index's store size are measured
// too, and the run's index is deleted after its run. --relevance full|<N> adds the relevance loop's steps with the
// demo's four topical seed domains as the queries (no LLM: weak labels; semantic boundary and estimate off; the
// growth guard at 1000x, since 24 queries retrieve ~150 documents a domain and a quarter of the pages are posts of
// the domains' newsgroups: at 8x the guard takes every classifier out and the recall round scores nothing), over
// the whole index (`full`) or with `relevance.sample_docs: N`.
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDist } from './build-dist.mjs';
import { scaleWetFiles } from './scale/make-wet.mjs';
import { printTables } from './scale/table.mjs';
import { repo, sharedData } from './stream/demo-work.mjs';
import { benchQueries } from './stream/queries.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '30000,100000,300000' },
    workers: { type: 'string', default: '1,2' },
    modes: { type: 'string', default: 'index,stream' },
    queries: { type: 'string', default: '1000,10000' },
    'docs-per-file': { type: 'string', default: '10000' },
    post: { type: 'boolean', default: false },
    'es-heap': { type: 'string', default: '2g' },
    relevance: { type: 'string', default: '' },
    dir: { type: 'string', default: '/tmp/qcc-bench-scale' },
    results: { type: 'string' },
    table: { type: 'string' },
  },
});
if (values.table) {
  printTables(values.table);
  process.exit(0);
}
const list = s =>
  s
    .split(',')
    .map(x => x.trim())
    .filter(Boolean);
const sizes = list(values.sizes).map(Number);
const workerCounts = list(values.workers).map(Number);
const modes = list(values.modes);
const queryCounts = list(values.queries).map(Number);
const docsPerFile = Number(values['docs-per-file']);
const dir = values.dir;
const results = values.results ?? join(dir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
mkdirSync(join(dir, 'wet'), { recursive: true });
for (const size of sizes)
  if (size % docsPerFile) throw new Error(`--sizes: ${size} is not a multiple of ${docsPerFile}`);
if (!existsSync('/usr/bin/time')) throw new Error('scale bench: /usr/bin/time is needed (Debian package "time")');

buildDist();
const wet = scaleWetFiles({ dir: join(dir, 'wet'), files: Math.max(...sizes) / docsPerFile, docsPerFile, sharedData });

const csvField = s => `"${s.replaceAll('"', '""')}"`;
function seedsFile(n) {
  const file = join(dir, `queries-${n}.csv`);
  if (!existsSync(file)) {
    const rows = benchQueries(n).map(q =>
      [q.domain, 'bench', 'keyword', csvField(q.text.replace(/\s+/g, ' '))].join(','),
    );
    writeFileSync(file, `domain,subdomain,type,text\n${rows.join('\n')}\n`);
  }
  return file;
}

function configFile({ dataset, size, mode, queries }) {
  const file = join(dir, `${dataset}.yaml`);
  const files = wet.slice(0, size / docsPerFile);
  writeFileSync(
    file,
    `dataset: ${dataset}
out: ${join(dir, 'runs')}
cache_dir: ${join(dir, 'cache')}
seeds: { files: [${values.relevance ? join(repo, 'data', 'seeds', 'demo.csv') : seedsFile(queries)}] }
bootstrap: { provider: none }
ingest:
  warc: [${files.join(', ')}]
index: { backend: ${mode === 'es' ? 'elasticsearch' : 'fts5'}, tokenizer: unicode61 }
retrieve: { mode: ${mode === 'stream' ? 'stream' : 'index'}, top_k: 25, min_relative_score: 0.3 }
relevance: ${
      values.relevance
        ? `{ enabled: true, sample_docs: ${values.relevance === 'full' ? 'null' : Number(values.relevance)}, semantic_boundary: { enabled: false }, estimate: { enabled: false }, guards: { max_growth: 1000 } }`
        : '{ enabled: false }'
    }
`,
  );
  return file;
}

function duBytes(path) {
  if (!existsSync(path)) return 0;
  let total = 0;
  const walk = p => {
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else total += st.size;
  };
  walk(path);
  return total;
}

function runRank({ config, stage, rank, world, log }) {
  const timeFile = `${log}.time`;
  const args = [
    '-f',
    '%U %S %M %e',
    '-o',
    timeFile,
    process.execPath,
    join(repo, 'bin', 'qcc.js'),
    'run',
    '--config',
    config,
  ];
  if (stage !== 'post') args.push('--stage', stage === 'startup' ? 'bootstrap_finalise' : stage);
  args.push('--rank', String(rank), '--world', String(world));
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', d => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', code => {
      writeFileSync(log, stderr);
      if (code !== 0)
        return reject(new Error(`${stage} rank ${rank} exited ${code}; see ${log}\n${stderr.slice(-2000)}`));
      const [user, sys, rssKb, wall] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
      const counters = {};
      for (const line of stderr.split('\n')) {
        if (!line.includes('"step_finished"')) continue;
        try {
          const ev = JSON.parse(line);
          Object.assign(counters, ev.counters ?? {});
        } catch {
          // a progress line cut by the logger: its counters are in the next step_finished event too
        }
      }
      resolve({ user, sys, cpu: user + sys, rss_mb: rssKb / 1024, wall, counters });
    });
  });
}

// `startup` runs bootstrap_finalise again once it is done: a process that loads the pipeline and finds nothing to
// do, i.e. the fixed cost every stage process pays (subtracted in the per-document columns of the tables).
const stagesOf = mode => [
  'bootstrap_finalise',
  'startup',
  'ingest',
  ...(mode === 'stream' ? ['stream_stats', 'stream_floor', 'stream_score'] : ['index']),
  'retrieve',
  'candidates',
  ...(values.relevance ? ['relevance_sample', 'relevance_model', 'relevance_recall', 'relevance'] : []),
  ...(values.post ? ['post'] : []),
];

const es = modes.includes('es') ? await startEs() : undefined;
/** The bench's Elasticsearch node: started for the run (stopped at the end), its pid and URL. */
async function startEs() {
  const args = [join(repo, 'scripts', 'es.mjs'), '--name', 'scale', '--port', '9250', '--heap', values['es-heap']];
  const out = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [args[0], 'start', ...args.slice(1)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', d => {
      text += d;
    });
    child.on('close', code => (code === 0 ? resolve(text) : reject(new Error(`es.mjs start exited ${code}`))));
  });
  const url = out.trim().split('\n').at(-1);
  const pid = Number(readFileSync(join(repo, '.es', 'run', 'scale', 'es.pid'), 'utf8').trim());
  process.env.QCC_ES_URL = url;
  const stop = () =>
    new Promise(resolve =>
      spawn(process.execPath, [args[0], 'stop', ...args.slice(1)], { stdio: 'inherit' }).on('close', resolve),
    );
  return { url, pid, stop };
}
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
/** The node's user + system CPU seconds so far. */
function esCpu() {
  const fields = readFileSync(`/proc/${es.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}
async function esIndices() {
  const res = await fetch(`${es.url}/_cat/indices?format=json&bytes=b`);
  return (await res.json()).map(i => ({
    name: i.index,
    bytes: Number(i['store.size']),
    docs: Number(i['docs.count']),
  }));
}

console.error(`scale bench: results in ${results}`);
for (const size of sizes) {
  for (const queries of queryCounts) {
    for (const mode of modes) {
      for (const world of workerCounts) {
        const dataset = `s${size}-${mode}-${values.relevance ? `rel-${values.relevance}` : `q${queries}`}-w${world}`;
        const config = configFile({ dataset, size, mode, queries });
        rmSync(join(dir, 'runs', dataset), { recursive: true, force: true });
        mkdirSync(join(dir, 'logs'), { recursive: true });
        for (const stage of stagesOf(mode)) {
          const esBefore = mode === 'es' ? esCpu() : 0;
          const t0 = Date.now();
          const load = loadavg()[0];
          const ranks = await Promise.all(
            Array.from({ length: world }, (_, rank) =>
              runRank({ config, stage, rank, world, log: join(dir, 'logs', `${dataset}-${stage}-r${rank}.log`) }),
            ),
          );
          const wall = (Date.now() - t0) / 1000;
          const workBytes = duBytes(join(dir, 'runs', dataset, '.work'));
          // The node's CPU during the stage (counted once, on rank 0's row) and the run's indices (documents and
          // shard records) on its disk.
          const esStage =
            mode === 'es'
              ? { es_cpu: esCpu() - esBefore, es_store_bytes: (await esIndices()).reduce((n, i) => n + i.bytes, 0) }
              : {};
          for (const [rank, r] of ranks.entries()) {
            const row = {
              dataset,
              size,
              mode,
              queries,
              world,
              stage,
              rank,
              ...r,
              ...(mode === 'es' ? { ...esStage, es_cpu: rank === 0 ? esStage.es_cpu : 0 } : {}),
              stage_wall: wall,
              work_bytes: workBytes,
              load,
            };
            appendFileSync(results, `${JSON.stringify(row)}\n`);
          }
          const cpu = ranks.reduce((s, r) => s + r.cpu, 0);
          console.error(
            `${dataset} ${stage}: wall ${wall.toFixed(1)} s, cpu ${cpu.toFixed(1)} s${mode === 'es' ? ` (+ Elasticsearch ${esStage.es_cpu.toFixed(1)} s, index ${(esStage.es_store_bytes / 1e6).toFixed(1)} MB)` : ''}, rss ${ranks.map(r => r.rss_mb.toFixed(0)).join('/')} MB, .work ${(workBytes / 1e6).toFixed(1)} MB`,
          );
        }
        if (mode === 'es')
          for (const index of await esIndices()) await fetch(`${es.url}/${index.name}`, { method: 'DELETE' });
      }
    }
  }
}
await es?.stop();
printTables(results);
