#!/usr/bin/env node
// The held-out relevance table (docs/relevance-eval.md): for each corpus × part × mode, a fresh pipeline run
// (`qcc run`, config/eval/<corpus>[-seed-only].yaml, into out/eval/<corpus>-<part>-<mode>), then `qcc eval domain`
// against the part's labels; prints one Markdown table of seed-only and full-loop P / R per domain, a table of the
// runs (wall time, model calls, what each removal rule dropped) and optionally all of it as JSON. The LLM cache
// (cache_dir, default out/.cache) is shared by all runs, so a rerun makes no model calls.
//
//   node scripts/bench/relevance-corpora.mjs [--corpus 20news,bbc,abc,brown] [--part dev|val|both] \
//     [--mode full,seed-only] [--set key=value ...] [--jobs 1|2] [--reuse] [--dry-run] [--json results.json]
//
// Needs the corpora (node scripts/relevance/prepare-corpora.mjs) and a build (npx tsc -p tsconfig.json).
// --set applies a config key (dots for nesting, value read as YAML) to the runs of both modes, except keys under
// bootstrap. and relevance., which only the full loop has. --reuse evaluates a finished version in the run folder
// instead of running again (the default removes the run folder first, so code changes are measured). --dry-run
// prints each run's command and (with --set) its derived config, checked by the pipeline's config loader.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const repo = resolve(new URL('../..', import.meta.url).pathname);

/** Per corpus: its configs' base name and which label is on-domain for each of its seeds' domains. */
const EVAL_CORPORA = {
  '20news': {
    positive: { medicine: 'sci.med', space: 'sci.space', electronics: 'sci.electronics', cryptography: 'sci.crypt' },
  },
  bbc: { positive: { sport: 'sport', business: 'business', tech: 'tech', politics: 'politics' } },
  abc: { positive: { science: 'science', rural: 'rural' } },
  brown: { positive: { religion: 'religion', news: 'news', learned: 'learned', hobbies: 'hobbies' } },
};
const MODES = { 'seed-only': '-seed-only', full: '' };

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const list = (name, dflt, known) => {
  const values = arg(name, dflt).split(',').filter(Boolean);
  for (const v of values)
    if (!known.includes(v)) throw new Error(`--${name} ${v}: unknown (one of ${known.join(', ')})`);
  return values;
};
const corpora = list('corpus', Object.keys(EVAL_CORPORA).join(','), Object.keys(EVAL_CORPORA));
const partArg = arg('part', 'dev');
if (!['dev', 'val', 'both'].includes(partArg)) throw new Error(`--part ${partArg}: expected dev, val or both`);
const parts = partArg === 'both' ? ['dev', 'val'] : [partArg];
const modes = list('mode', 'seed-only,full', Object.keys(MODES));
const jobs = Number(arg('jobs', '1'));
if (!(jobs >= 1 && jobs <= 2))
  throw new Error('--jobs: 1 or 2 (the machine is shared; each run can use a core and the model)');
