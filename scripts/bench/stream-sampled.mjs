#!/usr/bin/env node
// Streaming retrieval with sampled statistics: how far its results are from exact statistics (which give the
// index's results bit for bit, tests/stream-retrieve.test.ts), on the demo's real inputs and queries.
//
//   node --import tsx scripts/bench/stream-sampled.mjs [--dir /tmp/qcc-bench-stream] [--k 25] [--seeds 5]
//
// The demo (config/demo.yaml, relevance off, stream mode) is run through `stream_stats` once into --dir. Its 11k
// documents are then laid out as shards three ways: the demo's own 7 ingest shards (one 20 Newsgroups corpus
// holds 99.8% of the documents), 40 shards in ingest order (topical: the corpus is grouped by newsgroup) and
// 40 shards by id hash (like the WARC files of one crawl, each a random sample of its URLs). For each layout and
// sample fraction, --seeds different samples of shards (the run's rule, sampleShards, over salted shard ids).
// Reported: overlap@k (|sampled top k ∩ exact top k| / |exact top k|, mean and minimum over queries), the
// overlap of the candidate sets after the demo's floor (min_relative_score 0.3), and the errors of the statistics.
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { demoWork, repo } from './stream/demo-work.mjs';

const { readAllJsonl, readJsonl } = await import(join(repo, 'core/jsonl.ts'));
const { Counters } = await import(join(repo, 'core/types.ts'));
const { QueryIndex } = await import(join(repo, 'stages/retrieve/stream/query-index.ts'));
const { DocScanner } = await import(join(repo, 'stages/retrieve/stream/scan.ts'));
const { Bm25 } = await import(join(repo, 'stages/retrieve/stream/bm25.ts'));
const { TopK } = await import(join(repo, 'stages/retrieve/stream/top-k.ts'));
const { cutHits } = await import(join(repo, 'stages/retrieve/retrieve.ts'));
const { sampleShards } = await import(join(repo, 'stages/retrieve/stream/sample.ts'));
const { emptyStats, scaleSample } = await import(join(repo, 'stages/retrieve/stream/statistics.ts'));

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(tmpdir(), 'qcc-bench-stream') },
    k: { type: 'string', default: '25' },
    seeds: { type: 'string', default: '5' },
  },
});
const k = Number(values.k);
const seeds = Number(values.seeds);
const fractions = [0.05, 0.1, 0.2, 0.5];

const work = demoWork(values.dir);
const queries = await readAllJsonl(work.queries);
const qi = new QueryIndex(queries);
const scanner = new DocScanner(qi);

// Every document read once: its length and query-phrase frequencies (what scoring and statistics need).
const docs = [];
for (const shard of work.shards) {
  const seen = new Set();
  for await (const doc of readJsonl(shard.file)) {
    if (seen.has(doc.id)) continue;
    seen.add(doc.id);
    const t = scanner.scan(doc.text);
    const freq = new Map(t.present.map(p => [p, t.freq[p]]));
    docs.push({ id: doc.id, shard: shard.id, length: t.length, present: [...t.present], freq });
  }
}
console.error(`${docs.length} documents, ${queries.length} queries, ${qi.phrases.length} query phrases`);

function statsOf(list) {
  const s = emptyStats();
  for (const d of list) {
    s.docs++;
    s.tokens += d.length;
    for (const p of d.present) s.df[qi.phrases[p].key] = (s.df[qi.phrases[p].key] ?? 0) + 1;
  }
  return s;
}

/** Top k per query over all documents (in layout order: ties as the merge breaks them), then the demo floor. */
function retrieveAll(stats, ordered) {
  const bm25 = new Bm25(qi, stats);
  const tops = queries.map(() => new TopK(k));
  const freq = new Float64Array(qi.phrases.length);
  ordered.forEach((d, ord) => {
    for (const [p, f] of d.freq) freq[p] = f;
    const terms = { length: d.length, present: d.present, freq };
    const touched = new Set(d.present.flatMap(p => qi.queriesOf[p]));
    for (const q of touched) {
      const score = bm25.score(q, terms);
      if (tops[q].admits(score)) tops[q].push({ doc_id: d.id, ord, score });
    }
    for (const p of d.present) freq[p] = 0;
  });
  const topIds = tops.map(t => t.sorted().map(h => h.doc_id));
  const kept = new Set();
  const counters = new Counters();
  queries.forEach((q, i) => {
    const hits = tops[i].sorted().map((h, r) => ({ id: h.doc_id, score: h.score, rank: r + 1 }));
    for (const row of cutHits(q, hits, { min_score: 0, min_relative_score: 0.3 }, counters)) kept.add(row.doc_id);
  });
  return { topIds, kept };
}

