#!/usr/bin/env node
// Bootstrap benchmark on the local model (1 thread): queries/s and tokens/s without and with the
// LLM cache (medians over --reps runs; the uncached runs use a different base_seed each, so nothing
// is cached), distinct-query yield per seed, and the near-duplicate rate before and after
// post-processing.
//
//   node scripts/bench/bootstrap.mjs [--seeds 4] [--reps 3] [--thought-rounds 1] [--json]
//   node scripts/bench/bootstrap.mjs --run <work dir of a bootstrap run>   (analyse its shards, no model)
//
// Needs `npm run build` (it runs dist/) and the model (`npm run fetch-model`).
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '4' },
    reps: { type: 'string', default: '3' },
    'thought-rounds': { type: 'string', default: '1' },
    run: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const dist = p => new URL(`../../dist/${p}`, import.meta.url).href;
const boot = await import(dist('stages/bootstrap/index.js'));
const { readAllSeeds } = await import(dist('stages/seeds/index.js'));
const { Counters, silentLogger } = await import(dist('core/types.js'));

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const post = boot.parseBootstrapConfig({}).postprocess;
const log = msg => process.stderr.write(`bench: ${msg}\n`);

/** Post-process a query list (first of each id, as ensureQueriesFile does); yield and duplicate rates. */
function quality(all, seeds) {
  const ids = new Set();
  const queries = all.filter(q => !ids.has(q.id) && ids.add(q.id));
  const counters = new Counters();
  const { kept } = boot.postprocessQueries(queries, post, counters);
  const rate = qs => boot.nearDuplicateRate(qs, post.near_duplicate_threshold, post.shingle_words);
  return {
    seeds,
    same_id: all.length - queries.length,
    queries_before: queries.length,
    queries_after: kept.length,
    distinct_queries_per_seed: Number((kept.length / seeds).toFixed(2)),
    near_duplicate_rate_before: Number(rate(queries).toFixed(4)),
    near_duplicate_rate_after: Number(rate(kept).toFixed(4)),
    // At a looser threshold than the one removed at: what similar-but-kept queries remain.
    near_duplicate_rate_at_0_5_before: Number(boot.nearDuplicateRate(queries, 0.5, post.shingle_words).toFixed(4)),
    near_duplicate_rate_at_0_5_after: Number(boot.nearDuplicateRate(kept, 0.5, post.shingle_words).toFixed(4)),
    drops: Object.fromEntries(
      Object.entries(counters.toJSON()).filter(
        ([k]) => !['bootstrap.post.in', 'bootstrap.post.kept', 'bootstrap.post.normalised'].includes(k),
      ),
    ),
  };
}

async function analyseRun(work) {
  const dir = join(work, 'queries');
  const queries = [];
  const seen = new Set();
  const files = (await readdir(dir)).filter(f => /^seeds-\d+\.jsonl$/.test(f)).sort();
  for (const f of files) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) {
      if (!line) continue;
      const q = JSON.parse(line);
      if (seen.has(q.id)) continue;
      seen.add(q.id);
      queries.push(q);
    }
  }
  const seeds = new Set(queries.map(q => q.lineage.seed_id)).size;
  return { shards: files.length, by_method: count(queries, q => q.lineage.method), ...quality(queries, seeds) };
}

const count = (xs, key) => {
  const m = {};
  for (const x of xs) m[key(x)] = (m[key(x)] ?? 0) + 1;
  return m;
};

async function runStage(provider, seeds, baseSeed) {
  const config = {
    provider: 'llama',
    samples_per_seed: 1,
    max_tokens: 96,
    thought_rounds: Number(values['thought-rounds']),
    thought_parents_per_seed: 1,
    thought_max_tokens: 128,
    base_seed: baseSeed,
  };
  const counters = new Counters();
  const ctx = { config, log: silentLogger, counters, signal: new AbortController().signal, provider };
  const queries = [];
  const started = process.hrtime.bigint();
  for await (const q of boot.extendQuestions(
    (async function* () {
      yield* seeds;
    })(),
    ctx,
  ))
    queries.push(q);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = counters.toJSON();
  const tokens = (c['bootstrap.prompt_tokens'] ?? 0) + (c['bootstrap.completion_tokens'] ?? 0);
  return {
    queries,
    seconds,
    qps: queries.length / seconds,
    completion_tps: (c['bootstrap.completion_tokens'] ?? 0) / seconds,
    total_tps: tokens / seconds,
    calls: c['bootstrap.llm_calls'] ?? 0,
    hits: c['bootstrap.llm_cache_hits'] ?? 0,
  };
}

async function benchModel() {
  const all = await readAllSeeds(
    ['stem', 'humanities', 'social-sciences', 'medicine'].map(
      d => new URL(`../../data/seeds/domains/${d}.csv`, import.meta.url).pathname,
    ),
  );
  // One seed per domain in turn, from the start of each file: the same seeds every time.
  const groups = new Map();
  for (const s of all) groups.set(s.domain, [...(groups.get(s.domain) ?? []), s]);
  const byDomain = [...groups.values()];
  const seeds = [];
  for (let i = 0; seeds.length < Number(values.seeds); i++)
    seeds.push(byDomain[i % byDomain.length][Math.floor(i / byDomain.length)]);
  const cacheDir = await mkdtemp(join(tmpdir(), 'qcc-bench-boot-'));
  const llama = new boot.LlamaProvider({ modelPath: boot.resolveModelPath(), threads: 1 });
  const provider = new boot.CachedProvider(new boot.GuardedProvider(llama), cacheDir);
  try {
    await llama.complete({ prompt: 'Warm up:', maxTokens: 1, temperature: 0, seed: 0 }); // model load is not measured
    const cold = [];
    for (let r = 0; r < Number(values.reps); r++) {
      cold.push(await runStage(provider, seeds, 1000 + r));
      log(
        `uncached run ${r + 1}: ${cold.at(-1).queries.length} queries, ${cold.at(-1).calls} calls, ${cold.at(-1).seconds.toFixed(1)} s`,
      );
    }
    const warm = [];
    for (let r = 0; r < Math.max(5, Number(values.reps)); r++) warm.push(await runStage(provider, seeds, 1000));
    const q = quality(
      cold.flatMap(c => c.queries),
      seeds.length * cold.length,
    );
    return {
      model: llama.model,
      threads: 1,
      seeds: seeds.length,
      reps: cold.length,
      uncached: {
        queries_per_s: median(cold.map(c => c.qps)),
        completion_tokens_per_s: median(cold.map(c => c.completion_tps)),
        tokens_per_s: median(cold.map(c => c.total_tps)),
        seconds_per_call: median(cold.map(c => c.seconds / c.calls)),
      },
      cached: { queries_per_s: median(warm.map(c => c.qps)), model_calls: warm.reduce((a, c) => a + c.calls, 0) },
      cache_speedup: Number((median(warm.map(c => c.qps)) / median(cold.map(c => c.qps))).toFixed(0)),
      quality: q,
    };
  } finally {
    await provider.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

const result = values.run ? await analyseRun(values.run) : await benchModel();
if (values.json) console.log(JSON.stringify(result));
else console.log(JSON.stringify(result, null, 2));