const reuse = args.includes('--reuse');
const dryRun = args.includes('--dry-run');
const jsonOut = arg('json');
const corporaDir = resolve(process.env.QCC_EVAL_CORPORA || join(repo, 'out', 'corpora'));
const cacheDir = resolve(process.env.QCC_CACHE_DIR || join(repo, 'out', '.cache'));
const outRoot = resolve(arg('out', join(repo, 'out', 'eval')));
const sets = [];
args.forEach((a, i) => {
  if (a !== '--set') return;
  const spec = args[i + 1] ?? '';
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--set ${spec}: expected key=value, e.g. relevance.classifier.method=logistic`);
  sets.push([spec.slice(0, eq), parseYaml(spec.slice(eq + 1))]);
});
const qcc = join(repo, 'bin', 'qcc.js');
if (!existsSync(join(repo, 'dist', 'pipeline', 'cli.js')))
  throw new Error('no build: run npx tsc -p tsconfig.json first');

// Config keys that hold paths, resolved against the config's folder when a --set config is written elsewhere.
const PATH_KEYS = [
  'out',
  'cache_dir',
  'seeds.files.*',
  'ingest.warc.*',
  'ingest.corpora.*.path',
  'bootstrap.prompt',
  'bootstrap.thought_prompt',
  'bootstrap.model',
  'bootstrap.postprocess.blocklist',
  'bootstrap.thought_parents_by_yield',
];

function absolutize(value, dir) {
  const abs = p => (isAbsolute(p) || p === '' ? p : resolve(dir, p));
  // A value that starts with ${NAME:-default}: that default is the path's root, relative to the config too (a
  // ${...} further in is part of a file name, e.g. the part).
  const lead = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/.exec(value);
  if (!lead) return abs(value);
  return lead[2] === undefined ? value : `\${${lead[1]}:-${abs(lead[2])}}${value.slice(lead[0].length)}`;
}

function mapPaths(node, keys, dir) {
  for (const key of keys) {
    const walk = (obj, path) => {
      if (!obj || typeof obj !== 'object') return;
      const [head, ...rest] = path;
      const targets = head === '*' ? Object.keys(obj) : [head];
      for (const k of targets) {
        if (!(k in obj)) continue;
        if (rest.length === 0) {
          if (typeof obj[k] === 'string') obj[k] = absolutize(obj[k], dir);
        } else walk(obj[k], rest);
      }
    };
    walk(node, key.split('.'));
  }
}

/** The config a run uses: the tracked file, or with --set a copy in the run folder (paths made absolute). */
function configFor(corpus, mode, runDir) {
  const file = join(repo, 'config', 'eval', `${corpus}${MODES[mode]}.yaml`);
  const applicable = sets.filter(([key]) => mode === 'full' || !/^(bootstrap|relevance)\./.test(key));
  if (applicable.length === 0) return file;
  const config = parseYaml(readFileSync(file, 'utf8'));
  mapPaths(config, PATH_KEYS, dirname(file));
  for (const [key, value] of applicable) {
    const path = key.split('.');
    let node = config;
    for (const k of path.slice(0, -1)) {
      if (node[k] === undefined || node[k] === null) node[k] = {};
      if (typeof node[k] !== 'object') throw new Error(`--set ${key}: ${k} is not a mapping in ${file}`);
      node = node[k];
    }
    node[path.at(-1)] = value;
  }
  const derived = join(runDir, 'config.yaml');
  writeFileSync(
    derived,
    `# ${file} with ${applicable.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}\n${stringifyYaml(config)}`,
  );
  return derived;
}

/** Runs a command, its output appended to `log`; resolves with the exit code and the wall time. */
function run(cmd, argv, { env, log }) {
  return new Promise(done => {
    const t0 = process.hrtime.bigint();
    const out = createWriteStream(log, { flags: 'a' });
    const child = spawn(cmd, argv, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', b => {
      stdout += b;
      out.write(b);
    });
    child.stderr.on('data', b => out.write(b));
    child.on('close', (code, signal) => {
      out.end();
      done({ code: code ?? signal, seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout });
    });
  });
}

function latestVersion(datasetDir) {
  if (!existsSync(datasetDir)) return undefined;
  const versions = readdirSync(datasetDir)
    .filter(v => /^v\d{4,}$/.test(v) && existsSync(join(datasetDir, v, 'manifest.json')))
    .sort();
  return versions.length ? join(datasetDir, versions.at(-1)) : undefined;
}

/** Model calls, ingest skips and removals per rule, from a version's manifest. */
function runFacts(manifest) {
  const c = manifest.counts ?? {};
  const all = Object.assign({}, ...Object.values(c));
  // The funnel names every removal rule per step, ingest's skips (short_text, ...) included.
  const removed = {};
  for (const step of manifest.funnel ?? [])
    for (const [rule, n] of Object.entries(step.removed ?? {})) if (n) removed[`${step.step}: ${rule}`] = n;
  const ingest = (manifest.funnel ?? []).find(f => f.step === 'ingest');
  return {
    input_docs: ingest?.in ?? 0,
    model_calls: (all['bootstrap.llm_calls'] ?? 0) + (all['relevance.judge.llm_calls'] ?? 0),
    cache_hits: (all['bootstrap.llm_cache_hits'] ?? 0) + (all['relevance.judge.llm_cache_hits'] ?? 0),
    judgements: all['relevance.judge.pairs'] ?? 0,
    queries: manifest.inputs?.queries?.count ?? 0,
    ingested: all['ingest.docs'] ?? 0,
    published: Object.values(manifest.domains ?? {}).reduce((n, d) => n + d.records, 0),
    removed,
    estimate: manifest.relevance?.estimate ?? null,
  };
}

