import { existsSync, readFileSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { sha256File } from '../core/atomic.js';
import { JsonlWriter, readAllJsonl } from '../core/jsonl.js';
import type { Doc, Query } from '../core/types.js';
import { registerReportCommands } from '../pipeline/commands/report.js';
import { diffVersions, loadVersion, type VersionDiff } from '../stages/report/diff.js';
import { formatDiff } from '../stages/report/diff-text.js';
import { readReportStats, reportFileEntries, writeReport, REPORT_PATH } from '../stages/report/index.js';
import { hostOf } from '../stages/report/stats.js';
import { datasetCard } from '../stages/write/card.js';
import type { Manifest } from '../stages/write/manifest.js';
import { haveModel, haveSharedData, itSlow, tempDir } from './helpers.js';
import { HF_CARD_CHECK, haveHfPython, runHfPython } from './hf-helpers.js';
import { demoRun } from './demo-fixture.js';
import { publishVariant, readManifest, resolveGlob } from './report-helpers.js';

/** The card check, then load_dataset of every config (the rows of each). */
const HF_CHECK = `${HF_CARD_CHECK}
from datasets import load_dataset
for c in d["configs"]:
    print("rows", c["config_name"], load_dataset(root, c["config_name"], split="train").num_rows)
`;

async function docsOf(dir: string, m: Manifest): Promise<Doc[]> {
  const docs: Doc[] = [];
  for (const s of m.shards) docs.push(...(await readAllJsonl<Doc>(join(dir, s.path))));
  return docs;
}

/** Runs `qcc <args>` through the commands this file registers, capturing stdout. */
async function runCommand(args: string[]): Promise<string> {
  const program = new Command('qcc').exitOverride();
  registerReportCommands(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out += a.join(' ') + '\n';
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
    log.mockRestore();
  }
  return out;
}

/** Run by tests/demo.e2e.test.ts, on the demo version it published (copied: these tests write into it). */
export function describeReportDemo(): void {
  describe.runIf(haveSharedData() && haveModel())('report, card and diff on two real demo versions', () => {
    let out: string;
    let v1: string;
    let root: string;
    let m1: Manifest;
    let docs1: Doc[];
    // v0002 is a second full pipeline run (~90 s): only the slow tier's diff cases publish it, once.
    let second: Promise<{ v2: string; m2: Manifest }> | undefined;
    const versionTwo = () =>
      (second ??= publishVariant(out, root, c => {
        // Fewer hits per query and one LLM sample per seed instead of two: a smaller v0002 with parent v0001.
        c.retrieve.top_k = 10;
        c.bootstrap.samples_per_seed = 1;
      }).then(v2 => ({ v2, m2: readManifest(v2) })));

    beforeAll(async () => {
      root = await tempDir('qcc-report-');
      out = join(root, 'out');
      await cp(join((await demoRun()).out, 'qcc-demo'), join(out, 'qcc-demo'), { recursive: true });
      v1 = join(out, 'qcc-demo', 'v0001');
      m1 = readManifest(v1);
      docs1 = await docsOf(v1, m1);
    });

    it('writes a self-contained report whose figures match the shards', async () => {
      const before = existsSync(join(v1, REPORT_PATH)) ? (await sha256File(join(v1, REPORT_PATH))).sha256 : null;
      const path = await writeReport(v1, m1);
      const html = readFileSync(path, 'utf8');
      // Opens from disk with nothing to fetch: no script, no external stylesheet, no resource URL.
      // (Document text is escaped, so a tag or a quoted attribute can only come from the page itself.)
      expect(html).not.toMatch(
        /<(script|link|img|iframe|object|embed|audio|video|source)\b|\s(src|srcset|href)="(?!#|https?:)/i,
      );
      expect(/<style>([\s\S]*?)<\/style>/.exec(html)![1]).not.toMatch(/url\(|@import/);
      expect(html).toContain("default-src 'none'");
      // Web-page charts need web pages: the demo's relevance loop may remove every page of its small crawl samples.
      const webDocs = docs1.filter(d => d.source.kind !== 'corpus');
      const charts = [
        'domain-docs',
        'domain-tokens',
        'funnel',
        'removed',
        'lengths',
        'languages',
        'sources',
        'queries',
        ...(webDocs.length ? ['timestamps', 'sites'] : []),
      ];
      for (const chart of charts) {
        expect(html, chart).toMatch(new RegExp(`data-chart="${chart}"[^>]*>.*?<rect class="mark`, 's'));
      }
      if (!webDocs.length) expect(html).toContain('No dated Common Crawl records in this version');
      // The relevance loop's quality table: one row per published domain.
      const quality = /<section id="quality">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
      for (const domain of Object.keys(m1.domains)) expect(quality, domain).toContain(`<td>${domain}</td>`);
      expect(html).toContain('gpt-tokenizer o200k_base');

      const stats = readReportStats(v1)!;
      // Tokens recounted here, document by document, with the tokenizer the report names.
      for (const domain of Object.keys(m1.domains)) {
        const mine = docs1.filter(d => d.domain === domain);
        expect(stats.domains[domain]!.docs, domain).toBe(m1.domains[domain]!.records);
        expect(stats.domains[domain]!.docs, domain).toBe(mine.length);
        const tokens = mine.reduce(
          (n, d) => n + countTokens(d.text, { allowedSpecial: new Set(), disallowedSpecial: new Set() }),
          0,
        );
        expect(stats.domains[domain]!.tokens, domain).toBe(tokens);
      }
      const hosts = new Map<string, number>();
      for (const d of docs1) {
        const h = hostOf(d.url);
        if (h) hosts.set(h, (hosts.get(h) ?? 0) + 1);
      }
      const full = JSON.parse(readFileSync(join(v1, 'report', 'stats.json'), 'utf8'));
      for (const site of full.sites.top) expect(site.count, site.name).toBe(hosts.get(site.name));
      const dated = docs1.filter(d => d.source.kind !== 'corpus' && d.source.timestamp).length;
      expect(full.months.reduce((n: number, m: { count: number }) => n + m.count, 0)).toBe(dated);

      // The top query's yield, recounted from retrieval.hits.
      const top = full.queries.top[0];
      expect(docs1.filter(d => (d.retrieval?.hits ?? []).some(h => h.query_id === top.id)).length).toBe(top.docs);
      const queries = await readAllJsonl<Query>(join(v1, 'queries.jsonl.gz'));
      expect(queries.find(q => q.id === top.id)?.text).toBe(top.text);

      // Samples carry provenance and are real records.
      const byId = new Map(docs1.map(d => [d.id, d]));
      for (const domain of Object.keys(m1.domains)) {
        const section = html.split(`<h3>${domain}</h3>`)[1]!.split('</div></article></div>')[0]!;
        expect(section, domain).toMatch(/corpus <code>|warc <code>|wet <code>/);
      }
      const sampleIds = [...html.matchAll(/id <code>([0-9a-f]{40})<\/code>/g)].map(m => m[1]!);
      expect(sampleIds.length).toBe(Object.keys(m1.domains).length * 3);
      for (const id of sampleIds) expect(byId.has(id), id).toBe(true);

      // Deterministic: regenerating gives the same bytes (and equals a report publish already wrote).
      const first = await sha256File(path);
      await writeReport(v1, m1);
      expect(await sha256File(path)).toEqual(first);
      if (before) expect(first.sha256).toBe(before);
      const entries = await reportFileEntries(v1);
      expect(entries.map(e => e.path)).toEqual(['report/index.html', 'report/stats.json']);
      expect(entries[0]!.sha256).toBe(first.sha256);
    });

    it('writes a dataset card whose YAML header Hugging Face reads and whose data_files resolve to the shards', async () => {
      await writeReport(v1, m1);
      const card = datasetCard(m1, readReportStats(v1));
      const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
      expect(match).not.toBeNull();
      const header = parse(match![1]!) as Record<string, any>;
      expect(header.license).toBe('other');
      expect(header.license_name).toMatch(/^[a-z0-9-.]+$/);
      expect(header.language).toContain('en');
      expect(header.pretty_name).toBe('qcc-demo v0001');
      expect(header.size_categories).toEqual(['1K<n<10K']);
      expect(header.task_categories).toEqual(['text-generation']);
      const shardsOf = (domain?: string) =>
        m1.shards
          .map(s => s.path)
          .filter(p => !domain || p.startsWith(`data/${domain}/`))
          .sort();
      const configs = header.configs as {
        config_name: string;
        default?: boolean;
        data_files: { split: string; path: string }[];
      }[];
      expect(configs.map(c => c.config_name).sort()).toEqual(['all', ...Object.keys(m1.domains)].sort());
      expect(configs.filter(c => c.default).map(c => c.config_name)).toEqual(['all']);
      for (const c of configs) {
        const files = c.data_files.flatMap(f => resolveGlob(v1, f.path)).sort();
        expect(files, c.config_name).toEqual(shardsOf(c.config_name === 'all' ? undefined : c.config_name));
        expect(files.length, c.config_name).toBeGreaterThan(0);
      }
      for (const section of [
        '## Motivation',
        '## Composition',
        '## Collection process',
        '## Preprocessing',
        '## Uses',
        '## Limitations',
      ]) {
        expect(card).toContain(section);
      }
      expect(card).toContain('`retrieve.top_k` | `25`');
      expect(card).toContain('question-extension.v1');
      expect(card).toMatch(/model `llama:gemma-3-270m/);
      // "198 in all: 24 seeds used as queries and 174 questions ...": the parts add up to the published queries.
      const queriesLine = /\*\*Queries\*\*: ([\d,]+) in all: ([^;]*);/.exec(card)!;
      const num = (t: string) => Number(t.replace(/,/g, ''));
      expect(num(queriesLine[1]!)).toBe(m1.inputs.queries.count);
      const parts = [
        ...queriesLine[2]!
          .replace(/\(post-processing[^)]*\)/, '')
          .matchAll(/([\d,]+) (?:seeds|questions|queries|made)/g),
      ].map(m => num(m[1]!));
      expect(
        parts.reduce((a, b) => a + b, 0),
        queriesLine[0],
      ).toBe(m1.inputs.queries.count);
      // What post-processing removed is named rule by rule (the finalise step's counters).
      const post = Object.entries(m1.counts.bootstrap_finalise ?? {}).filter(
        ([k, v]) => k.startsWith('bootstrap.post.') && !/\.(in|kept|normalised)$/.test(k) && v > 0,
      );
      expect(post.length, JSON.stringify(m1.counts.bootstrap_finalise)).toBeGreaterThan(0);
      for (const [k, v] of post)
        expect(queriesLine[2]).toContain(`${k.slice('bootstrap.post.'.length)} ${v.toLocaleString('en-US')}`);

      // Hugging Face's own card parser and loader, from the venv `npm run setup` makes (under CI=true its absence fails).
      if (!haveHfPython()) return;
      // load_dataset reads README.md: check a copy of the version that carries this card.
      const copy = join(out, 'hf-check', 'v0001');
      await cp(v1, copy, { recursive: true });
      await writeFile(join(copy, 'README.md'), card);
      const r = runHfPython(HF_CHECK, [join(copy, 'README.md'), copy], join(out, 'hf-home'));
      await rm(copy, { recursive: true });
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^ok ${configs.length} configs ${m1.shards.length * 2} files`));
      const rows = Object.fromEntries([...r.stdout.matchAll(/^rows (\S+) (\d+)$/gm)].map(m => [m[1], Number(m[2])]));
      const total = Object.values(m1.domains).reduce((n, d) => n + d.records, 0);
      expect(rows).toEqual({
        all: total,
        ...Object.fromEntries(Object.entries(m1.domains).map(([k, v]) => [k, v.records])),
      });
    });

    itSlow(
      'qcc diff v0001 v0002 explains the difference: counts per domain, reasons, config and query set',
      async () => {
        const { v2, m2 } = await versionTwo();
        expect(m2.parent).toBe('v0001');
        const diff: VersionDiff = await diffVersions(loadVersion(v1), loadVersion(v2));
        const docs2 = await docsOf(v2, m2);
        for (const d of diff.domains) {
          const a = new Set(docs1.filter(x => x.domain === d.domain).map(x => x.id));
          const b = new Set(docs2.filter(x => x.domain === d.domain).map(x => x.id));
          expect(d.before).toBe(a.size);
          expect(d.after).toBe(b.size);
          expect(d.added, d.domain).toBe([...b].filter(id => !a.has(id)).length);
          expect(d.removed, d.domain).toBe([...a].filter(id => !b.has(id)).length);
          expect(d.changed + d.unchanged, d.domain).toBe([...a].filter(id => b.has(id)).length);
          const sum = (m: Record<string, number>) => Object.values(m).reduce((n, v) => n + v, 0);
          expect(sum(d.why.added), d.domain).toBe(d.added);
          expect(sum(d.why.removed), d.domain).toBe(d.removed);
          // A changed document has one reason or more.
          expect(sum(d.why.changed), d.domain).toBeGreaterThanOrEqual(d.changed);
        }
        expect(diff.domains.reduce((n, d) => n + d.removed, 0)).toBeGreaterThan(0);
        expect(diff.config).toEqual(
          expect.arrayContaining([
            { key: 'retrieve.top_k', a: 25, b: 10 },
            { key: 'bootstrap.samples_per_seed', a: 2, b: 1 },
          ]),
        );
        const q2 = new Set((await readAllJsonl<Query>(join(v2, 'queries.jsonl.gz'))).map(q => q.id));
        expect(diff.queries.b).toBe(q2.size);
        expect(diff.queries.removed).toBe(diff.queries.a - diff.queries.b);
        expect(diff.queries.added).toBe(0);

        // A removed document said to have lost its queries really has: none of its v0001 queries is in v0002.
        const byId = new Map(docs1.map(d => [d.id, d]));
        const lostQueries = diff.domains.flatMap(d => d.examples.removed).filter(e => e.includes('queries are not in'));
        expect(lostQueries.length).toBeGreaterThan(0);
        for (const e of lostQueries) {
          const doc = byId.get(e.slice(0, 40))!;
          expect(
            (doc.retrieval?.hits ?? []).every(h => !q2.has(h.query_id)),
            e,
          ).toBe(true);
        }

        const text = formatDiff(diff);
        expect(text).toContain('qcc-demo: v0001 → v0002');
        expect(text).toContain('retrieve.top_k: 25 → 10');
        expect(text).toMatch(/removed \d+: .*not retrieved under the changed retrieve/);

        // The command: version names resolve inside --dataset; paths work too; --json is the same diff.
        const viaCli = await runCommand(['diff', 'v0001', 'v0002', '--dataset', join(out, 'qcc-demo')]);
        expect(viaCli).toBe(text);
        const json = JSON.parse(await runCommand(['diff', v1, 'v0002', '--json'])) as VersionDiff;
        expect(json.domains).toEqual(diff.domains);
      },
    );

    itSlow('qcc diff gives the same answer when the parts are not sorted by id', async () => {
      const { v2 } = await versionTwo();
      const shuffled = join(out, 'shuffled', 'v0001');
      await cp(v1, shuffled, { recursive: true });
      for (const s of m1.shards) {
        const docs = (await readAllJsonl<Doc>(join(v1, s.path))).reverse();
        const w = await JsonlWriter.open(join(shuffled, s.path));
        for (const d of docs) await w.write(d);
        await w.close();
      }
      const same = await diffVersions(loadVersion(v1), loadVersion(shuffled));
      for (const d of same.domains)
        expect([d.added, d.removed, d.changed, d.unchanged], d.domain).toEqual([0, 0, 0, d.before]);
      const sorted = await diffVersions(loadVersion(v1), loadVersion(v2));
      const unsorted = await diffVersions(loadVersion(shuffled), loadVersion(v2));
      expect(unsorted.domains.map(d => [d.domain, d.added, d.removed, d.changed, d.why])).toEqual(
        sorted.domains.map(d => [d.domain, d.added, d.removed, d.changed, d.why]),
      );
    });

    it('qcc report regenerates an existing version and names a bad folder', async () => {
      const printed = await runCommand(['report', '--dataset', join(out, 'qcc-demo'), '--version', 'v0001']);
      expect(printed.trim()).toBe(join(v1, REPORT_PATH));
      expect(readFileSync(join(v1, REPORT_PATH), 'utf8')).toContain('qcc-demo v0001');
      await expect(runCommand(['report', join(out, 'nope')])).rejects.toThrow(/nope: not a dataset version/);
      await expect(runCommand(['diff', 'v0001', 'v0009', '--dataset', join(out, 'qcc-demo')])).rejects.toThrow(
        /v0009: not a dataset version/,
      );
    });

    it('a shard the manifest lists but the disk lacks is named', async () => {
      const broken: Manifest = {
        ...m1,
        shards: [...m1.shards, { path: 'data/space/part-missing.jsonl.gz', records: 1, bytes: 1, sha256: 'x' }],
      };
      await expect(writeReport(v1, broken)).rejects.toThrow(/part-missing\.jsonl\.gz/);
    });
  });
}
