#!/usr/bin/env node
// The CPU streaming retrieval adds to ingest, per document, at 1,000 and 10,000 queries, in the same run.
//
//   node --import tsx scripts/bench/stream-cpu.mjs [--runs 3] [--queries 1000,10000] [--copies 1]
//
// Inputs (real text): a WET file of the 20 Newsgroups posts (scripts/bench/stream/make-wet.mjs; ingest is cheap
// there, the hardest case for the ratio) and a WARC of the real extraction pages (scripts/bench/ingest/make-warc.mjs;
// ingest extracts HTML). Queries: real short texts (scripts/bench/stream/queries.mjs).
// Sides, each timed by process.cpuUsage on one thread (extract workers 0), median of --runs:
//   ingest     readArchive writing the shard's .jsonl.gz, as the ingest step does (in a work folder: gzip level 1);
//   stats      the exact-statistics pass over that shard (stream_stats: read it again, tokenize, count);
//   score      stream_score: read it again, tokenize, score every matching query, keep the top k, write the kept
//              hits, and a third read writing the kept documents;
//   in-line    tokenize + score alone on documents in memory: what scoring costs inside ingest, without re-reading.
//   in-line, floors   the same with what a wired in-line design would hold before its shards are read: statistics
//              and score floors from every 10th document (standing for a 10% sample of shards; not timed).
// Added over ingest: exact = stats + score; sampled (10% of the shards) = 0.1 x stats + score; in-line alone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repo } from './stream/demo-work.mjs';
import { benchQueries } from './stream/queries.mjs';

const { JsonlWriter, readJsonl } = await import(join(repo, 'core/jsonl.ts'));
const { Counters } = await import(join(repo, 'core/types.ts'));
const { ingestConfigSchema } = await import(join(repo, 'stages/ingest/config.ts'));
const { readArchive } = await import(join(repo, 'stages/ingest/index.ts'));
const { QueryIndex } = await import(join(repo, 'stages/retrieve/stream/query-index.ts'));
const { countStats, scaleSample } = await import(join(repo, 'stages/retrieve/stream/statistics.ts'));
const { docsAt, scoreShard } = await import(join(repo, 'stages/retrieve/stream/score-shard.ts'));
const { combineFloors, floorRows } = await import(join(repo, 'stages/retrieve/stream/floors.ts'));

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    queries: { type: 'string', default: '1000,10000' },
    k: { type: 'string', default: '25' },
  },
});
const runs = Number(values.runs);
const k = Number(values.k);
const dir = join(tmpdir(), 'qcc-bench-stream-cpu');
mkdirSync(dir, { recursive: true });
const inputs = [
  { name: 'WET, 20 Newsgroups posts', file: join(dir, '20news.warc.wet.gz'), make: ['stream/make-wet.mjs'] },
  { name: 'WARC, extraction pages (HTML)', file: join(dir, 'pages-x1.warc.gz'), make: ['ingest/make-warc.mjs'] },
];
for (const input of inputs) {
  if (!existsSync(input.file))
    execFileSync(process.execPath, [join(repo, 'scripts', 'bench', input.make[0]), input.file], { stdio: 'inherit' });
}

const quiet = { info() {}, warn() {}, error() {} };
const cpuOf = async fn => {
  const c0 = process.cpuUsage();
  const result = await fn();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, result };
};
const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function ingest(file, out) {
  const config = ingestConfigSchema.parse({ warc: [file], on_error: 'skip', workers: 0 });
  const ctx = { config, log: quiet, counters: new Counters(), signal: new AbortController().signal };
  const writer = await JsonlWriter.open(out);
  for await (const doc of readArchive(file, ctx)) await writer.write(doc);
  await writer.close();
  return writer.records;
}

async function score(qi, stats, shard, hitsOut, docsOut) {
  const scored = await scoreShard(qi, stats, readJsonl(shard), { topK: k, keepMinScore: Infinity });
  const hits = await JsonlWriter.open(hitsOut);
  for (let i = 0; i < scored.hits.length; i += 1000) await hits.writeMany(scored.hits.slice(i, i + 1000));
  await hits.close();
  const docs = await JsonlWriter.open(docsOut);
  for await (const doc of docsAt(readJsonl(shard), scored.keptOrds)) await docs.write(doc);
  await docs.close();
  return scored;
}

