import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../stages/write/manifest.js';
import { readAllJsonl } from '../core/jsonl.js';
import { cc, haveSharedData, newsCorpus, qcc, repo, startQcc, tempDir } from './helpers.js';

/** A run without the model (seeds are the queries) so the test is about the runner, with many small shards. */
async function writeConfig(dir: string, retrieve = 'retrieve: { top_k: 15, queries_per_shard: 2 }'): Promise<string> {
  const file = join(dir, `resume-${retrieve.includes('stream') ? 'stream' : 'index'}.yaml`);
  await writeFile(
    file,
    `dataset: resume
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}], seeds_per_shard: 3 }
bootstrap: { provider: none }
ingest:
  warc:
    - ${cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz')}
    - ${cc('other/sample-0000.warc.gz')}
    - ${cc('other/sample-0001.warc.gz')}
    - ${cc('other/clueweb-quirk.warc.gz')}
  corpora: [{ path: ${newsCorpus} }]
${retrieve}
write: { records_per_part: 40 }
`,
  );
  return file;
}

/** Starts `qcc run` and SIGKILLs it once `count` shards of `step` are done. */
async function killDuring(config: string, out: string, step: string, count: number): Promise<void> {
  const { child, done } = startQcc(['run', '--config', config, '--out', out]);
  let seen = 0;
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.includes('"shard_done"') && line.includes(`"step":"${step}"`) && ++seen === count) child.kill('SIGKILL');
    }
  });
  const result = await done;
  expect(result.signal, `run should have been killed during ${step}; stderr: ${result.stderr.slice(-500)}`).toBe(
    'SIGKILL',
  );
}

/** Kills a run at each (step, shards done) in turn, then resumes it to a published first version. */
async function crashAndResume(config: string, out: string, kills: Array<[step: string, count: number]>): Promise<void> {
  for (const [step, count] of kills) await killDuring(config, out, step, count);
  const resumed = await qcc(['run', '--config', config, '--out', out]);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stdout).toMatch(/published v0001/);
}

async function publishedRecords(out: string): Promise<{ manifest: Manifest; records: string[] }> {
  const dir = join(out, 'resume');
  const version = readFileSync(join(dir, 'LATEST'), 'utf8').trim();
  const manifest = JSON.parse(readFileSync(join(dir, version, 'manifest.json'), 'utf8')) as Manifest;
  const records: string[] = [];
  for (const shard of manifest.shards) {
    for (const r of await readAllJsonl(join(dir, version, shard.path))) records.push(JSON.stringify(r));
  }
  return { manifest, records };
}

describe.runIf(haveSharedData())('kill -9 and resume', () => {
  it('gives the same published records as an uninterrupted run', async () => {
    const dir = await tempDir('qcc-resume-');
    const config = await writeConfig(dir);

    const clean = await qcc(['run', '--config', config, '--out', join(dir, 'clean')]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/published v0001/);

    const crashed = join(dir, 'crashed');
    await crashAndResume(config, crashed, [
      ['ingest', 2],
      ['retrieve', 5],
    ]);

    const a = await publishedRecords(join(dir, 'clean'));
    const b = await publishedRecords(crashed);
    expect(a.records.length).toBeGreaterThan(100);
    expect(new Set(b.records).size).toBe(b.records.length);
    expect(b.records).toEqual(a.records);
    expect(b.manifest.shards).toEqual(a.manifest.shards);
    expect(b.manifest.counts).toEqual(a.manifest.counts);

    const again = await qcc(['run', '--config', config, '--out', crashed]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/up to date: v0001/);
  });

  it('in stream mode: killed while scoring shards, resumed, the same records as the indexed path', async () => {
    const dir = await tempDir('qcc-resume-stream-');
    const reference = await qcc(['run', '--config', await writeConfig(dir), '--out', join(dir, 'index')]);
    expect(reference.code, reference.stderr).toBe(0);
    // 5 ingest shards: one floor shard; stream_score is killed with its third shard (the 11,314 posts) in flight.
    const config = await writeConfig(dir, 'retrieve: { mode: stream, top_k: 15, queries_per_shard: 2 }');
    const crashed = join(dir, 'crashed');
    await crashAndResume(config, crashed, [
      ['stream_floor', 1],
      ['stream_score', 2],
    ]);
    expect((await publishedRecords(crashed)).records).toEqual((await publishedRecords(join(dir, 'index'))).records);
    // No part file of an interrupted blocked write is left in the stream folders.
    const work = join(crashed, 'resume', '.work');
    const stream = join(work, readdirSync(work).find(f => !f.startsWith('.'))!, 'stream');
    for (const sub of readdirSync(stream))
      expect(readdirSync(join(stream, sub)).filter(f => f.includes('.part-'))).toEqual([]);
  });
});
