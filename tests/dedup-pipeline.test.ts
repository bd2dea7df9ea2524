import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readAllJsonl, readJsonl } from '../core/jsonl.js';
import { runPipeline } from '../pipeline/run.js';
import { silentLogger, type Doc } from '../core/types.js';
import { inspectVersion, registerInspectCommands } from '../pipeline/commands/inspect.js';
import { SignatureFile } from '../stages/dedup/index.js';
import { filterConfigSchema, gopherQualityCheck, gopherRepetitionCheck } from '../stages/filter/index.js';
import { haveSharedData, newsCorpus, sharedData, tempDir } from './helpers.js';

interface Removed {
  step: string;
  rule: string;
  reason: string;
  values: Record<string, unknown>;
  record: Doc;
}

/** One word in 100 replaced and a line added: a near-duplicate a mirror or a re-post would make. */
function edit(text: string): string {
  const words = text.split(/(\s+)/);
  for (let i = 7; i < words.length; i += 200) if (words[i]!.trim()) words[i] = 'modified';
  return words.join('') + '\n(reposted from sci.space)';
}

const filters = filterConfigSchema.parse({});
/** Hosts for planted copies must pass the quality filters, or the copies never reach dedup. */
const passes = (text: string) =>
  !gopherQualityCheck(text, filters.gopher_quality) && !gopherRepetitionCheck(text, filters.gopher_repetition);