async function runOne({ corpus, part, mode }) {
  const runDir = join(outRoot, `${corpus}-${part}-${mode}`);
  const labels = join(corporaDir, `${corpus}-${part}.jsonl.gz`);
  if (!existsSync(labels)) throw new Error(`${labels} not found: run node scripts/relevance/prepare-corpora.mjs first`);
  const env = { ...process.env, QCC_EVAL_PART: part, QCC_EVAL_CORPORA: corporaDir, QCC_CACHE_DIR: cacheDir };
  const result = { corpus, part, mode, run_dir: runDir };
  let version = reuse ? findVersion(runDir) : undefined;
  if (dryRun) {
    // The config each run would use, checked by the pipeline's own loader; nothing is run or removed.
    const dir = mkdtempSync(join(tmpdir(), 'qcc-eval-dry-'));
    const config = configFor(corpus, mode, dir);
    const { loadConfig } = await import(join(repo, 'dist', 'pipeline', 'config.js'));
    Object.assign(process.env, { QCC_EVAL_PART: part, QCC_EVAL_CORPORA: corporaDir, QCC_CACHE_DIR: cacheDir });
    const loaded = loadConfig(config, { out: runDir });
    process.stdout.write(
      `${corpus} ${part} ${mode}: qcc run --config ${config} --out ${runDir}\n  dataset ${loaded.datasetDir}, ingests ${loaded.config.ingest.corpora.map(c => c.path).join(', ')}, seeds ${loaded.config.seeds.files.join(', ')}\n`,
    );
    if (config.startsWith(dir)) process.stdout.write(readFileSync(config, 'utf8').replace(/^/gm, '    ') + '\n');
    rmSync(dir, { recursive: true, force: true });
    return { ...result, dry_run: true };
  }
  if (!version) {
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    const config = configFor(corpus, mode, runDir);
    result.config = config;
    process.stderr.write(
      `${corpus} ${part} ${mode}: qcc run --config ${config} --out ${runDir} (log ${join(runDir, 'run.log')})\n`,
    );
    const r = await run(process.execPath, [qcc, 'run', '--config', config, '--out', runDir], {
      env,
      log: join(runDir, 'run.log'),
    });
    result.exit = r.code;
    result.wall_s = Number(r.seconds.toFixed(1));
    if (r.code !== 0) {
      result.error = `qcc run exited ${r.code} (see ${join(runDir, 'run.log')})`;
      process.stderr.write(`${corpus} ${part} ${mode}: ${result.error}\n`);
      return result;
    }
    version = findVersion(runDir);
    if (!version) {
      result.error = `no published version in ${runDir}`;
      return result;
    }
    writeFileSync(
      join(runDir, 'bench-run.json'),
      JSON.stringify({ config, exit: r.code, wall_s: result.wall_s, finished: new Date().toISOString() }) + '\n',
    );
  } else {
    // The wall time of the run that made it, if this bench made it.
    const made = join(runDir, 'bench-run.json');
    result.reused = existsSync(made) ? JSON.parse(readFileSync(made, 'utf8')) : true;
  }
  result.version = version;
  const manifest = JSON.parse(readFileSync(join(version, 'manifest.json'), 'utf8'));
  Object.assign(result, runFacts(manifest));
  const positives = Object.entries(EVAL_CORPORA[corpus].positive).flatMap(([d, l]) => ['--positive', `${d}=${l}`]);
  rmSync(join(runDir, 'eval.log'), { force: true });
  const e = await run(
    process.execPath,
    [qcc, 'eval', 'domain', version, '--labels', labels, '--field', 'label', ...positives, '--json'],
    { env, log: join(runDir, 'eval.log') },
  );
  if (e.code !== 0) {
    result.error = `qcc eval domain exited ${e.code} (see ${join(runDir, 'eval.log')})`;
    return result;
  }
  result.domains = JSON.parse(e.stdout).domains;
  process.stderr.write(
    `${corpus} ${part} ${mode}: done${result.wall_s !== undefined ? ` in ${result.wall_s} s` : ' (reused)'}, ${result.model_calls} model calls, ${result.published} published\n`,
  );
  return result;
}

function findVersion(runDir) {
  if (!existsSync(runDir)) return undefined;
  for (const entry of readdirSync(runDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const v = latestVersion(join(runDir, entry.name));
    if (v) return v;
  }
  return undefined;
}

// Corpora in order, parts, then modes; at most `jobs` runs at a time.
const tasks = corpora.flatMap(corpus => parts.flatMap(part => modes.map(mode => ({ corpus, part, mode }))));
const results = new Array(tasks.length);
let next = 0;
const t0 = Date.now();
await Promise.all(
  Array.from({ length: Math.min(jobs, tasks.length) }, async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await runOne(tasks[i]).catch(err => ({ ...tasks[i], error: err.message }));
    }
  }),
);

if (dryRun) {
  for (const r of results) if (r.error) console.error(`${r.corpus} ${r.part} ${r.mode}: ${r.error}`);
  process.exit(results.some(r => r.error) ? 1 : 0);
}

