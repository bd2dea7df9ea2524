/**
 * Provenance that survives moving the data: inputs are recorded relative to the input root and known by
 * their content, so the same files through a symlinked folder or from a copy are the same inputs, the
 * same lineage and the same run; a key spelled out at its default is the same lineage too.
 */
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../config/schema.js';
import { lineageIdOf, lineageSettings, nonDefaultSettings } from '../pipeline/config-identity.js';
import { loadConfig } from '../pipeline/config.js';
import { locateInput } from '../pipeline/input-location.js';
import type { Doc } from '../core/types.js';
import { readRecordAt } from '../stages/ingest/index.js';
import type { Manifest } from '../stages/write/manifest.js';
import { haveSharedData, inCI, qcc, repo, sharedData, tempDir } from './helpers.js';

const INPUTS = [
  'cc/commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz',
  'cc/other/sample-0000.warc.gz',
];
const CORPUS = 'corpora/bbc-news.jsonl.gz';

/** The data reached through `${QCC_SHARED_DATA}`, as the demo config does; `extra` adds settings. */
async function writeConfig(dir: string, name: string, extra = ''): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `dataset: moved
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}] }
bootstrap: { provider: none }
ingest:
  warc:
${INPUTS.map(w => `    - \${QCC_SHARED_DATA}/${w}`).join('\n')}
  corpora:
    - { path: "\${QCC_SHARED_DATA}/${CORPUS}", id_field: id, text_field: text }
retrieve: { top_k: 20, min_relative_score: 0.1 }
write: { records_per_part: 200 }
${extra}`,
  );
  return file;
}

function withData<T>(data: string, f: () => T): T {
  const before = process.env.QCC_SHARED_DATA;
  process.env.QCC_SHARED_DATA = data;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.QCC_SHARED_DATA;
    else process.env.QCC_SHARED_DATA = before;
  }
}

