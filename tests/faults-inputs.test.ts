/**
 * Issue 16, the input rows: every stream and external input has a size cap with a clear, counted
 * error; names from input that become paths are validated; bad configs say everything wrong at once.
 * The bombs are built here from real data, streamed through gzip (a few hundred MB inflate from
 * under 1 MB on disk), and read by a child `qcc` process whose peak RSS is measured.
 *   F4  a gzip member of zeros, a WARC header line that never ends
 *   F10 a corpus line of 600 MB
 *   F13 a 100 KB and a 10 MB WARC-Target-URI
 *   F14 an empty .warc.gz
 *   F3  a seed domain "../../../../escape" (validation when seeds are read)
 *   F8  dataset "." and ".."
 *   F15 several config errors; ${VAR} for a number
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../pipeline/config.js';
import type { Doc, Logger } from '../core/types.js';
import { testContext } from './stage-context.js';
import { ingestConfigSchema, readArchive, type IngestConfigInput } from '../stages/ingest/index.js';
import { readAllSeeds, SeedError } from '../stages/seeds/index.js';
import { realResponses } from './warc-helpers.js';
import { cc, haveSharedData, newsCorpus, qcc, repo, tempDir } from './helpers.js';

const CC2020 = cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz');
const SAMPLE1 = cc('other/sample-0001.warc.gz');
const MB = 1 << 20;
/** Inflated size of each bomb: the old code held all of it (and more) in memory, 1.4 GB peak for 600 MB. */
const BOMB_BYTES = 600 * MB;
const RSS_LIMIT_KB = 1024 * 1024;

/** Streams `head`, then `fill` repeated to `bytes`, then `tail` through gzip (level 9) into one member at the end of `file`. */
async function appendGzipMember(
  file: string,
  head: Buffer,
  fill: Buffer,
  bytes: number,
  tail: Buffer = Buffer.alloc(0),
): Promise<void> {
  const gz = createGzip({ level: 9 });
  const out = createWriteStream(file, { flags: 'a' });
  gz.pipe(out);
  gz.write(head);
  const chunk = Buffer.alloc(4 * MB, fill);
  for (let done = 0; done < bytes; done += chunk.length) {
    if (!gz.write(chunk)) await new Promise(ok => gz.once('drain', ok));
  }
  gz.end(tail);
  await finished(out);
}

/** Runs node with a script (ESM) in a child; returns its exit code, stderr and peak RSS (KB). */
function child(
  args: string[],
  script?: string,
): Promise<{ code: number | null; stdout: string; stderr: string; maxRssKb: number }> {
  const runner =
    script ??
    `const { main } = await import(${JSON.stringify(join(repo, 'dist', 'pipeline', 'cli.js'))});
process.exitCode = await main(['node', 'qcc', ...process.argv.slice(1)]);`;
  const full = `${runner}\nprocess.on('exit', () => process.stderr.write('\\nmaxrss_kb=' + process.resourceUsage().maxRSS + '\\n'));`;
  return new Promise(resolve => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', full, ...args], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', d => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', d => (stderr += d));
    p.on('close', code => {
      const rss = /maxrss_kb=(\d+)/.exec(stderr);
      resolve({ code, stdout, stderr: stderr.replace(/\nmaxrss_kb=\d+\n/, ''), maxRssKb: rss ? Number(rss[1]) : NaN });
    });
  });
}

function noStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  expect(stderr).not.toMatch(/RangeError|ERR_STRING_TOO_LONG|Invalid string length/);
}

async function read(file: string, config: IngestConfigInput = {}) {
  const warnings: string[] = [];
  const log: Logger = { info() {}, warn: m => void warnings.push(m), error() {} };
  const ctx = { ...testContext(ingestConfigSchema.parse(config)), log };
  const docs: Doc[] = [];
  let error: unknown;
  try {
    for await (const d of readArchive(file, ctx)) docs.push(d);
  } catch (e) {
    error = e;
  }
  return { docs, error, warnings, counters: ctx.counters.toJSON() as Record<string, number> };
}

const member = (head: string, block: Buffer) =>
  gzipSync(Buffer.concat([Buffer.from(head + '\r\n\r\n', 'utf8'), block, Buffer.from('\r\n\r\n')]));

