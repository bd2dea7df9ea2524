import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllJsonl } from '../core/jsonl.js';
import { type Doc, silentLogger } from '../core/types.js';
import { openRun } from '../pipeline/run.js';
import { finalQueriesFile } from '../pipeline/steps/bootstrap-finalise.js';
import { cc, haveSharedData, qcc, repo, sharedData, tempDir } from './helpers.js';

/** Packages that only running a command may load: the model runtime, the S3 SDK, SQLite, Elasticsearch, extraction, language id, schemas. */
const HEAVY = [
  'node-llama-cpp',
  '@aws-sdk',
  '@photostructure/sqlite',
  '@elastic',
  'htmlparser2',
  'eld',
  'gpt-tokenizer',
  'zod',
  'warcio',
  'openai',
  'yaml',
];

describe('qcc --help', () => {
  it('every command has help', async () => {
    const commands = [
      [],
      ['run'],
      ['status'],
      ['plan'],
      ['ingest'],
      ['extract'],
      ['search'],
      ['report'],
      ['diff'],
      ['inspect'],
      ['read'],
      ['eval'],
      ['crawls'],
      ['unlock'],
      ['cc'],
      ['cc', 'fetch'],
    ];
    // In parallel: each is a short process now that help loads no action module.
    const results = await Promise.all(commands.map(cmd => qcc([...cmd, '--help'])));
    results.forEach((r, i) => {
      expect(r.code, commands[i]!.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: qcc/);
    });
    const version = await qcc(['--version']);
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
  it("--help, --version and a command's help load no heavy package (the actions import them when they run)", async () => {
    const dir = await tempDir();
    const log = join(dir, 'resolved.txt');
    const hooks = join(dir, 'hooks.mjs');
    await writeFile(
      hooks,
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(spec, ctx, next) { const r = await next(spec, ctx); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
    );
    const register = join(dir, 'register.mjs');
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    for (const args of [['--help'], ['--version'], ['run', '--help'], ['cc', 'fetch', '--help']]) {
      await writeFile(log, '');
      const r = spawnSync(process.execPath, ['--import', register, join(repo, 'bin', 'qcc.js'), ...args], {
        cwd: repo,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const loaded = readFileSync(log, 'utf8')
        .split('\n')
        .filter(u => u.includes('/node_modules/'));
      expect(loaded.length, 'the hook saw commander').toBeGreaterThan(0);
      expect(
        loaded.filter(u => HEAVY.some(p => u.includes(`/node_modules/${p}/`) || u.includes(`/node_modules/${p}`))),
        args.join(' '),
      ).toEqual([]);
    }
    // The same hook does see them when a command runs.
    await writeFile(log, '');
    const r = spawnSync(
      process.execPath,
      ['--import', register, join(repo, 'bin', 'qcc.js'), 'extract', join(repo, 'package.json')],
      { cwd: repo, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('/node_modules/eld/');
  });
  it('an unknown command exits non-zero', async () => {
    const r = await qcc(['frobnicate']);
    expect(r.code).not.toBe(0);
  });
});

describe.runIf(haveSharedData())('qcc tools on real files', () => {
  const pages = join(sharedData, 'extraction', 'mozilla-readability-test-pages');

  it('extract: one page prints its main text; several print one JSON line each', async () => {
    const names = readdirSync(pages).sort().slice(0, 3);
    const one = await qcc(['extract', join(pages, names[0]!, 'source.html')]);
    expect(one.code, one.stderr).toBe(0);
    // Most words of Readability's approved main text are in ours.
    const expected = readFileSync(join(pages, names[0]!, 'expected.html'), 'utf8').replace(/<[^>]+>/g, ' ');
    const words = (t: string) => t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const ours = new Set(words(one.stdout));
    const wanted = words(expected);
    expect(wanted.filter(w => ours.has(w)).length / wanted.length).toBeGreaterThan(0.9);
    const many = await qcc(['extract', ...names.map(n => join(pages, n, 'source.html'))]);
    const lines = many.stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as { file: string; text: string });
    expect(lines.map(l => l.file)).toEqual(names.map(n => join(pages, n, 'source.html')));
    expect(lines[0]!.text).toBe(one.stdout.replace(/\n$/, ''));
  });

  it('ingest: archive files to a gzip JSONL of documents with provenance', async () => {
    const out = join(await tempDir(), 'docs.jsonl.gz');
    const r = await qcc([
      'ingest',
      cc('other/sample-0000.warc.gz'),
      cc('commoncrawl/whirlwind.warc.wet.gz'),
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const docs = await readAllJsonl<Doc>(out);
    expect(docs.length).toBeGreaterThan(5);
    for (const d of docs) {
      expect(d.source.kind === 'corpus' ? '' : d.source.warc_file).toMatch(/\.warc(\.wet)?\.gz$/);
      expect(d.text.length).toBeGreaterThan(0);
    }
  });

  it('ingest: a truncated file fails, names the file, and leaves no output', async () => {
    const out = join(await tempDir(), 'docs.jsonl.gz');
    const r = await qcc(['ingest', cc('malformed/clipped.warc.gz'), '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('clipped.warc.gz');
    expect(existsSync(out)).toBe(false);
  });
});

describe.runIf(haveSharedData())('plan, status and search on a run', () => {
  let config: string;
  let out: string;
  beforeAll(async () => {
    const dir = await tempDir();
    out = join(dir, 'out');
    config = join(dir, 'small.yaml');
    await writeFile(
      config,
      `dataset: small
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}], seeds_per_shard: 12 }
bootstrap: { provider: none }
ingest: { warc: [${cc('other')}] }
`,
    );
  });

  it('plan lists the shards before anything runs, and writes nothing', async () => {
    const r = await qcc(['plan', '--config', config, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bootstrap\s+0 \/ 2 shards done/);
    expect(r.stdout).toMatch(/pending archive-00000-clueweb-quirk\.warc\.gz/);
    expect(r.stdout).toMatch(/bootstrap_finalise\s+0 \/ 1 shards done/);
    expect(r.stdout).toMatch(/retrieve\s+0 \/ \? \(after bootstrap_finalise, index\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('status after a run shows every stage done; search finds documents with the query terms', async () => {
    const run = await qcc(['run', '--config', config, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const status = await qcc(['status', '--config', config, '--out', out, '--json']);
    const report = JSON.parse(status.stdout) as {
      steps: { name: string; shards_total: number; shards_done: number }[];
      latest: string;
    };
    expect(report.latest).toBe('v0001');
    for (const s of report.steps) expect(s.shards_done, s.name).toBe(s.shards_total);
    // A published run counts the inputs it ingested and indexed (not `0 / 0`), beside its document counters.
    const byName = Object.fromEntries(report.steps.map(s => [s.name, s]));
    expect(byName.ingest!.shards_total).toBe(readdirSync(cc('other')).filter(f => f.endsWith('.warc.gz')).length);
    expect(byName.index!.shards_total).toBe(byName.ingest!.shards_total);
    // Text: one column for step names and counts; no log line on stderr for a read-only command.
    for (const command of ['status', 'plan']) {
      const text = await qcc([command, '--config', config, '--out', out]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stderr, command).toBe('');
      const rows = text.stdout.split('\n').filter(l => / shards done$/.test(l));
      expect(rows.length).toBe(report.steps.length);
      expect(new Set(rows.map(l => l.indexOf(' / '))).size, rows.join('\n')).toBe(1);
      expect(text.stdout).toMatch(
        new RegExp(`^ingest\\s+${byName.ingest!.shards_total} / ${byName.ingest!.shards_total} shards done$`, 'm'),
      );
    }
    const search = await qcc(['search', '--config', config, '--out', out, 'climate science research', '-k', '3']);
    expect(search.code, search.stderr).toBe(0);
    expect(search.stderr).toBe('');
    const hits = search.stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as { rank: number; snippet: string; url: string });
    expect(hits.map(h => h.rank)).toEqual([1, 2, 3]);
    for (const h of hits) expect(h.url).toMatch(/^https?:/);
  });
});

describe.runIf(haveSharedData())('status and plan between bootstrap and its finalisation', () => {
  it('write nothing, the steps after it say the queries are missing, and the next run resumes', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out');
    const config = join(dir, 'halfway.yaml');
    await writeFile(
      config,
      `dataset: halfway
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}], seeds_per_shard: 12 }
bootstrap: { provider: none }
ingest: { warc: [${cc('other')}] }
`,
    );
    for (const stage of ['bootstrap', 'index']) {
      const r = await qcc(['run', '--config', config, '--out', out, '--stage', stage]);
      expect(r.code, r.stderr).toBe(0);
    }
    const runs = readdirSync(join(out, 'halfway', '.work'));
    expect(runs).toHaveLength(1);
    const work = join(out, 'halfway', '.work', runs[0]!);
    const queries = join(work, 'queries.jsonl');
    const written = readFileSync(queries, 'utf8'); // --stage bootstrap includes the finalisation
    expect(written.trim().split('\n').length).toBeGreaterThan(10);
    // A run killed after the bootstrap shards and before bootstrap_finalise committed its shard.
    for (const path of ['queries.jsonl', 'queries.removed.jsonl', 'queries.stats.json', 'state/bootstrap_finalise'])
      rmSync(join(work, path), { recursive: true });
    const before = listTree(out);
    for (const command of ['status', 'plan']) {
      const r = await qcc([command, '--config', config, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^bootstrap\s+2 \/ 2 shards done$/m);
      expect(r.stdout).toMatch(/^bootstrap_finalise\s+0 \/ 1 shards done$/m);
      expect(r.stdout).toMatch(/^retrieve\s+0 \/ \? \(after bootstrap_finalise, index\)/m);
    }
    expect(existsSync(queries)).toBe(false);
    expect(listTree(out)).toEqual(before);

    const ctx = await openRun(config, out, silentLogger);
    expect(() => finalQueriesFile(ctx)).toThrow(
      `${queries} is not written yet: step bootstrap_finalise has not run (\`qcc run --stage bootstrap\` runs it)`,
    );

    const resumed = await qcc(['run', '--config', config, '--out', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/published v0001/);
    expect(readFileSync(queries, 'utf8')).toBe(written);
  }, 300_000);
});

/** Every path under `dir`, sorted. */
function listTree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}