const hash = s => createHash('sha1').update(s).digest('hex');
const layouts = {
  'demo ingest shards (7)': docs.map(d => ({ ...d, layoutShard: d.shard })),
  '40 shards, ingest order (topical)': docs.map((d, i) => ({
    ...d,
    layoutShard: `s${String(Math.floor((i * 40) / docs.length)).padStart(2, '0')}`,
  })),
  '40 shards, by id hash (crawl-like)': [...docs]
    .sort((a, b) => hash(a.id).localeCompare(hash(b.id)))
    .map((d, i, all) => ({ ...d, layoutShard: `s${String(Math.floor((i * 40) / all.length)).padStart(2, '0')}` })),
};

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = [];
for (const [layout, ordered] of Object.entries(layouts)) {
  const shardIds = [...new Set(ordered.map(d => d.layoutShard))];
  const exactStats = statsOf(ordered);
  const exact = retrieveAll(exactStats, ordered);
  for (const fraction of fractions) {
    const results = [];
    for (let seed = 0; seed < seeds; seed++) {
      const salted = shardIds.map(id => ({ id: `${seed}:${id}`, shard: id }));
      const chosen = new Set(sampleShards(salted, fraction).map(s => s.shard));
      const sample = statsOf(ordered.filter(d => chosen.has(d.layoutShard)));
      if (sample.docs === 0) continue;
      const stats = scaleSample(sample, exactStats.docs);
      const got = retrieveAll(stats, ordered);
      const overlaps = [];
      exact.topIds.forEach((e, q) => {
        if (e.length === 0) return;
        const g = new Set(got.topIds[q]);
        overlaps.push(e.filter(id => g.has(id)).length / e.length);
      });
      const candRecall = [...exact.kept].filter(id => got.kept.has(id)).length / exact.kept.size;
      const candPrecision = [...got.kept].filter(id => exact.kept.has(id)).length / got.kept.size;
      const dfErrors = Object.entries(exactStats.df).map(([key, n]) => Math.abs((stats.df[key] ?? 0) - n) / n);
      results.push({
        shards: chosen.size,
        docs: sample.docs,
        mean: overlaps.reduce((a, b) => a + b, 0) / overlaps.length,
        min: Math.min(...overlaps),
        candRecall,
        candPrecision,
        dfErr: median(dfErrors),
        avgdlErr:
          Math.abs(stats.tokens / stats.docs - exactStats.tokens / exactStats.docs) /
          (exactStats.tokens / exactStats.docs),
      });
    }
    rows.push({ layout, fraction, results });
    console.error(`${layout} ${fraction}: ${JSON.stringify(results.map(r => r.mean.toFixed(3)))}`);
  }
}

const pct = x => `${(100 * x).toFixed(1)}%`;
console.log(
  `demo inputs: ${docs.length} documents, ${queries.length} queries, k = ${k}; median over ${seeds} samples of shards (worst sample in brackets)\n`,
);
console.log(
  '| shards | sample | shards read | docs read | overlap@k mean | overlap@k, worst query | candidates kept (recall / precision vs exact) | df error (median term) | avgdl error |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const { layout, fraction, results } of rows) {
  if (results.length === 0) continue;
  const m = f => median(results.map(f));
  const worst = f => Math.min(...results.map(f));
  const worstMax = f => Math.max(...results.map(f));
  console.log(
    `| ${layout} | ${pct(fraction)} | ${m(r => r.shards)} | ${m(r => r.docs)} | ${pct(m(r => r.mean))} (${pct(worst(r => r.mean))}) | ${pct(m(r => r.min))} | ${pct(m(r => r.candRecall))} / ${pct(m(r => r.candPrecision))} (${pct(worst(r => r.candRecall))}) | ${pct(m(r => r.dfErr))} (${pct(worstMax(r => r.dfErr))}) | ${pct(m(r => r.avgdlErr))} (${pct(worstMax(r => r.avgdlErr))}) |`,
  );
}