const f3 = x => (x === null || x === undefined ? '-' : x.toFixed(3));
const stageOf = (r, domain, stage = 'published') =>
  r?.domains?.find(d => d.domain === domain)?.stages.find(s => s.stage === stage);
const find = (corpus, part, mode) => results.find(r => r.corpus === corpus && r.part === part && r.mode === mode);
const pr = s => (s ? `${f3(s.precision)} / ${f3(s.recall)}` : '-');

const lines = [];
lines.push(
  '| corpus | part | domain | label | labelled | seed-only P / R | full P / R | full: classifier P / R | published (seed-only / full) | beats seed-only on P and R |',
);
lines.push('|---|---|---|---|---:|---|---|---|---:|---|');
for (const corpus of corpora) {
  for (const part of parts) {
    const seed = find(corpus, part, 'seed-only');
    const full = find(corpus, part, 'full');
    for (const [domain, label] of Object.entries(EVAL_CORPORA[corpus].positive)) {
      const s = stageOf(seed, domain);
      const f = stageOf(full, domain);
      const total = (full ?? seed)?.domains?.find(d => d.domain === domain)?.total;
      const beats =
        s && f && f.precision !== null && s.precision !== null
          ? f.precision > s.precision && f.recall > s.recall
            ? 'yes'
            : 'no'
          : '-';
      lines.push(
        `| ${corpus} | ${part} | ${domain} | ${label} | ${total ?? '-'} | ${pr(s)} | ${pr(f)} | ${pr(stageOf(full, domain, 'classifier'))} | ${s?.docs ?? '-'} / ${f?.docs ?? '-'} | ${beats} |`,
      );
    }
  }
}
lines.push('');
// The precision each version reports of itself (no labels) against the labelled precision of what it published.
lines.push(
  '| corpus | part | domain | labelled precision | estimated precision (90% interval, judged) | error | judge |',
);
lines.push('|---|---|---|---:|---|---:|---|');
for (const r of results.filter(x => x.mode === 'full' && x.estimate)) {
  for (const domain of Object.keys(EVAL_CORPORA[r.corpus].positive)) {
    const f = stageOf(r, domain);
    const e = r.estimate.domains.find(d => d.domain === domain)?.precision;
    const ok = r.estimate.reliable && e && e.share !== null && f && f.precision !== null;
    const est = ok
      ? `${f3(e.share)} (${f3(e.low)}–${f3(e.high)}, ${e.sample})`
      : `- (${r.estimate.why_unreliable ?? 'none'})`;
    lines.push(
      `| ${r.corpus} | ${r.part} | ${domain} | ${f3(f?.precision)} | ${est} | ${ok ? (e.share - f.precision >= 0 ? '+' : '') + (e.share - f.precision).toFixed(3) : '-'} | ${r.estimate.judge ?? 'llm'} |`,
    );
  }
}
lines.push('');
lines.push(
  '| corpus | part | mode | wall s | model calls (cached) | queries | judgements | input docs | ingested | published | removed (step: rule count) |',
);
lines.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of results) {
  const removed =
    Object.entries(r.removed ?? {})
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '-';
  const wall = r.reused ? `${r.reused.wall_s ?? '-'} (reused)` : (r.wall_s ?? '-');
  lines.push(
    `| ${r.corpus} | ${r.part} | ${r.mode} | ${wall} | ${r.error ? `error: ${r.error}` : `${r.model_calls} (${r.cache_hits})`} | ${r.queries ?? '-'} | ${r.judgements ?? '-'} | ${r.input_docs ?? '-'} | ${r.ingested ?? '-'} | ${r.published ?? '-'} | ${removed} |`,
  );
}
console.log(lines.join('\n'));
console.log(
  `\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s; runs in ${outRoot}; LLM cache ${cacheDir}${sets.length ? `; --set ${sets.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}` : ''}`,
);
if (jsonOut) {
  const settings = {
    corpora,
    parts,
    modes,
    sets: Object.fromEntries(sets),
    cache_dir: cacheDir,
    corpora_dir: corporaDir,
    config_sha: {},
  };
  for (const t of tasks) {
    const file = join(repo, 'config', 'eval', `${t.corpus}${MODES[t.mode]}.yaml`);
    settings.config_sha[`${t.corpus}${MODES[t.mode]}`] = createHash('sha256')
      .update(readFileSync(file))
      .digest('hex')
      .slice(0, 16);
  }
  writeFileSync(jsonOut, JSON.stringify({ settings, runs: results }, null, 1) + '\n');
  console.log(`wrote ${jsonOut}`);
}
if (results.some(r => r.error)) process.exitCode = 1;
