import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../core/atomic.js';
import { readAllJsonl } from '../core/jsonl.js';
import type { Doc, Query } from '../core/types.js';
import { queryTerms } from '../stages/retrieve/fts-query.js';
import { readRecordAt } from '../stages/ingest/index.js';
import { locateInput } from '../pipeline/input-location.js';
import type { Manifest } from '../stages/write/manifest.js';
import { demoRun } from './demo-fixture.js';
import { haveModel, haveSharedData, itSlow, newsCorpus, qcc, repo, sharedData } from './helpers.js';
import { describeReportDemo } from './report-demo-suite.js';

const demo = join(repo, 'config', 'demo.yaml');
const expectedGroup: Record<string, string> = {
  medicine: 'sci.med',
  space: 'sci.space',
  electronics: 'sci.electronics',
  cryptography: 'sci.crypt',
};

/** Labels are read here, by the test, to measure precision; the pipeline never sees them. */
async function newsLabels(): Promise<Map<string, string>> {
  const labels = new Map<string, string>();
  for await (const line of createInterface({ input: createReadStream(newsCorpus).pipe(createGunzip()) })) {
    const post = JSON.parse(line) as { id: string; label: string };
    labels.set(post.id, post.label);
  }
  return labels;
}

describe.runIf(haveSharedData() && haveModel())('demo run end to end (real model, real data)', () => {
  let root: string;
  let env: Record<string, string>;
  let versionDir: string;
  let manifest: Manifest;
  let records: Doc[];

  beforeAll(async () => {
    // The demo's own LLM cache (out/.cache), shared with the report tests: only the first demo run of the
    // suite calls the model; every run after it, here and there, must make zero calls.
    const run = await demoRun();
    env = run.env;
    root = dirname(run.out);
    versionDir = run.versionDir;
    manifest = JSON.parse(readFileSync(join(versionDir, 'manifest.json'), 'utf8')) as Manifest;
    records = [];
    for (const shard of manifest.shards) records.push(...(await readAllJsonl<Doc>(join(versionDir, shard.path))));
  }, 1_800_000); // ~3 min on a quiet 2-core machine; far longer when the cores are shared

  it('publishes non-empty shards for every domain, with checksums that match the files', async () => {
    expect(Object.keys(manifest.domains).sort()).toEqual(Object.keys(expectedGroup).sort());
    expect(readFileSync(join(root, 'a', 'qcc-demo', 'LATEST'), 'utf8').trim()).toBe('v0001');
    for (const shard of [...manifest.shards, ...manifest.removed, ...manifest.files]) {
      const actual = await sha256File(join(versionDir, shard.path));
      expect(actual, shard.path).toEqual({ sha256: shard.sha256, bytes: shard.bytes });
      if (shard.path.endsWith('.jsonl.gz'))
        expect((await readAllJsonl(join(versionDir, shard.path))).length, shard.path).toBe(shard.records);
    }
    expect(records.length).toBe(Object.values(manifest.domains).reduce((n, d) => n + d.records, 0));
    for (const f of manifest.funnel)
      expect(f.in, f.step).toBe(f.out + Object.values(f.removed).reduce((a, b) => a + b, 0));
  });

  it('bootstraps queries with the model, each with its lineage', async () => {
    const queries = await readAllJsonl<Query>(join(versionDir, 'queries.jsonl.gz'));
    const generated = queries.filter(q => q.lineage.method === 'question_extension');
    console.log(`queries: ${queries.length} (${generated.length} from the model)`);
    expect(generated.length).toBeGreaterThan(20);
    for (const q of generated) {
      expect(q.lineage.seed_id).toMatch(/^s-/);
      expect(q.lineage.model).toBeTruthy();
      expect(q.lineage.sampling_seed).toBeTypeOf('number');
    }
  });

  it('every hit shares a term with its query', async () => {
    const queries = new Map((await readAllJsonl<Query>(join(versionDir, 'queries.jsonl.gz'))).map(q => [q.id, q]));
    for (const doc of records) {
      const words = new Set(queryTerms(doc.text));
      for (const hit of doc.retrieval?.hits ?? []) {
        const terms = queryTerms(queries.get(hit.query_id)!.text);
        expect(
          terms.some(t => words.has(t)),
          `${doc.id} for "${queries.get(hit.query_id)!.text}"`,
        ).toBe(true);
      }
    }
  });

  it('WARC-derived provenance re-reads to the same record, published or removed', async () => {
    // The relevance loop removes the off-topic web pages of the demo's small crawl samples; a removed record keeps
    // its provenance like a published one, so both are re-read.
    const removed: Doc[] = [];
    for (const shard of manifest.removed)
      removed.push(...(await readAllJsonl<{ record: Doc }>(join(versionDir, shard.path))).map(r => r.record));
    const fromWarc = [...records, ...removed].filter(d => d.source.kind !== 'corpus');
    console.log(
      `records from WARC/WET: ${fromWarc.length} (published ${records.filter(d => d.source.kind !== 'corpus').length} of ${records.length})`,
    );
    expect(fromWarc.length).toBeGreaterThan(0);
    for (const doc of fromWarc) {
      if (doc.source.kind === 'corpus') continue;
      // Recorded relative to the input root: the demo's is the data folder, the deepest one holding all its inputs.
      expect(doc.source.warc_file).toMatch(/^cc\/(commoncrawl|other)\/[^/]+\.warc(\.wet)?\.gz$/);
      const again = await readRecordAt(
        locateInput(sharedData, doc.source.warc_file),
        doc.source.offset,
        doc.source.length,
      );
      expect(again.recordId).toBe(doc.source.record_id);
      expect(again.url).toBe(doc.url);
    }
  });

  it('medicine seeds retrieve mostly sci.med posts (precision measured with the labels)', async () => {
    const labels = await newsLabels();
    const table: string[] = [];
    for (const [domain, group] of Object.entries(expectedGroup)) {
      const posts = records.filter(d => d.domain === domain && d.source.kind === 'corpus');
      const right = posts.filter(d => d.source.kind === 'corpus' && labels.get(d.source.original_id) === group).length;
      const total = [...labels.values()].filter(l => l === group).length;
      table.push(
        `${domain}: ${posts.length} posts, precision ${(right / posts.length).toFixed(3)} for ${group}, recall ${(right / total).toFixed(3)}`,
      );
      if (domain === 'medicine') expect(right / posts.length).toBeGreaterThan(0.5);
    }
    console.log(table.join('\n'));
  });

  it('says up to date when run again', async () => {
    const again = await qcc(['run', '--config', demo, '--out', join(root, 'a')], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/up to date: v0001/);
  });

  itSlow('the same config + LLM cache elsewhere gives byte-identical shards, with no model call', async () => {
    const second = await qcc(['run', '--config', demo, '--out', join(root, 'b')], env);
    expect(second.code, second.stderr.slice(-2000)).toBe(0);
    const other = JSON.parse(readFileSync(join(root, 'b', 'qcc-demo', 'v0001', 'manifest.json'), 'utf8')) as Manifest;
    expect(other.shards).toEqual(manifest.shards);
    expect(other.counts.bootstrap!['bootstrap.llm_calls'] ?? 0).toBe(0);
    expect(existsSync(join(root, 'b', 'qcc-demo', 'v0001', 'README.md'))).toBe(true);
  });
});

// The report, card and diff tests read the same published demo version (built once per file).
describeReportDemo();