describe.runIf(haveSharedData())('F4: gzip bombs and endless WARC header lines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('qcc-f4-');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('a bare .warc.gz of 600 MB of zeros: header_too_long at offset 0, counted under skip, named under fail; peak RSS < 1 GB', async () => {
    const file = join(dir, 'zeros.warc.gz');
    await appendGzipMember(file, Buffer.alloc(0), Buffer.from([0]), BOMB_BYTES);
    expect(readFileSync(file).length).toBeLessThan(MB);
    const out = join(dir, 'zeros.jsonl.gz');

    const skip = await child(['ingest', file, '--out', out, '--on-error', 'skip']);
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stderr).toContain(
      `${file}: WARC header longer than 1048576 bytes (no end of line or of header block) at offset 0`,
    );
    expect(skip.stderr).toContain('"ingest.errors.header_too_long":1');
    expect(skip.maxRssKb).toBeLessThan(RSS_LIMIT_KB);
    noStackTrace(skip.stderr);
    expect(gunzipSync(readFileSync(out)).length).toBe(0);

    const fail = await child(['ingest', file, '--out', out]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain(`qcc: ${file}: WARC header longer than 1048576 bytes`);
    expect(fail.maxRssKb).toBeLessThan(RSS_LIMIT_KB);
    noStackTrace(fail.stderr);
  });

  it('a header line that never ends, between real records: skipped and counted with its offset; the real records around it intact', async () => {
    const before = readFileSync(SAMPLE1);
    const after = readFileSync(CC2020);
    const file = join(dir, 'endless-line.warc.gz');
    await writeFile(file, before);
    const head = Buffer.from('WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://example.org/', 'latin1');
    await appendGzipMember(file, head, Buffer.from('a'), BOMB_BYTES);
    const bombAt = before.length;
    await writeFile(file, after, { flag: 'a' });
    expect(readFileSync(file).length - before.length - after.length).toBeLessThan(MB);

    const out = join(dir, 'endless-line.jsonl.gz');
    const skip = await child(['ingest', file, '--out', out, '--on-error', 'skip']);
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stderr).toContain(
      `${file}: WARC header longer than 1048576 bytes (no end of line or of header block) at offset ${bombAt}`,
    );
    expect(skip.stderr).toContain('"ingest.errors.header_too_long":1');
    expect(skip.maxRssKb).toBeLessThan(RSS_LIMIT_KB);
    noStackTrace(skip.stderr);
    const docs = gunzipSync(readFileSync(out))
      .toString('utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as Doc);
    const expected = [...(await read(SAMPLE1)).docs, ...(await read(CC2020)).docs];
    expect(expected.length).toBeGreaterThan(10);
    expect(docs.map(d => [d.id, d.text])).toEqual(expected.map(d => [d.id, d.text]));
    // The records after the bomb keep offsets that point at them in this file.
    const last = docs[docs.length - 1]!.source as { offset: number };
    expect(last.offset).toBeGreaterThan(bombAt);
  });

  it('the same cap on the warcio path and in the fast member reader (in process)', async () => {
    const file = join(dir, 'endless-small.warc.gz');
    await writeFile(file, readFileSync(SAMPLE1));
    const at = readFileSync(SAMPLE1).length;
    await appendGzipMember(
      file,
      Buffer.from('WARC/1.0\r\nWARC-Type: response\r\nX-Long: ', 'latin1'),
      Buffer.from('b'),
      3 * MB,
      Buffer.from('\r\n\r\n'),
    );
    const skip = await read(file, { on_error: 'skip' });
    expect(skip.counters['ingest.errors.header_too_long']).toBe(1);
    expect(skip.warnings).toContain(
      `${file}: WARC header longer than 1048576 bytes (no end of line or of header block) at offset ${at}`,
    );
    expect(skip.docs.map(d => d.id)).toEqual((await read(SAMPLE1)).docs.map(d => d.id));
  });
});

