// The summary tables of a scale-bench results file (scripts/bench/scale.mjs): per run and stage; the growth with
// documents; what streaming retrieval adds to ingest. Per-document CPU leaves out each process's start-up (the
// run's `startup` row: a stage process that finds nothing to do), a fixed cost per process, not per document.
import { readFileSync } from 'node:fs';

const fmt = (x, d = 0) =>
  x === undefined || Number.isNaN(x)
    ? '–'
    : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export function loadRows(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l));
}

/** One entry per (run, stage): CPU summed over ranks, peak RSS of the largest rank, the stage's wall time. */
export function stageSummaries(rows) {
  const byKey = new Map();
  for (const r of rows) {
    const key = `${r.dataset}|${r.stage}`;
    const s = byKey.get(key) ?? { ...r, cpu: 0, es_cpu: 0, rss_mb: 0, ranks: 0 };
    // Mode `es`: the Elasticsearch node's CPU during the stage counts too (the cost of the indexed path).
    s.cpu += r.cpu + (r.es_cpu ?? 0);
    s.es_cpu += r.es_cpu ?? 0;
    s.rss_mb = Math.max(s.rss_mb, r.rss_mb);
    s.ranks += 1;
    byKey.set(key, s);
  }
  const stages = [...byKey.values()];
  const startup = new Map(stages.filter(s => s.stage === 'startup').map(s => [s.dataset, s.cpu]));
  // Per document: the pages of the WET files (every one is ingested; a rank's counters are not its own share).
  for (const s of stages) s.usPerDoc = (Math.max(0, s.cpu - (startup.get(s.dataset) ?? 0)) / s.size) * 1e6;
  return stages;
}

const RETRIEVAL = {
  index: ['index', 'retrieve'],
  es: ['index', 'retrieve'],
  stream: ['stream_stats', 'stream_floor', 'stream_score', 'retrieve'],
};

export function printTables(file) {
  const stages = stageSummaries(loadRows(file)).filter(s => s.stage !== 'bootstrap_finalise');
  console.log(
    "| docs | mode | queries | workers | stage | CPU s (es: with the node's) | of it, Elasticsearch | CPU µs / doc (less start-up) | wall s | peak RSS MB (largest worker) | .work MB after | ES index MB after |",
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of stages)
    console.log(
      `| ${fmt(s.size)} | ${s.mode} | ${fmt(s.queries)} | ${s.world} | ${s.stage} | ${fmt(s.cpu, 1)} | ${s.mode === 'es' ? fmt(s.es_cpu, 1) : '–'} | ${s.stage === 'startup' ? '–' : fmt(s.usPerDoc)} | ${fmt(s.stage_wall, 1)} | ${fmt(s.rss_mb)} | ${fmt(s.work_bytes / 1e6, 1)} | ${s.mode === 'es' ? fmt(s.es_store_bytes / 1e6, 1) : '–'} |`,
    );

  // Growth: per (mode, queries, workers), ingest and retrieval CPU per document, wall, peak RSS and .work per size.
  const runs = new Map();
  for (const s of stages) {
    const key = `${s.mode}|${s.queries}|${s.world}|${s.size}`;
    const r = runs.get(key) ?? { mode: s.mode, queries: s.queries, world: s.world, size: s.size, wall: 0, rss: 0 };
    if (s.stage === 'ingest') r.ingest = s.usPerDoc;
    if (RETRIEVAL[s.mode].includes(s.stage)) r.retrieval = (r.retrieval ?? 0) + s.usPerDoc;
    if (s.stage === 'candidates') r.candidates = s.usPerDoc;
    if (s.stage !== 'startup') r.wall += s.stage_wall;
    r.rss = Math.max(r.rss, s.rss_mb);
    r.work = Math.max(r.work ?? 0, s.work_bytes);
    if (s.mode === 'es') r.esStore = Math.max(r.esStore ?? 0, s.es_store_bytes ?? 0);
    runs.set(key, r);
  }
  console.log(
    '\n| mode | queries | workers | docs | ingest µs / doc | retrieval µs / doc | candidates µs / doc | wall s (all stages) | peak RSS MB | .work bytes / doc | ES index bytes / doc |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  const ordered = [...runs.values()].sort(
    (a, b) => a.mode.localeCompare(b.mode) || a.queries - b.queries || a.world - b.world || a.size - b.size,
  );
  for (const r of ordered)
    console.log(
      `| ${r.mode} | ${fmt(r.queries)} | ${r.world} | ${fmt(r.size)} | ${fmt(r.ingest)} | ${fmt(r.retrieval)} | ${fmt(r.candidates)} | ${fmt(r.wall, 1)} | ${fmt(r.rss)} | ${fmt(r.work / r.size)} | ${r.esStore === undefined ? '–' : fmt(r.esStore / r.size)} |`,
    );

  // What streaming retrieval adds over ingest alone, per document (the issue's ≤ 15% at 10,000 queries).
  console.log(
    '\n| docs | queries | workers | stream ingest µs / doc | stream retrieval µs / doc | added over ingest |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of ordered.filter(x => x.mode === 'stream'))
    console.log(
      `| ${fmt(r.size)} | ${fmt(r.queries)} | ${r.world} | ${fmt(r.ingest)} | ${fmt(r.retrieval)} | ${r.ingest ? `${fmt((r.retrieval / r.ingest) * 100)}%` : '–'} |`,
    );
}
