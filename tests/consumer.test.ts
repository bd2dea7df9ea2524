import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllJsonl } from '../core/jsonl.js';
import type { Manifest } from '../stages/write/manifest.js';
import { RECORD_SCHEMA } from '../stages/write/record-schema.js';
import { cc, haveSharedData, newsCorpus, qcc, repo, tempDir } from './helpers.js';
import { HF_CARD_CHECK, haveHfPython, runHfPython } from './hf-helpers.js';
import { readManifest } from './report-helpers.js';

/** Every domain config and `all` through datasets.load_dataset, then concatenate_datasets of the domains. */
const LOAD_ALL = `
import sys, json
from datasets import load_dataset, concatenate_datasets
root, names = sys.argv[1], sys.argv[2:]
out = {"rows": {}, "features": {}}
loaded = {}
for name in names:
    ds = load_dataset(root, name=name, split="train")
    loaded[name] = ds
    out["rows"][name] = ds.num_rows
    out["features"][name] = repr(ds.features)
domains = [ds for name, ds in loaded.items() if name != "all"]
both = concatenate_datasets(domains)
out["concatenated"] = both.num_rows
out["concatenated_domains"] = sorted(set(both["domain"]))
out["columns"] = both.column_names
out["with_url"] = sum(1 for u in both["url"] if u is not None)
out["corpus_lines"] = sum(1 for s in both["source"] if s["kind"] == "corpus")
print(json.dumps(out))
`;

/** The first `lines` lines of a gzip JSONL file, as a new gzip file: a slice of a real corpus. */
async function sliceGzip(src: string, dest: string, lines: number): Promise<void> {
  const rl = createInterface({ input: createReadStream(src).pipe(createGunzip()), crlfDelay: Infinity });
  const kept: string[] = [];
  for await (const line of rl) {
    kept.push(line);
    if (kept.length === lines) break;
  }
  rl.close();
  async function* text() {
    yield kept.join('\n') + '\n';
  }
  await pipeline(text(), createGzip(), createWriteStream(dest));
}

const haveData = haveSharedData();

/** A small real version published once for this file: web pages (real WARC/WET) and corpus lines (a 20news slice). */
async function publishMixed(): Promise<{ dir: string; version: string; manifest: Manifest }> {
  const dir = await tempDir();
  const corpus = join(dir, '20news-slice.jsonl.gz');
  await sliceGzip(newsCorpus, corpus, 1500);
  const config = join(dir, 'mixed.yaml');
  await writeFile(
    config,
    `dataset: mixed
seeds: { files: [${join(repo, 'data', 'seeds', 'demo.csv')}], seeds_per_shard: 12 }
bootstrap: { provider: none }
ingest:
  warc: [${cc('other')}, ${cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz')}, ${cc('commoncrawl/whirlwind.warc.wet.gz')}]
  corpora: [{ path: ${corpus}, id_field: id, text_field: text }]
# Small parts, so that some parts of a domain hold corpus lines only (url and crawl null throughout).
write: { records_per_part: 20 }
`,
  );
  const r = await qcc(['run', '--config', config, '--out', join(dir, 'out')]);
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  const version = join(dir, 'out', 'mixed', 'v0001');
  return { dir, version, manifest: readManifest(version) };
}

let published: Promise<{ dir: string; version: string; manifest: Manifest }> | undefined;
const mixed = () => (published ??= publishMixed());