describe.runIf(haveSharedData())('F10: a corpus line of 600 MB', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('qcc-f10-');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('line_too_long names file and line; skip reads the real lines around it; peak RSS < 1 GB; no stack trace', async () => {
    const real = gunzipSync(readFileSync(newsCorpus))
      .toString('utf8')
      .split('\n')
      .filter(l => l.trim());
    const headLines = real.slice(0, 20).join('\n') + '\n';
    const tailLines = real.slice(20, 40).join('\n') + '\n';
    const file = join(dir, 'huge-line.jsonl.gz');
    await appendGzipMember(
      file,
      Buffer.from(headLines + '{"id":"huge","label":"x","text":"'),
      Buffer.from('a'),
      BOMB_BYTES,
      Buffer.from('"}\n' + tailLines),
    );
    expect(readFileSync(file).length).toBeLessThan(2 * MB);

    const script = (onError: string) => `
const { readCorpus } = await import(${JSON.stringify(join(repo, 'dist', 'stages', 'ingest', 'corpus.js'))});
const { ingestConfigSchema } = await import(${JSON.stringify(join(repo, 'dist', 'stages', 'ingest', 'config.js'))});
const { Counters } = await import(${JSON.stringify(join(repo, 'dist', 'core', 'types.js'))});
const warnings = [];
const ctx = { config: ingestConfigSchema.parse({ on_error: '${onError}', min_text_chars: 0 }), counters: new Counters(),
  log: { info() {}, error() {}, warn: (m) => warnings.push(m) }, signal: new AbortController().signal };
const ids = [];
try {
  for await (const d of readCorpus({ path: process.argv[1] }, ctx)) ids.push(d.source.original_id);
  console.log(JSON.stringify({ ids, warnings, counters: ctx.counters.toJSON() }));
} catch (e) {
  console.log(JSON.stringify({ ids, error: e.message, kind: e.kind, line: e.line }));
}`;
    const skip = await child([file], script('skip'));
    expect(skip.code, skip.stderr).toBe(0);
    const s = JSON.parse(skip.stdout) as { ids: string[]; warnings: string[]; counters: Record<string, number> };
    const realIds = real.slice(0, 40).map(l => String((JSON.parse(l) as { id: unknown }).id));
    expect(s.ids).toEqual(realIds);
    expect(s.counters['ingest.errors.line_too_long']).toBe(1);
    expect(s.warnings).toEqual([`${file}: line 21: longer than 20971520 bytes (4 x ingest.max_page_bytes)`]);
    expect(skip.maxRssKb).toBeLessThan(RSS_LIMIT_KB);
    noStackTrace(skip.stderr);

    const fail = await child([file], script('fail'));
    const f = JSON.parse(fail.stdout) as { ids: string[]; error: string; kind: string; line: number };
    expect(f).toEqual({
      ids: realIds.slice(0, 20),
      error: `${file}: line 21: longer than 20971520 bytes (4 x ingest.max_page_bytes)`,
      kind: 'line_too_long',
      line: 21,
    });
    expect(fail.maxRssKb).toBeLessThan(RSS_LIMIT_KB);
    noStackTrace(fail.stderr);
  });
});