describe.runIf(haveSharedData())(
  'post-processing in a real run: filters, decontam, dedup, funnel, removed/, inspect',
  () => {
    let versionDir: string;
    let manifest: {
      funnel: { step: string; in: number; out: number; removed: Record<string, number> }[];
      removed: { path: string; records: number }[];
      shards: { path: string; records: number }[];
    };
    const removed = new Map<string, Removed[]>();
    const posts: { id: string; text: string }[] = [];
    let gsmId = '';

    beforeAll(async () => {
      for await (const r of readJsonl<{ id: string; label: string; text: string }>(newsCorpus)) {
        // The label only picks test input; the pipeline never reads it.
        if (
          r.label === 'sci.space' &&
          /\borbit\b/i.test(r.text) &&
          r.text.split(/\s+/).length > 150 &&
          passes(r.text) &&
          passes(edit(r.text))
        )
          posts.push({ id: r.id, text: r.text });
        if (posts.length === 60) break;
      }
      const gsm = (
        await readAllJsonl<{ question: string; answer: string }>(join(sharedData, 'benchmarks', 'gsm8k', 'test.jsonl'))
      )[100]!;
      gsmId = 'row-101';
      const rows = [
        ...posts,
        { id: 'near-a', text: edit(posts[0]!.text) },
        { id: 'near-b', text: edit(posts[1]!.text) },
        { id: 'exact-a', text: posts[2]!.text.toUpperCase() },
        {
          id: 'contaminated',
          text: `${posts[3]!.text}\n\nA puzzle about orbit fuel:  ${gsm.question.toLowerCase().replace(/,/g, ' ,')}`,
        },
        // A navigation menu repeated down a page: the Gopher repetition rules remove it.
        {
          id: 'boilerplate',
          text: Array.from({ length: 12 }, () => 'Home | Satellite orbit news | Login | Register | Contact us').join(
            '\n',
          ),
        },
      ];
      const dir = await tempDir('qcc-postprocess-');
      writeFileSync(join(dir, 'corpus.jsonl'), rows.map(r => JSON.stringify(r)).join('\n') + '\n');
      writeFileSync(join(dir, 'seeds.csv'), 'domain,subdomain,type,text\nspace,orbits,keyword,satellite orbit\n');
      const config = join(dir, 'run.yaml');
      writeFileSync(
        config,
        `dataset: pp
out: out
seeds: { files: [seeds.csv] }
bootstrap: { provider: none }
ingest:
  corpora: [{ path: corpus.jsonl }]
  min_text_chars: 10
retrieve: { top_k: 500 }
candidates: { shards: 3 }
filters: { gopher_quality: { min_doc_words: 50 } }
decontam:
  benchmarks:
    - { name: gsm8k, file: ${join(sharedData, 'benchmarks', 'gsm8k', 'test.jsonl')}, fields: [question, answer] }
dedup: { minhash: { bands: 14, rows: 8 } }
`,
      );
      const outcome = await runPipeline({ config, log: silentLogger });
      expect(outcome.status).toBe('published');
      versionDir = join(dir, 'out', 'pp', (outcome as { version: string }).version);
      manifest = (await import(join(versionDir, 'manifest.json'), { with: { type: 'json' } })).default;
      for (const f of manifest.removed) {
        const items = await readAllJsonl<Removed>(join(versionDir, f.path));
        removed.set(items[0]!.rule, items);
      }
    });

    const originalOf = (r: Removed) => (r.record.source.kind === 'corpus' ? r.record.source.original_id : undefined);

    it('the funnel adds up for every step and rule, and each step takes what the one before kept', () => {
      const steps = manifest.funnel.map(f => f.step);
      expect(steps).toEqual(expect.arrayContaining(['filter', 'decontam', 'dedup_apply']));
      for (const f of manifest.funnel)
        expect(f.in, f.step).toBe(f.out + Object.values(f.removed).reduce((a, b) => a + b, 0));
      const from = steps.indexOf('filter');
      for (let i = from + 1; i < manifest.funnel.length; i++)
        expect(manifest.funnel[i]!.in).toBe(manifest.funnel[i - 1]!.out);
      expect(manifest.shards.reduce((n, s) => n + s.records, 0)).toBe(manifest.funnel.at(-1)!.out);
      for (const f of manifest.removed) {
        const rule = f.path.replace(/^removed\//, '').replace(/\.jsonl\.gz$/, '');
        const counted = manifest.funnel.reduce((n, row) => n + (row.removed[rule] ?? 0), 0);
        expect(f.records, rule).toBe(counted);
      }
    });

    it('removes the planted benchmark item and names GSM8K and the item', () => {
      const hit = removed.get('decontam')!.find(r => originalOf(r) === 'contaminated')!;
      expect(hit.step).toBe('decontam');
      expect(hit.values).toMatchObject({ benchmark: 'gsm8k', item_id: gsmId });
    });

    it('removes planted near and exact duplicates, pointing at the kept original', () => {
      const idOf = new Map<string, string>();
      for (const list of removed.values()) for (const r of list) idOf.set(originalOf(r)!, r.record.id);
      const near = removed.get('near_duplicate') ?? [];
      const pairs = near.map(r => [originalOf(r), r.values.duplicate_of]);
      // The longer copy is kept (same query count): the edited ones are longer, so the originals go.
      const nearOriginals = new Set(near.map(r => originalOf(r)));
      expect(
        [...nearOriginals].filter(o => ['near-a', 'near-b', posts[0]!.id, posts[1]!.id].includes(o!)).length,
        JSON.stringify(pairs),
      ).toBe(2);
      const exact = removed.get('exact_duplicate')!.map(r => originalOf(r));
      expect(exact.some(o => o === 'exact-a' || o === posts[2]!.id)).toBe(true);
    });

    it('a repeated navigation menu is removed by the Gopher duplicate-line rule', () => {
      const r = (removed.get('gopher_dup_para_frac') ?? [])
        .concat(removed.get('gopher_dup_line_frac') ?? [])
        .find(x => originalOf(x) === 'boilerplate');
      expect(r?.step).toBe('filter');
      expect(r?.values.fraction).toBeGreaterThan(0.3);
    });

    it("the dedup step's ledger sidecar holds the keys of exactly the published documents", async () => {
      // Publish copies it to <version>/ledger/dedup-keys.bin; until then it is the dedup step's sidecar in the work folder.
      const found = readdirSync(join(versionDir, '..', '..'), { recursive: true, encoding: 'utf8' }).filter(p =>
        p.endsWith('dedup-keys.bin'),
      );
      expect(found.length).toBeGreaterThan(0);
      const published: string[] = [];
      for (const s of manifest.shards)
        for (const d of await readAllJsonl<Doc>(join(versionDir, s.path))) published.push(d.id);
      const ledger = new SignatureFile(join(versionDir, '..', '..', found[0]!));
      try {
        expect(ledger.ids()).toEqual(published.sort());
        expect(ledger.header).toMatchObject({ bands: 14, rows: 8 });
      } finally {
        ledger.close();
      }
    });

    it('qcc inspect samples kept documents and removals by rule', async () => {
      const sample = await inspectVersion(versionDir, { n: 3 });
      expect(sample.kept.length).toBe(3);
      expect(Object.keys(sample.removed)).toEqual(
        expect.arrayContaining(['decontam', 'near_duplicate', 'exact_duplicate']),
      );
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation(s => {
        out.push(String(s));
        return true;
      });
      try {
        const program = new Command().exitOverride();
        registerInspectCommands(program);
        await program.parseAsync(['node', 'qcc', 'inspect', versionDir, '--rule', 'decontam', '-n', '2']);
      } finally {
        spy.mockRestore();
      }
      const text = out.join('');
      expect(text).toContain('removed by decontam');
      expect(text).toContain(`gsm8k item ${gsmId}`);
      await expect(inspectVersion(versionDir, { rule: 'no_such_rule', n: 1 })).rejects.toThrow(
        /no removals under rule "no_such_rule"/,
      );
    });
  },
);