/** Every line of every gzipped JSONL file of a version (kept parts, removed records, queries), decompressed. */
function publishedLines(versionDir: string): string[] {
  const files = readdirSync(versionDir, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.jsonl.gz'));
  return files.flatMap(f =>
    gunzipSync(readFileSync(join(versionDir, f)))
      .toString('utf8')
      .split('\n')
      .filter(Boolean),
  );
}

const manifestOf = (versionDir: string) =>
  JSON.parse(readFileSync(join(versionDir, 'manifest.json'), 'utf8')) as Manifest;

describe('the lineage id: settings as written, defaults left out', () => {
  const lineageUnder = (schema: z.ZodType, written: unknown) => {
    const validate = (c: unknown) => {
      const r = schema.safeParse(c);
      return r.success ? r.data : undefined;
    };
    return lineageIdOf(lineageSettings(nonDefaultSettings(written, validate(written), validate), repo));
  };
  const written = {
    dataset: 't',
    seeds: { files: ['seeds.csv'] },
    ingest: { warc: ['a.warc.gz'] },
    retrieve: { top_k: 30 },
  };

  it('a key the code adds with a default does not start a new lineage; a value the user changes does', () => {
    // The next qcc release, with one more setting (and a default for it) under `retrieve`.
    const next = configSchema.extend({
      retrieve: configSchema.shape.retrieve
        .unwrap()
        .extend({ new_knob: z.number().default(3) })
        .prefault({}),
    });
    expect(next.parse(written).retrieve).toMatchObject({ new_knob: 3 });
    expect(lineageUnder(next, written)).toBe(lineageUnder(configSchema, written));
    expect(lineageUnder(next, { ...written, retrieve: { top_k: 30, new_knob: 3 } })).toBe(
      lineageUnder(configSchema, written),
    );
    expect(lineageUnder(next, { ...written, retrieve: { top_k: 30, new_knob: 4 } })).not.toBe(
      lineageUnder(configSchema, written),
    );
    expect(lineageUnder(configSchema, { ...written, retrieve: { top_k: 31 } })).not.toBe(
      lineageUnder(configSchema, written),
    );
    // Inputs and locations are not settings: the ledger tracks inputs by content.
    expect(
      lineageUnder(configSchema, {
        ...written,
        out: '/elsewhere',
        ingest: { warc: ['b.warc.gz'], input_root: '/data' },
      }),
    ).toBe(lineageUnder(configSchema, written));
  });
});

describe.runIf(haveSharedData() || inCI)('provenance that survives moving the data', () => {
  it('the same files through a symlinked folder or from a copy: up to date, same lineage and run; no machine path published', async () => {
    const dir = await tempDir('qcc-provenance-');
    const out = join(dir, 'out');
    const link = join(dir, 'link-to-data');
    await symlink(sharedData, link);
    const copy = join(dir, 'copy-of-data');
    for (const f of [...INPUTS, CORPUS]) {
      await mkdir(join(copy, f, '..'), { recursive: true });
      await copyFile(join(sharedData, f), join(copy, f));
    }
    const config = await writeConfig(dir, 'moved');

    const first = await qcc(['run', '--config', config, '--out', out], { QCC_SHARED_DATA: sharedData });
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    expect(first.stdout).toMatch(/published v0001/);
    const versionDir = join(out, 'moved', 'v0001');
    const v1 = manifestOf(versionDir);

    for (const data of [link, copy]) {
      const again = await qcc(['run', '--config', config, '--out', out], { QCC_SHARED_DATA: data });
      expect(again.code, again.stderr.slice(-2000)).toBe(0);
      expect(again.stdout).toMatch(/^up to date: v0001/m);
      const plan = await qcc(['plan', '--config', config, '--out', out, '--json'], { QCC_SHARED_DATA: data });
      expect(plan.code, plan.stderr.slice(-2000)).toBe(0);
      expect(JSON.parse(plan.stdout)).toMatchObject({ run: v1.run_id, lineage: { id: v1.lineage!.id, inputs_new: 0 } });
    }
    const ids = [sharedData, link, copy].map(d => withData(d, () => loadConfig(config)));
    expect(new Set(ids.map(l => l.lineageId))).toEqual(new Set([v1.lineage!.id]));
    expect(new Set(ids.map(l => l.hash))).toEqual(new Set([v1.config_hash]));

    // Nothing published names this machine: not the checkout, not the data folder (as given or real), not the temp folder.
    const lines = publishedLines(versionDir);
    const ledger = readFileSync(join(versionDir, 'ledger', 'inputs.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(lines.length).toBeGreaterThan(100);
    expect(ledger).toHaveLength(3);
    for (const machinePath of [repo, sharedData, realpathSync(sharedData), dir]) {
      expect(lines.filter(l => l.includes(machinePath)).slice(0, 1)).toEqual([]);
      expect(ledger.filter(l => l.includes(machinePath))).toEqual([]);
    }
    // Nor does the manifest: its config and seeds name folders by role (<checkout>/…, <input_root>/…, <out>/…).
    const manifestText = readFileSync(join(versionDir, 'manifest.json'), 'utf8');
    for (const machinePath of [repo, sharedData, realpathSync(sharedData)])
      expect(manifestText.includes(machinePath), machinePath).toBe(false);
    const manifest = JSON.parse(manifestText) as { inputs: { seeds: { path: string }[] }; config: { out: string } };
    expect(manifest.inputs.seeds.map(s => s.path)).toEqual(['<checkout>/data/seeds/demo.csv']);
    expect(manifest.config.out).toMatch(/^<out>/);
    // The ledger knows inputs by content and names them relative to the input root (the data folder here).
    const entries = ledger.map(l => JSON.parse(l) as { key: string; location: string; sha256: string; bytes: number });
    expect(entries.map(e => e.location).sort()).toEqual([...INPUTS, CORPUS].sort());
    for (const e of entries) expect(e.key).toBe(`sha256:${e.sha256}`);

    // Provenance still leads to the record: the relative WARC file under the input root, at its offset.
    const docs = lines
      .map(l => JSON.parse(l) as Doc | { record?: Doc })
      .map(d => ('record' in d && d.record ? d.record : (d as Doc)));
    const web = docs.filter(d => d.source?.kind === 'warc').slice(0, 5);
    expect(web.length).toBeGreaterThan(0);
    for (const d of web) {
      const s = d.source as { warc_file: string; offset: number; length: number; record_id: string };
      expect(INPUTS).toContain(s.warc_file);
      for (const root of [sharedData, copy])
        expect((await readRecordAt(locateInput(root, s.warc_file), s.offset, s.length)).recordId).toBe(s.record_id);
    }
    const corpus = docs.find(d => d.source?.kind === 'corpus');
    expect(corpus?.source).toMatchObject({ file: CORPUS });
    // `qcc inspect --inputs <root>` re-reads the sampled web records the same way, through the symlink too.
    for (const [root, expected] of [
      [link, /^ok$/],
      [join(dir, 'nowhere'), /^error: .*nowhere.*cannot open/],
    ] as const) {
      const inspect = await qcc(['inspect', versionDir, '--inputs', root, '-n', '20', '--json']);
      expect(inspect.code, inspect.stderr).toBe(0);
      const reread = Object.values((JSON.parse(inspect.stdout) as { reread: Record<string, string> }).reread);
      expect(reread.length).toBeGreaterThan(0);
      for (const r of reread) expect(r).toMatch(expected);
    }
  }, 240_000);

  it('a key spelled out at its default is the same lineage and run; a changed value is a new lineage', async () => {
    const dir = await tempDir('qcc-provenance-defaults-');
    const plain = await writeConfig(dir, 'plain');
    const spelled = await writeConfig(
      dir,
      'spelled',
      'index: { backend: fts5 }\ncandidates: { shards: 8 }\ndedup: { exact: true }\n',
    );
    const changed = await writeConfig(dir, 'changed', 'candidates: { shards: 4 }\n');
    const [a, b, c] = withData(sharedData, () => [plain, spelled, changed].map(f => loadConfig(f)));
    expect(b!.lineageId).toBe(a!.lineageId);
    expect(b!.hash).toBe(a!.hash);
    expect(c!.lineageId).not.toBe(a!.lineageId);

    const out = join(dir, 'out');
    const first = await qcc(['run', '--config', plain, '--out', out], { QCC_SHARED_DATA: sharedData });
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    const again = await qcc(['run', '--config', spelled, '--out', out], { QCC_SHARED_DATA: sharedData });
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(again.stdout).toMatch(/^up to date: v0001/m);
  }, 240_000);

  it('an input outside a declared ingest.input_root is refused, naming the key', async () => {
    const dir = await tempDir('qcc-provenance-root-');
    const config = await writeConfig(dir, 'rooted');
    const body = readFileSync(config, 'utf8').replace('ingest:\n', `ingest:\n  input_root: \${QCC_SHARED_DATA}/cc\n`);
    await writeFile(config, body);
    expect(() => withData(sharedData, () => loadConfig(config))).toThrow(
      /key `ingest\.corpora\[0\]\.path`: .*bbc-news\.jsonl\.gz is outside `ingest\.input_root`/,
    );
    await writeFile(config, body.replace(/ {2}corpora:\n.*\n/, ''));
    const loaded = withData(sharedData, () => loadConfig(config));
    expect(loaded.inputRoot).toBe(join(sharedData, 'cc'));
  });
});