describe.runIf(haveSharedData())('F13: WARC-Target-URI of 100 KB and 10 MB on real records', () => {
  it('100 KB: skipped as url_too_long; 10 MB: header_too_long at its offset; neighbours intact', async () => {
    const dir = await tempDir('qcc-f13-');
    try {
      const records = await realResponses(CC2020);
      const plain = records.map(r => member(r.head, r.block));
      const alone = join(dir, 'alone.warc.gz');
      await writeFile(alone, Buffer.concat(plain));
      const base = await read(alone);
      expect(base.docs.length).toBeGreaterThan(5);
      // The first record that gives a document, with its URI made long.
      const victim = base.docs[0]!;
      const index = records.findIndex(r => r.head.includes(victim.url!));
      const longUri = (chars: number) => `${victim.url}?q=${'x'.repeat(chars)}`;
      const withUri = (uri: string) =>
        member(
          records[index]!.head.replace(/^WARC-Target-URI: .*$/m, `WARC-Target-URI: ${uri}`),
          records[index]!.block,
        );

      const file = join(dir, 'long-urls.warc.gz');
      const parts = [...plain];
      parts.splice(index, 1, withUri(longUri(100 * 1024)));
      await writeFile(file, Buffer.concat(parts));
      const r100k = await read(file);
      expect(r100k.error).toBeUndefined();
      expect(r100k.counters['ingest.skipped.url_too_long']).toBe(1);
      expect(r100k.docs.map(d => d.id)).toEqual(base.docs.slice(1).map(d => d.id));
      for (const d of r100k.docs) expect(d.url!.length).toBeLessThanOrEqual(8 * 1024);

      parts.splice(index, 1, withUri(longUri(10 * MB)));
      await writeFile(file, Buffer.concat(parts));
      const at = plain.slice(0, index).reduce((n, b) => n + b.length, 0);
      const r10m = await read(file, { on_error: 'skip' });
      expect(r10m.counters['ingest.errors.header_too_long']).toBe(1);
      expect(r10m.warnings[0]).toBe(
        `${file}: WARC header longer than 1048576 bytes (no end of line or of header block) at offset ${at}`,
      );
      expect(r10m.docs.map(d => d.id)).toEqual(base.docs.slice(1).map(d => d.id));
      const failed = await read(file);
      expect(String(failed.error)).toContain(`${file}: WARC header longer than 1048576 bytes`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(haveSharedData())('F14: an empty .warc.gz', () => {
  it('a 0-byte file and an empty gzip member: 0 documents, a warning naming the file, ingest.empty_files', async () => {
    const dir = await tempDir('qcc-f14-');
    try {
      const zero = join(dir, 'zero.warc.gz');
      const emptyGzip = join(dir, 'empty-member.warc.gz');
      await writeFile(zero, '');
      await writeFile(emptyGzip, gzipSync(Buffer.alloc(0)));
      for (const file of [zero, emptyGzip]) {
        const r = await read(file);
        expect(r.docs).toEqual([]);
        expect(r.error).toBeUndefined();
        expect(r.counters['ingest.empty_files']).toBe(1);
        expect(r.warnings).toEqual([`${file}: no WARC records in ${file === zero ? 'an empty file' : '20 bytes'}`]);
      }
      const out = join(dir, 'o.jsonl.gz');
      const cli = await qcc(['ingest', zero, SAMPLE1, '--out', out]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stderr).toContain(`${zero}: no WARC records in an empty file`);
      expect(cli.stderr).toContain('"ingest.empty_files":1');
      // A real file is not empty, and a damaged one says what is wrong instead.
      expect((await read(SAMPLE1)).counters['ingest.empty_files']).toBeUndefined();
      expect(
        (await read(cc('malformed/clipped.warc.gz'), { on_error: 'skip' })).counters['ingest.empty_files'],
      ).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(haveSharedData())('F3 and F8: names that become paths', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('qcc-names-');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const config = (dataset: string, seeds: string) => `dataset: ${JSON.stringify(dataset)}
seeds: { files: [${seeds}] }
bootstrap: { provider: none }
ingest:
  warc: [${SAMPLE1}]
`;

  it('F3: a seed domain "../../../../escape" is refused when seeds are read, naming file, row and value', async () => {
    const seeds = join(dir, 'seeds.csv');
    await writeFile(seeds, 'domain,type,text\nmedicine,keyword,migraine\n../../../../escape,keyword,asthma\n');
    const err = await readAllSeeds([seeds]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SeedError);
    expect((err as SeedError).message).toMatch(
      new RegExp(
        `^${seeds.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} row 2 field 'domain': "\\.\\./\\.\\./\\.\\./\\.\\./escape" is not a safe name`,
      ),
    );
    for (const bad of ['.', '..', 'a/b', 'a\\b', 'med school', 'x'.repeat(65), '-x']) {
      const f = join(dir, `bad-${Buffer.from(bad).toString('hex').slice(0, 16)}.jsonl`);
      await writeFile(f, JSON.stringify({ domain: bad, text: 'asthma in children' }) + '\n');
      await expect(readAllSeeds([f])).rejects.toThrow(/field 'domain': .* is not a safe name/);
    }
    // Names as the shipped seed files use them still read.
    const good = join(dir, 'good.jsonl');
    await writeFile(
      good,
      ['social-sciences', 'stem', 'Medicine_2', 'a.b'].map(d => JSON.stringify({ domain: d, text: 'x y' })).join('\n'),
    );
    expect((await readAllSeeds([good])).map(s => s.domain)).toEqual(['social-sciences', 'stem', 'Medicine_2', 'a.b']);

    // Through `qcc run`: exit 1, the message, nothing written outside the output folder.
    const work = join(dir, 'deep', 'a', 'b', 'c');
    await mkdir(work, { recursive: true });
    const file = join(work, 'run.yaml');
    await writeFile(file, config('names', seeds));
    const run = await qcc(['run', '--config', file, '--out', join(work, 'out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${seeds} row 2 field 'domain': "../../../../escape" is not a safe name`);
    noStackTrace(run.stderr);
    expect(existsSync(join(work, 'out', 'escape'))).toBe(false);
    expect(existsSync(join(dir, 'escape'))).toBe(false);
  });

  it('F8: dataset "." and ".." are config errors naming the key, before anything is written', async () => {
    const seeds = join(dir, 'ok-seeds.csv');
    await writeFile(seeds, 'domain,type,text\nmedicine,keyword,migraine\n');
    for (const dataset of ['.', '..', '../up', '']) {
      const file = join(dir, `dataset-${dataset.length}-${dataset.includes('/') ? 's' : 'n'}.yaml`);
      await writeFile(file, config(dataset, seeds));
      expect(() => loadConfig(file)).toThrow(ConfigError);
      expect(() => loadConfig(file)).toThrow(
        new RegExp(
          `key \`dataset\`: ${JSON.stringify(dataset).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a safe name`,
        ),
      );
      if (dataset !== '..') continue;
      // Through `qcc run` (once: each run starts a process): exit 1 with the key, no output folder made.
      const out = join(dir, 'out-dotdot');
      const run = await qcc(['run', '--config', file, '--out', out]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('key `dataset`: ".." is not a safe name');
      noStackTrace(run.stderr);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('F15: config problems, all of them; ${VAR} for a number', () => {
  async function configFile(body: string): Promise<string> {
    const dir = await tempDir('qcc-f15-');
    await writeFile(join(dir, 'seeds.csv'), 'domain,type,text\nmedicine,keyword,migraine\n');
    await writeFile(join(dir, 'docs.jsonl'), '{"id":"1","text":"hello"}\n');
    const file = join(dir, 'run.yaml');
    await writeFile(file, body);
    return file;
  }

  it('several errors: every one named with its key path, one line each', async () => {
    const file = await configFile(`dataset: t
seeds: { files: [seeds.csv], seeds_per_shard: 0 }
bootstrap: { provider: none, temperature: hot }
retrieve: { top_k: -3, colour: blue }
ingest:
  corpora: [{ path: docs.jsonl }]
`);
    let err: ConfigError | undefined;
    try {
      loadConfig(file);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const keys = err!.problems.map(p => p.key).sort();
    expect(keys).toEqual(['bootstrap.temperature', 'retrieve.colour', 'retrieve.top_k', 'seeds.seeds_per_shard']);
    const lines = err!.message.split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line.startsWith(`${file}: key \``)).toBe(true);
    expect(err!.message).toMatch(/key `retrieve\.colour`: unknown key/);
  });

  it('${VAR} standing alone satisfies a number field; inside a string, or for a string field, it stays text', async () => {
    process.env.QCC_TEST_TOP_K = '7';
    process.env.QCC_TEST_DATASET = '2024';
    try {
      const file = await configFile(`dataset: \${QCC_TEST_DATASET}
seeds: { files: [seeds.csv] }
bootstrap:
  provider: none
  temperature: "\${QCC_TEST_TEMP:-0.5}"
retrieve:
  top_k: \${QCC_TEST_TOP_K}
ingest:
  corpora: [{ path: docs.jsonl }]
`);
      const { config } = loadConfig(file);
      expect(config.retrieve.top_k).toBe(7);
      expect(config.bootstrap.temperature).toBe(0.5);
      expect(config.dataset).toBe('2024');

      const bad = await configFile(`dataset: t
seeds: { files: [seeds.csv] }
bootstrap: { provider: none }
retrieve: { top_k: "k\${QCC_TEST_TOP_K}" }
ingest:
  corpora: [{ path: docs.jsonl }]
`);
      expect(() => loadConfig(bad)).toThrow(/key `retrieve\.top_k`: .*expected number/);
      process.env.QCC_TEST_TOP_K = 'seven';
      expect(() => loadConfig(file)).toThrow(/key `retrieve\.top_k`: .*expected number/);
    } finally {
      delete process.env.QCC_TEST_TOP_K;
      delete process.env.QCC_TEST_DATASET;
    }
  });
});