const rows = [];
for (const input of inputs) {
  // Under a `.work` folder, as the ingest step writes it (gzip level 1: core/jsonl.ts).
  const shard = join(dir, '.work', 'shard.jsonl.gz');
  const inMemory = [];
  for (const n of values.queries.split(',').map(Number)) {
    const texts = benchQueries(n);
    const { cpu: buildCpu, result: qi } = await cpuOf(async () => new QueryIndex(texts));
    const sides = { ingest: [], stats: [], score: [], inline: [], inlineFloors: [] };
    let docs = 0;
    let pairs = 0;
    let exact = 0;
    let exactFloors = 0;
    for (let r = 0; r < runs; r++) {
      const ing = await cpuOf(() => ingest(input.file, shard));
      docs = ing.result;
      sides.ingest.push(ing.cpu);
      const st = await cpuOf(() => countStats(qi, readJsonl(shard)));
      sides.stats.push(st.cpu);
      const sc = await cpuOf(() => score(qi, st.result, shard, join(dir, 'hits.jsonl.gz'), join(dir, 'docs.jsonl.gz')));
      pairs = sc.result.scored;
      exact = sc.result.exact;
      sides.score.push(sc.cpu);
      if (inMemory.length === 0) for await (const d of readJsonl(shard)) inMemory.push(d);
      const each = async function* () {
        yield* inMemory;
      };
      sides.inline.push(
        (await cpuOf(() => scoreShard(qi, st.result, each(), { topK: k, keepMinScore: Infinity }))).cpu,
      );
      const sample = inMemory.filter((_, i) => i % 10 === 0);
      const fromSample = async function* () {
        yield* sample;
      };
      const sampleStats = scaleSample(await countStats(qi, fromSample()), inMemory.length);
      const sampleHits = await scoreShard(qi, sampleStats, fromSample(), { topK: k, keepMinScore: Infinity });
      const floors = await combineFloors(
        qi.queries.map(q => q.id),
        (async function* () {
          yield (async function* () {
            yield* floorRows(sampleHits.hits);
          })();
        })(),
        k,
      );
      const withFloors = await cpuOf(() =>
        scoreShard(qi, sampleStats, each(), { topK: k, keepMinScore: Infinity, floors }),
      );
      sides.inlineFloors.push(withFloors.cpu);
      exactFloors = withFloors.result.exact;
      console.error(
        `${input.name}, ${n} queries, run ${r + 1}/${runs}: ${JSON.stringify(Object.fromEntries(Object.entries(sides).map(([s, v]) => [s, v.at(-1).toFixed(2)])))}`,
      );
    }
    const m = Object.fromEntries(Object.entries(sides).map(([s, v]) => [s, median(v)]));
    rows.push({ input: input.name, queries: n, docs, pairs, exact, exactFloors, buildCpu, ...m });
  }
  rmSync(shard, { force: true });
}

const us = (cpu, docs) => ((cpu / docs) * 1e6).toFixed(0);
const pct = x => `${(100 * x).toFixed(1)}%`;
console.log(
  `median of ${runs} runs, one thread, k = ${k}; load average at the end ${loadavg()
    .map(x => x.toFixed(2))
    .join(' ')}\n`,
);
console.log(
  '| input | queries | docs | matching pairs / doc (scored exactly) | ingest µs/doc | stats µs/doc | score µs/doc | in-line µs/doc | in-line, floors µs/doc (scored exactly / doc) | added, exact (stats + score) | added, sampled 10% | added, in-line scoring | added, in-line with floors | query index build s |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.input} | ${r.queries} | ${r.docs} | ${(r.pairs / r.docs).toFixed(1)} (${(r.exact / r.docs).toFixed(1)}) | ${us(r.ingest, r.docs)} | ${us(r.stats, r.docs)} | ${us(r.score, r.docs)} | ${us(r.inline, r.docs)} | ${us(r.inlineFloors, r.docs)} (${(r.exactFloors / r.docs).toFixed(1)}) | ${pct((r.stats + r.score) / r.ingest)} | ${pct((0.1 * r.stats + r.score) / r.ingest)} | ${pct(r.inline / r.ingest)} | ${pct(r.inlineFloors / r.ingest)} | ${r.buildCpu.toFixed(2)} |`,
  );
}
