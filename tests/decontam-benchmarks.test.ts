import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import type { Doc, Removal } from '../core/types.js';
import { testContext } from './stage-context.js';
import {
  type BenchmarkIndex,
  buildBenchmarkIndex,
  decontamConfigSchema,
  decontamStage,
  normaliseTokens,
  readBenchmark,
} from '../stages/decontam/index.js';
import { haveSharedData, newsCorpus, sharedData, tempDir } from './helpers.js';

const bench = (p: string) => join(sharedData, 'benchmarks', p);
const benchmarks = [
  { name: 'gsm8k', file: bench('gsm8k/test.jsonl'), fields: ['question', 'answer'] },
  {
    name: 'humaneval',
    file: bench('humaneval/HumanEval.jsonl.gz'),
    fields: ['prompt', 'canonical_solution'],
    id_field: 'task_id',
  },
  { name: 'arc-challenge', file: bench('arc-challenge/ARC-Challenge-Test.jsonl'), fields: ['question.stem'] },
];

/** Light edits a copier makes: case, spacing, punctuation, thousands separators. */
function lightlyEdit(text: string): string {
  return text
    .replace(/\b(\d)(\d{3})\b/g, '$1,$2')
    .replace(/\?/g, ' ?')
    .replace(/\s+/g, '  ')
    .replace(/\b\w/g, c => c.toUpperCase());
}

async function newsPosts(count: number): Promise<Doc[]> {
  const docs: Doc[] = [];
  for await (const r of readJsonl<{ id: string; text: string }>(newsCorpus)) {
    docs.push({
      id: `news-${r.id}`,
      text: r.text,
      source: { kind: 'corpus', file: newsCorpus, line: docs.length + 1, original_id: r.id },
    });
    if (docs.length === count) break;
  }
  return docs;
}