describe.runIf(haveData)('qcc read and inspect on a published version', () => {
  let version: string;
  let manifest: Manifest;
  beforeAll(async () => {
    ({ version, manifest } = await mixed());
  }, 300_000);

  it('read takes the version folder as well as the dataset folder', async () => {
    const total = Object.values(manifest.domains).reduce((n, d) => n + d.records, 0);
    const fromVersion = await qcc(['read', version]);
    const fromDataset = await qcc(['read', join(version, '..')]);
    expect(fromVersion.code, fromVersion.stderr).toBe(0);
    expect(fromVersion.stdout.trim().split('\n').length).toBe(total);
    expect(fromVersion.stdout).toBe(fromDataset.stdout);
    const domain = Object.keys(manifest.domains)[0]!;
    const one = await qcc(['read', version, '--domain', domain]);
    expect(
      one.stdout
        .trim()
        .split('\n')
        .map(l => (JSON.parse(l) as { domain: string }).domain),
    ).toEqual(Array(manifest.domains[domain]!.records).fill(domain));
    const other = await qcc(['read', version, '--version', 'v0009']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/is version v0001; --version v0009 names another/);
  });

  it('read --domain with an unknown domain says so, lists the domains, and exits non-zero', async () => {
    const r = await qcc(['read', version, '--domain', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no domain "nosuch"`);
    expect(r.stderr).toContain(`(domains: ${Object.keys(manifest.domains).sort().join(', ')})`);
  });

  it('inspect gives removal reasons with their counts: "k of n lines end with an ellipsis (k/n > max)"', async () => {
    const rules = manifest.removed.map(f => f.path.replace(/^removed\//, '').replace(/\.jsonl\.gz$/, ''));
    expect(rules).toContain('gopher_ellipsis_lines');
    const r = await qcc(['inspect', version, '--rule', 'gopher_ellipsis_lines', '--json', '-n', '50']);
    expect(r.code, r.stderr).toBe(0);
    const items = (
      JSON.parse(r.stdout) as { removed: Record<string, { reason: string; values: { ratio: number; max: number } }[]> }
    ).removed.gopher_ellipsis_lines!;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      const m = /^(\d+) of (\d+) lines end with an ellipsis \(([\d.]+) > ([\d.]+)\)$/.exec(item.reason);
      expect(m, item.reason).not.toBeNull();
      expect(Number(m![1]) / Number(m![2])).toBeCloseTo(item.values.ratio, 3);
      expect(Number(m![4])).toBe(item.values.max);
    }
  });
});

describe.runIf(haveData)('the card and the report of a published version', () => {
  let version: string;
  let manifest: Manifest;
  let card: string;
  let html: string;
  beforeAll(async () => {
    ({ version, manifest } = await mixed());
    card = readFileSync(join(version, 'README.md'), 'utf8');
    html = readFileSync(join(version, 'report', 'index.html'), 'utf8');
  }, 300_000);

  it('card: the query counts add up, the run id is labelled as such, every setting says what it means', () => {
    const line = /\*\*Queries\*\*: ([\d,]+) in all: ([^;]*);/.exec(card);
    expect(line, card).not.toBeNull();
    const num = (t: string) => Number(t.replace(/,/g, ''));
    expect(num(line![1]!)).toBe(manifest.inputs.queries.count);
    const parts = [
      ...line![2]!.replace(/\(post-processing[^)]*\)/, '').matchAll(/([\d,]+) (?:seeds|questions|queries|made)/g),
    ].map(m => num(m[1]!));
    expect(parts.reduce((a, b) => a + b, 0)).toBe(manifest.inputs.queries.count);
    expect(card).toContain(`run id \`${manifest.run_id}\`, config hash \`${manifest.config_hash}\``);
    expect(card).not.toContain('(config hash)');
    const settings = card.slice(card.indexOf('| setting | value | meaning |'));
    const rows = settings
      .split('\n')
      .slice(2)
      .filter(l => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows)
      expect(
        row
          .split(' | ')
          .at(-1)!
          .replace(/\|\s*$/, '')
          .trim(),
        row,
      ).not.toBe('');
  });

  it('report: queries ranked by what only they found, removals visible on their own scale, legend colours distinct', () => {
    const chart = (id: string) =>
      html.slice(html.indexOf(`data-chart="${id}"`), html.indexOf('</svg>', html.indexOf(`data-chart="${id}"`)));
    const values = (id: string) =>
      [...chart(id).matchAll(/<rect class="mark[^"]*"[^>]*data-value="(\d+)"/g)].map(m => Number(m[1]));
    const ranked = values('queries');
    expect(ranked.length).toBeGreaterThan(2);
    expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
    expect(new Set(ranked).size, 'the bars rank something').toBeGreaterThan(1);
    expect(html).toContain('kept documents that no other query found');

    const removals = manifest.funnel.flatMap(f => Object.values(f.removed).filter(n => n > 0));
    expect(values('removed').sort((a, b) => a - b)).toEqual([...removals].sort((a, b) => a - b));
    const funnel = chart('funnel');
    const slices = [
      ...funnel.matchAll(/<rect class="mark removed" fill="[^"]+" x="[\d.]+" y="\d+" width="([\d.]+)"/g),
    ].map(m => Number(m[1]));
    expect(slices.length).toBe(removals.length);
    for (const w of slices) expect(w).toBeGreaterThanOrEqual(3);
    const legend = [...funnel.matchAll(/<rect class="legend [^"]*"(?: fill="([^"]+)")?/g)].map(m => m[1] ?? 'kept');
    expect(legend.length).toBe(
      removals.length > 0
        ? new Set(
            manifest.funnel.flatMap(f =>
              Object.entries(f.removed)
                .filter(([, n]) => n > 0)
                .map(([r]) => r),
            ),
          ).size + 1
        : 1,
    );
    expect(new Set(legend).size).toBe(legend.length);
  });
});

describe.runIf(haveData && haveHfPython())('a published version, loaded with Hugging Face datasets', () => {
  let dir: string;
  let version: string;
  let manifest: Manifest;

  beforeAll(async () => {
    ({ dir, version, manifest } = await mixed());
  }, 300_000);

  it('every record has the same keys in the same order, web page or corpus line', async () => {
    const shapes = new Set<string>();
    const kinds = new Map<string, Set<string>>();
    let partWithoutUrl = false;
    for (const shard of manifest.shards) {
      const docs = await readAllJsonl<Record<string, any>>(join(version, shard.path));
      if (docs.every(d => d.url === null)) partWithoutUrl = true;
      for (const d of docs) {
        expect(Object.keys(d)).toEqual(RECORD_SCHEMA.map(f => f.name));
        expect(Object.keys(d.source)).toEqual(Object.keys(docs[0]!.source));
        shapes.add(JSON.stringify(Object.keys(d.source)));
        const k = kinds.get(d.domain) ?? new Set();
        k.add(d.source.kind === 'corpus' ? 'corpus' : 'web');
        kinds.set(d.domain, k);
        if (d.source.kind === 'corpus') expect(d.source.warc_file).toBeNull();
        else expect(d.source.file).toBeNull();
      }
    }
    expect(shapes.size).toBe(1);
    // The case the schema is for: web pages and corpus lines in the published domains, and a part with no URL at all.
    expect([...kinds.values()].some(k => k.has('web'))).toBe(true);
    expect([...kinds.values()].some(k => k.has('corpus'))).toBe(true);
    expect(partWithoutUrl).toBe(true);
  });

  it('load_dataset reads every domain config and `all` with one schema; concatenate_datasets joins the domains', () => {
    const domains = Object.keys(manifest.domains).sort();
    expect(domains.length).toBeGreaterThan(1);
    const r = runHfPython(LOAD_ALL, [version, 'all', ...domains], join(dir, 'hf-home'));
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      rows: Record<string, number>;
      features: Record<string, string>;
      concatenated: number;
      concatenated_domains: string[];
      columns: string[];
      with_url: number;
      corpus_lines: number;
    };
    const total = domains.reduce((n, d) => n + manifest.domains[d]!.records, 0);
    expect(out.rows).toEqual({
      all: total,
      ...Object.fromEntries(domains.map(d => [d, manifest.domains[d]!.records])),
    });
    expect(new Set(Object.values(out.features)).size).toBe(1);
    expect(out.concatenated).toBe(total);
    expect(out.concatenated_domains).toEqual(domains);
    expect(out.columns).toEqual(RECORD_SCHEMA.map(f => f.name));
    expect(out.with_url).toBeGreaterThan(0);
    expect(out.corpus_lines).toBeGreaterThan(0);
    expect(out.with_url + out.corpus_lines).toBeLessThanOrEqual(total);
  });

  it('the card passes the huggingface_hub metadata check and declares the same features for every config', () => {
    const r = runHfPython(HF_CARD_CHECK, [join(version, 'README.md'), version], join(dir, 'hf-home'));
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const configs = Object.keys(manifest.domains).length + 1;
    expect(r.stdout).toMatch(new RegExp(`^ok ${configs} configs ${manifest.shards.length * 2} files`, 'm'));
    const card = parse(/^---\n([\s\S]*?)\n---\n/.exec(readFileSync(join(version, 'README.md'), 'utf8'))![1]!) as {
      dataset_info: { config_name: string }[];
    };
    expect(card.dataset_info.map(i => i.config_name).sort()).toEqual(['all', ...Object.keys(manifest.domains)].sort());
  });
});
