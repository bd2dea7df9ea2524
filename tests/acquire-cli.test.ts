import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerCcCommands } from '../pipeline/commands/cc.js';
import { fromCdxjLine } from '../stages/acquire/index.js';
import { startTestServer, type TestServer } from './acquire-helpers.js';
import { cc, haveSharedData, tempDir } from './helpers.js';

const REMOTE =
  'crawl-data/CC-MAIN-2020-34/segments/1596439738015.38/warc/CC-MAIN-20200808165417-20200808195417-00395.warc.gz';
const LOCAL = cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz');

/** Runs `qcc cc ...` in-process; returns what it printed on stdout. */
async function run(args: string[]): Promise<string> {
  const program = new Command('qcc').exitOverride();
  registerCcCommands(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['node', 'qcc', 'cc', ...args]);
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return out;
}

describe.runIf(haveSharedData())('qcc cc list / download / cdxj / index / fetch', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    server.files.set('crawl-data/CC-MAIN-2024-22/warc.paths.gz', cc('commoncrawl/CC-MAIN-2024-22.warc.paths.gz'));
    server.files.set(REMOTE, LOCAL);
  });
  afterAll(async () => server?.close());

  it('list prints the real listing; --urls --limit 2 the first two as URLs', async () => {
    const out = await run(['list', '--crawl', 'CC-MAIN-2024-22', '--kind', 'warc', '--base-url', server.url]);
    expect(out).toBe(gunzipSync(readFileSync(cc('commoncrawl/CC-MAIN-2024-22.warc.paths.gz'))).toString('utf8'));
    const two = await run(['list', '--crawl', 'CC-MAIN-2024-22', '--base-url', server.url, '--urls', '--limit', '2']);
    expect(two.trim().split('\n')).toEqual(
      out
        .split('\n')
        .slice(0, 2)
        .map(p => `${server.url}${p}`),
    );
  });

  it('download keeps the path under --out, resumes after a 500 and a cut connection', async () => {
    const dir = await tempDir();
    server.faults.set(REMOTE, [
      { kind: 'status', status: 500 },
      { kind: 'cut', bytes: 50_000 },
    ]);
    const out = await run(['download', REMOTE, '--out', dir, '--base-url', server.url, '--backoff-ms', '1']);
    expect(out.trim()).toBe(join(dir, REMOTE));
    expect(readFileSync(join(dir, REMOTE)).equals(readFileSync(LOCAL))).toBe(true);
  });

  it('cdxj → index → fetch: the documents of the sample, fetched record by record', async () => {
    const dir = await tempDir();
    const lines = (await run(['cdxj', LOCAL, '--prefix', REMOTE.replace(/[^/]+$/, '')])).trim().split('\n');
    expect(lines).toHaveLength(16);
    const records = lines.map(fromCdxjLine).map(r => ({ ...r, filename: REMOTE }));
    server.index.set('CC-MAIN-2020-34', records);
    const index = await run([
      'index',
      '--crawl',
      'CC-MAIN-2020-34',
      '--url',
      '*.ru',
      '--filter',
      '=status:200',
      '--index-url',
      server.url,
    ]);
    const hits = index
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every(h => h.urlkey.startsWith('ru,') && h.status === '200')).toBe(true);
    const cdxFile = join(dir, 'hits.jsonl');
    await writeFile(cdxFile, index);
    const docs = join(dir, 'docs.jsonl.gz');
    await run(['fetch', cdxFile, '--out', docs, '--base-url', server.url, '--min-text-chars', '0']);
    const got = gunzipSync(readFileSync(docs))
      .toString('utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    expect(got.map(d => d.url).sort()).toEqual(hits.map(h => h.url).sort());
    expect(
      got.every(d => d.source.warc_file === REMOTE && d.source.crawl === 'CC-MAIN-2020-34' && d.text.length > 0),
    ).toBe(true);
  });

  it('bad usage names the option', async () => {
    await expect(run(['list', '--crawl', 'nope', '--base-url', server.url])).rejects.toThrow(/--crawl "nope"/);
    await expect(run(['fetch', '/no/such.jsonl', '--out', '/tmp/x.jsonl.gz'])).rejects.toThrow(/no\/such\.jsonl/);
  });
});
