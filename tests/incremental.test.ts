import { readFileSync } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../stages/write/manifest.js';
import type { Doc } from '../core/types.js';
import { readAllJsonl } from '../core/jsonl.js';
import { cc, haveSharedData, qcc, repo, sharedData, tempDir } from './helpers.js';

/** Inputs as the ledger and provenance name them: relative to the config's `ingest.input_root` (`data`). */
const FIRST = [
  'cc/commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz',
  'cc/other/sample-0000.warc.gz',
];

/** Seeds are the queries (no model), so the test is about lineages, ledgers and versions. */
async function writeConfig(dir: string, warc: string[], topK = 25): Promise<string> {
  const file = join(dir, 'scheduled.yaml');
  await writeFile(
    file,
    `dataset: scheduled
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest:
  input_root: data
  warc:
${warc.map(w => `    - data/${w}`).join('\n')}
retrieve: { top_k: ${topK}, min_relative_score: 0.1 }
write: { records_per_part: 100 }
`,
  );
  return file;
}

function manifestOf(out: string, version: string): Manifest {
  return JSON.parse(readFileSync(join(out, 'scheduled', version, 'manifest.json'), 'utf8')) as Manifest;
}

async function docsOf(out: string, version: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  for (const shard of manifestOf(out, version).shards)
    docs.push(...(await readAllJsonl<Doc>(join(out, 'scheduled', version, shard.path))));
  return docs;
}

const ledgerOf = (out: string, version: string) =>
  readFileSync(join(out, 'scheduled', version, 'ledger', 'inputs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map(l => JSON.parse(l) as { location: string; sha256: string; bytes: number; version: string });

describe.runIf(haveSharedData())('scheduled, incremental runs', () => {
  it('publishes v0001, then only the new inputs as v0002, then says up to date; a changed config is a new lineage', async () => {
    const dir = await tempDir('qcc-incremental-');
    const out = join(dir, 'out');
    // The data folder: Common Crawl samples through a symlink, and two files of our own beside them.
    await mkdir(join(dir, 'data', 'extra'), { recursive: true });
    await symlink(join(sharedData, 'cc'), join(dir, 'data', 'cc'));
    // A copy of an input already consumed: the same content, so the same input, not read again.
    const copy = 'extra/copy-of-sample-0000.warc.gz';
    await copyFile(cc('other/sample-0000.warc.gz'), join(dir, 'data', copy));
    // A new file (new bytes) whose first records repeat an input already consumed: new to the ledger, those documents duplicates.
    const mixed = 'extra/sample-0000-then-whirlwind.warc.gz';
    await writeFile(
      join(dir, 'data', mixed),
      Buffer.concat([readFileSync(cc('other/sample-0000.warc.gz')), readFileSync(cc('commoncrawl/whirlwind.warc.gz'))]),
    );

    const first = await qcc(['run', '--config', await writeConfig(dir, FIRST), '--out', out]);
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    expect(first.stdout).toMatch(/published v0001 \(parent: none\)/);
    const v1 = manifestOf(out, 'v0001');
    expect(v1.lineage).toMatchObject({ base: true, versions: ['v0001'], inputs_total: 2, inputs_new: 2 });
    expect(
      ledgerOf(out, 'v0001')
        .map(e => e.location)
        .sort(),
    ).toEqual([...FIRST].sort());
    const docs1 = await docsOf(out, 'v0001');
    expect(docs1.length).toBeGreaterThan(10);

    const added = 'cc/other/sample-0001.warc.gz';
    const second = await qcc(['run', '--config', await writeConfig(dir, [...FIRST, added, copy, mixed]), '--out', out]);
    expect(second.code, second.stderr.slice(-2000)).toBe(0);
    expect(second.stdout).toMatch(/published v0002 \(parent: v0001\)/);
    const v2 = manifestOf(out, 'v0002');
    expect(v2.lineage).toMatchObject({
      id: v1.lineage!.id,
      base: false,
      versions: ['v0001', 'v0002'],
      inputs_total: 5,
      inputs_new: 2,
    });
    expect(
      ledgerOf(out, 'v0002')
        .map(e => e.location)
        .sort(),
    ).toEqual([added, mixed].sort());
    // Only the new inputs were read, and nothing of v0001 is published again.
    expect(v2.counts.ingest!['ingest.docs']).toBeLessThan(v1.counts.ingest!['ingest.docs']! + 1000);
    const docs2 = await docsOf(out, 'v0002');
    expect(docs2.length).toBeGreaterThan(0);
    for (const d of docs2) expect([added, mixed]).toContain((d.source as { warc_file?: string }).warc_file);
    const ids1 = new Set(docs1.map(d => d.id));
    const texts1 = new Set(docs1.map(d => d.text));
    expect(docs2.filter(d => ids1.has(d.id) || texts1.has(d.text))).toEqual([]);
    // The repeated records' retrieved documents are duplicates of v0001, removed with the version they repeat.
    const removedRules = Object.keys(v2.funnel.find(r => r.step === 'dedup_apply')!.removed);
    expect(removedRules.some(r => r.startsWith('duplicate_of_earlier_version'))).toBe(true);

    // Consumers read the full dataset (v0001 + v0002) or the delta.
    const full = await qcc(['read', join(out, 'scheduled')]);
    const delta = await qcc(['read', join(out, 'scheduled'), '--delta']);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout.trim().split('\n').length).toBe(docs1.length + docs2.length);
    expect(delta.stdout.trim().split('\n').length).toBe(docs2.length);

    const third = await qcc(['run', '--config', await writeConfig(dir, [...FIRST, added, copy, mixed]), '--out', out]);
    expect(third.code, third.stderr.slice(-2000)).toBe(0);
    expect(third.stdout).toMatch(/up to date: v0002/);
    expect(readFileSync(join(out, 'scheduled', 'LATEST'), 'utf8').trim()).toBe('v0002');

    // A changed setting (not an input) starts a new lineage over every input, recorded in the manifest.
    const changed = await qcc([
      'run',
      '--config',
      await writeConfig(dir, [...FIRST, added, copy, mixed], 20),
      '--out',
      out,
    ]);
    expect(changed.code, changed.stderr.slice(-2000)).toBe(0);
    expect(changed.stdout).toMatch(/published v0003 \(parent: v0002\)/);
    const v3 = manifestOf(out, 'v0003');
    // Five inputs named, four different contents: the copy is not read twice.
    expect(v3.lineage).toMatchObject({ base: true, versions: ['v0003'], inputs_total: 5, inputs_new: 4 });
    expect(v3.lineage!.id).not.toBe(v1.lineage!.id);
    const status = await qcc([
      'status',
      '--config',
      await writeConfig(dir, [...FIRST, added, copy, mixed]),
      '--out',
      out,
    ]);
    expect(status.stdout).toMatch(new RegExp(`lineage ${v1.lineage!.id}: v0001, v0002`));
  }, 600_000);
});