describe.runIf(haveSharedData())('decontamination against the real test sets', () => {
  let index: BenchmarkIndex;
  const cfg = decontamConfigSchema.parse({ benchmarks });
  beforeAll(async () => {
    index = await buildBenchmarkIndex(cfg);
  });

  it('reads every item of GSM8K, HumanEval and ARC-Challenge', () => {
    const count = (b: string) => index.items.filter(i => i.benchmark === b).length;
    expect(count('gsm8k')).toBe(1319);
    expect(count('humaneval')).toBe(164);
    expect(count('arc-challenge')).toBe(1150);
  });

  it('normalisation ignores case, spacing, punctuation, number formatting and spelled-out numbers', () => {
    expect(normaliseTokens('She sold 1,000 eggs for $2.50!')).toEqual(normaliseTokens('she  sold 1000 eggs, for $2.5'));
    expect(normaliseTokens('3.0 apples')).toEqual(['3', 'apples']);
    // Spelled-out numbers are digits; only words joined by spaces, hyphens or "and" make one number.
    expect(normaliseTokens('Twenty-five hens laid three thousand and five eggs, 2 million in all')).toEqual(
      normaliseTokens('25 hens laid 3005 eggs, 2000000 in all'),
    );
    expect(normaliseTokens('one hundred*five=five hundred')).toEqual(['100', '5', '500']);
    expect(normaliseTokens('a hundred men, thousands of them')).toEqual([
      'a',
      'hundred',
      'men',
      'thousands',
      'of',
      'them',
    ]);
  });

  it('removes real posts carrying lightly edited benchmark items, names the item, and keeps clean posts', async () => {
    const posts = await newsPosts(1500);
    const gsm = (await readBenchmark(benchmarks[0]!))[41]!;
    const he = (await readBenchmark(benchmarks[1]!))[7]!;
    const arc = (await readBenchmark(benchmarks[2]!)).find(i => i.texts[0]!.split(/\s+/).length >= 20)!;
    const plant = (host: Doc, text: string, id: string): Doc => {
      const cut = host.text.indexOf('\n\n', host.text.length / 2);
      const at = cut > 0 ? cut : host.text.length;
      return { ...host, id, text: `${host.text.slice(0, at)}\n\n${text}\n\n${host.text.slice(at)}` };
    };
    const planted = [
      plant(posts[10]!, lightlyEdit(gsm.texts[0]!), 'planted-gsm8k'),
      plant(posts[20]!, he.texts[0]!.replace(/ {4}/g, '\t'), 'planted-humaneval'),
      plant(posts[30]!, lightlyEdit(arc.texts[0]!), 'planted-arc'),
    ];
    const removed: Removal<Doc>[] = [];
    const ctx = { ...testContext(cfg), remove: (r: Removal) => removed.push(r as Removal<Doc>) };
    const kept: Doc[] = [];
    for await (const d of decontamStage(index, cfg.n)(
      (async function* () {
        yield* [...posts, ...planted];
      })(),
      ctx,
    ))
      kept.push(d);

    const by = (id: string) => removed.find(r => r.record.id === id);
    expect(by('planted-gsm8k')?.values).toMatchObject({ benchmark: 'gsm8k', item_id: gsm.id, n: 13 });
    expect(by('planted-humaneval')?.values).toMatchObject({ benchmark: 'humaneval', item_id: he.id });
    expect(by('planted-arc')?.values).toMatchObject({ benchmark: 'arc-challenge', item_id: arc.id });
    expect(by('planted-gsm8k')!.reason).toContain(`gsm8k item ${gsm.id}`);
    // The untouched real posts share no 13-gram with the test sets.
    expect(removed.filter(r => !r.record.id.startsWith('planted-')).map(r => r.reason)).toEqual([]);
    expect(kept.length).toBe(posts.length);
  });

  it('reads a CSV test set with a configurable text field', async () => {
    const dir = await tempDir();
    const csv = join(dir, 'arc.csv');
    const items = await readBenchmark(benchmarks[2]!);
    writeFileSync(
      csv,
      'qid,stem\n' +
        items
          .slice(0, 50)
          .map(i => `${i.id},"${i.texts[0]!.replace(/"/g, '""')}"`)
          .join('\n') +
        '\n',
    );
    const fromCsv = await readBenchmark({ file: csv, fields: ['stem'], id_field: 'qid' });
    expect(fromCsv.map(i => i.id)).toEqual(items.slice(0, 50).map(i => i.id));
    expect(fromCsv[3]!.texts).toEqual(items[3]!.texts);
  });

  it('reads a Parquet test set and catches its items', async () => {
    const dir = await tempDir();
    const file = join(dir, 'gsm8k-sample.parquet');
    const items = (await readBenchmark(benchmarks[0]!)).slice(0, 40);
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'uid', data: items.map(i => `gsm-${i.id}`), type: 'STRING' },
        { name: 'problem', data: items.map(i => i.texts[0]!), type: 'STRING' },
      ],
    });
    writeFileSync(file, Buffer.from(buffer));
    const pq = decontamConfigSchema.parse({
      benchmarks: [{ name: 'gsm-parquet', file, fields: ['problem'], id_field: 'uid' }],
    });
    const pqIndex = await buildBenchmarkIndex(pq);
    expect(pqIndex.items.length).toBe(40);
    const hit = pqIndex.match(`Some page text before. ${lightlyEdit(items[17]!.texts[0]!)} And after.`);
    expect(hit).toMatchObject({ benchmark: 'gsm-parquet', item_id: `gsm-${items[17]!.id}` });
  });

  it('a field no item has is an error naming the file', async () => {
    await expect(readBenchmark({ file: bench('gsm8k/test.jsonl'), fields: ['problem'] })).rejects.toThrow(
      /gsm8k\/test\.jsonl.*problem/,
    );
  });

  describe('entries that name a folder or a glob (MMLU-style: one headerless CSV per subject)', () => {
    let dir: string;
    let arcItems: Awaited<ReturnType<typeof readBenchmark>>;
    const csvRow = (i: (typeof arcItems)[number]) =>
      [i.texts[0]!, ...i.texts.slice(1, 5), 'A'].map(v => `"${v.replace(/"/g, '""')}"`).join(',');
    const mmlu = (file: string) => ({
      file,
      fields: ['question', 'A', 'B', 'C', 'D'],
      columns: ['question', 'A', 'B', 'C', 'D', 'answer'],
    });
    beforeAll(async () => {
      arcItems = (
        await readBenchmark({
          file: bench('arc-challenge/ARC-Challenge-Test.jsonl'),
          fields: ['question.stem', 'question.choices.text'],
        })
      ).filter(i => i.texts.length === 5);
      dir = join(await tempDir(), 'mmlu');
      mkdirSync(dir);
      // Real ARC questions with their four choices, 20 per "subject" file; a dev file and a README beside them.
      for (const [k, subject] of ['astronomy_test', 'biology_test', 'chemistry_dev'].entries()) {
        writeFileSync(
          join(dir, `${subject}.csv`),
          arcItems
            .slice(k * 20, k * 20 + 20)
            .map(csvRow)
            .join('\n') + '\n',
        );
      }
      writeFileSync(join(dir, 'README.txt'), 'not a test set\n');
    });

    it('a folder reads every test set file in it; ids name the file, the benchmark is the folder', async () => {
      const items = await readBenchmark(mmlu(dir));
      expect(items.length).toBe(60);
      expect(items[0]).toMatchObject({ benchmark: 'mmlu', id: 'astronomy_test/row-1', texts: arcItems[0]!.texts });
      expect(items[59]!.id).toBe('chemistry_dev/row-20');
    });

    it('a glob reads the files it matches, and a planted item is removed naming its file and row', async () => {
      const cfg = decontamConfigSchema.parse({ benchmarks: [{ name: 'mmlu', ...mmlu(join(dir, '*_test.csv')) }] });
      const index = await buildBenchmarkIndex(cfg);
      expect(index.items.map(i => i.id.split('/')[0])).toEqual([
        ...Array(20).fill('astronomy_test'),
        ...Array(20).fill('biology_test'),
      ]);
      const item = arcItems[25]!; // biology_test row 6
      const hit = index.match(
        `Quiz night.\n${item.texts[0]}\n${item.texts
          .slice(1)
          .map((c, k) => `${'ABCD'[k]}) ${c}`)
          .join('\n')}\nGood luck.`,
      );
      expect(hit).toMatchObject({ benchmark: 'mmlu', item_id: 'biology_test/row-6' });
    });

    it('an entry that matches nothing is an error naming the entry and the pattern', async () => {
      const none = decontamConfigSchema.parse({ benchmarks: [mmlu(join(dir, '*.parquet'))] });
      await expect(buildBenchmarkIndex(none)).rejects.toThrow(
        /decontam\.benchmarks\[0\]: file: .*mmlu\/\*\.parquet matches no file/,
      );
      const empty = join(await tempDir(), 'empty');
      mkdirSync(empty);
      await expect(readBenchmark(mmlu(empty))).rejects.toThrow(
        /file: .*empty is a folder with no \.jsonl, \.json, \.csv or \.parquet file/,
      );
      await expect(readBenchmark(mmlu(join(dir, 'missing.csv')))).rejects.toThrow(
        /file: .*missing\.csv: no such file or folder/,
      );
    });
  });
});
