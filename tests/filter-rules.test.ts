import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../core/jsonl.js';
import type { Doc, Removal } from '../core/types.js';
import { testContext } from './stage-context.js';
import { readArchive } from '../stages/ingest/archive.js';
import { ingestConfigSchema } from '../stages/ingest/config.js';
import {
  filterConfigSchema,
  filterStage,
  gopherQualityCheck,
  gopherRepetitionCheck,
  type C4Doc,
} from '../stages/filter/index.js';
import { punctuationWords } from '../stages/filter/text.js';
import { cc, haveSharedData, newsCorpus, tempDir } from './helpers.js';

async function ccPages(file: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  for await (const d of readArchive(cc(file), testContext(ingestConfigSchema.parse({ min_text_chars: 0 }))))
    docs.push(d);
  return docs;
}

async function run(docs: Doc[], config: unknown, blocklist?: string) {
  const cfg = filterConfigSchema.parse(config);
  const removed: Removal<Doc>[] = [];
  const ctx = { ...testContext(cfg), remove: (r: Removal) => removed.push(r as Removal<Doc>) };
  const kept: Doc[] = [];
  for await (const d of filterStage(cfg, blocklist)(
    (async function* () {
      yield* docs;
    })(),
    ctx,
  ))
    kept.push(d);
  return {
    kept,
    removed,
    ruleOf: (url: string) => removed.find(r => r.record.url === url)?.rule,
    counters: ctx.counters,
  };
}

describe.runIf(haveSharedData())('quality filters on real pages', () => {
  it('removes known boilerplate pages by the expected Gopher rule and keeps real articles', async () => {
    const pages = [
      ...(await ccPages('other/sample-0001.warc.gz')),
      ...(await ccPages('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz')),
    ];
    const { kept, removed, ruleOf } = await run(pages, {});
    expect(kept.length + removed.length).toBe(pages.length);
    // A lab home page whose text is the same project blurbs repeated: duplicated paragraphs. Read as a listing of
    // project teasers (linked titles between the blurbs), its repeated "Featured Project" and "View Project" lines
    // make the share of duplicated paragraphs, counted before their characters, too high.
    expect(ruleOf('https://prior.allenai.org/')).toBe('gopher_dup_para_frac');
    // Cycling statistics pages: tables of numbers, few words with letters.
    const stats = removed.find(r => r.record.url?.startsWith('http://06.live-radsport.ch/fahrerstatistik_801/'))!;
    expect(stats.rule).toBe('gopher_alpha_ratio');
    // An empty product listing: a handful of words. The repetition rules run first and, as datatrove's
    // find_top_duplicate, count the top 2-gram even when it occurs once: on so short a text it covers > 20%.
    const listing = removed.find(r => r.record.url === 'http://035.psb556.com/24/i/u_1090813/article.html')!;
    expect(listing.rule).toBe('gopher_top_ngram');
    expect(gopherQualityCheck(listing.record.text, filterConfigSchema.parse({}).gopher_quality)?.rule).toBe(
      'gopher_short_doc',
    );
    const r = removed.find(x => x.rule === 'gopher_alpha_ratio')!;
    expect(r.values).toMatchObject({ min: 0.8 });
    expect(r.values!.ratio as number).toBeLessThan(0.8);
    expect(kept.map(d => d.url)).toContain('https://creativecommons.org/mission/');
  });

  it('language filter removes pages outside the wanted languages with the score that decided', async () => {
    const pages = await ccPages('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz');
    const { kept, removed } = await run(pages, {
      language: { enabled: true },
      gopher_quality: { enabled: false },
      gopher_repetition: { enabled: false },
    });
    expect(kept.every(d => d.lang?.code === 'en' && d.lang.score >= 0.65)).toBe(true);
    const zh = removed.find(r => r.record.lang?.code === 'zh')!;
    expect(zh.rule).toBe('language');
    expect(zh.values).toMatchObject({ code: 'zh' });
  });

  it('C4 drops lines it does not want, records them on the document, and removes lorem ipsum pages', async () => {
    const pages = [...(await ccPages('other/sample-0000.warc.gz')), ...(await ccPages('other/sample-0001.warc.gz'))];
    const lorem = {
      ...pages.find(d => d.url === 'https://creativecommons.org/mission/')!,
      id: 'lorem',
      url: 'https://example.org/template',
    };
    lorem.text = lorem.text + '\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.';
    const only = { gopher_quality: { enabled: false }, gopher_repetition: { enabled: false }, c4: { enabled: true } };
    const { kept, ruleOf, counters } = await run([...pages, lorem], only);
    expect(ruleOf('https://example.org/template')).toBe('c4_lorem_ipsum');
    const mission = kept.find(d => d.url === 'https://creativecommons.org/mission/') as C4Doc;
    const original = pages.find(d => d.url === 'https://creativecommons.org/mission/')!;
    const dropped = mission.quality!.c4_removed_lines!;
    expect(dropped.length).toBeGreaterThan(0);
    for (const line of dropped) {
      expect(original.text).toContain(line.line);
      expect(mission.text.split('\n')).not.toContain(line.line);
    }
    expect(dropped.some(l => l.rule === 'no_terminal_punct')).toBe(true);
    expect(counters.get('c4.lines_removed.no_terminal_punct')).toBeGreaterThan(0);
  });

  it('URL blocklist removes a domain and its subdomains, naming the entry', async () => {
    const pages = await ccPages('other/sample-0000.warc.gz');
    const dir = await tempDir();
    const list = join(dir, 'blocklist.txt');
    writeFileSync(list, '# test list\nmaria-antoniak.github.io\nhttps://soldaini.net/facts\n');
    const { kept, removed } = await run(
      pages,
      { gopher_quality: { enabled: false }, gopher_repetition: { enabled: false }, url_blocklist: { file: list } },
      list,
    );
    const blocked = removed.map(r => r.record.url);
    expect(blocked.filter(u => u?.startsWith('https://maria-antoniak.github.io/')).length).toBe(
      pages.filter(d => d.url?.startsWith('https://maria-antoniak.github.io/')).length,
    );
    expect(blocked).toContain('https://soldaini.net/facts/');
    expect(kept.map(d => d.url)).toContain('https://soldaini.net/');
    expect(removed[0]!.values).toHaveProperty('entry');
  });

  it('Gopher rules on 20 Newsgroups posts: every removal names its rule and values, none is silent', async () => {
    const docs: Doc[] = [];
    for await (const r of readJsonl<{ id: string; text: string }>(newsCorpus)) {
      docs.push({
        id: r.id,
        text: r.text,
        source: { kind: 'corpus', file: newsCorpus, line: docs.length + 1, original_id: r.id },
      });
      if (docs.length === 3000) break;
    }
    const { kept, removed } = await run(docs, {});
    expect(kept.length + removed.length).toBe(docs.length);
    const short = removed.filter(r => r.rule === 'gopher_short_doc');
    expect(short.length).toBeGreaterThan(0);
    for (const r of short) expect(r.values!.words as number).toBeLessThan(50);
    for (const r of removed) expect(r.reason.length).toBeGreaterThan(0);
    // Most posts are ordinary prose and stay.
    expect(kept.length / docs.length).toBeGreaterThan(0.6);
  });
});

describe.runIf(haveSharedData())(
  'Gopher rules as datatrove counts them (scripts/bench/filters-vs-datatrove.mjs)',
  () => {
    const cfg = filterConfigSchema.parse({});
    it('stop words: two distinct ones are needed, repeating one is not enough', async () => {
      const post: string = (await readJsonl<{ text: string }>(newsCorpus)[Symbol.asyncIterator]().next()).value!.text;
      // The words of a real post with every stop word but "the" taken out: "the" occurs often, but it is one word.
      const stop = new Set(cfg.gopher_quality.stop_words.filter(w => w !== 'the'));
      const onlyThe = post
        .split(/\s+/)
        .filter(w => !stop.has(w.toLowerCase().replace(/[^a-z]/g, '')))
        .join(' ');
      expect(onlyThe.split(/\s+/).filter(w => w.toLowerCase() === 'the').length).toBeGreaterThan(2);
      expect(gopherQualityCheck(onlyThe, cfg.gopher_quality)).toMatchObject({
        rule: 'gopher_stop_words',
        values: { stop_words: 1, found: ['the'] },
      });
      expect(gopherQualityCheck(`${onlyThe} and`, cfg.gopher_quality)?.rule).not.toBe('gopher_stop_words');
    });

    it('duplicated n-grams count their words without the spaces between them', async () => {
      // A real sentence repeated: 5-gram duplicates cover the words of every repeat but not its spaces.
      const sentence = 'The space shuttle carried the telescope into a low orbit around the earth';
      const text = Array.from({ length: 4 }, () => sentence).join(' ');
      const r = gopherRepetitionCheck(text, { ...cfg.gopher_repetition, top_n_grams: [], dup_n_grams: [[5, 0]] });
      expect(sentence.split(' ')).toHaveLength(13);
      expect(text).toHaveLength(295);
      // datatrove's find_all_duplicate: every 5-gram of the first 13 words is new; from word 13 on, each is a repeat
      // and the scan jumps 5 words, so words 13-47 are counted (the last 4 cannot start a 5-gram): two whole
      // sentences (2 x 61 letters) and the first 9 words of the fourth (42 letters) = 164 of the 295 characters.
      expect(r?.values).toMatchObject({ n: 5, fraction: 0.5559 });
    });
  },
);

describe.runIf(haveSharedData())('words: punctuation (datatrove-like tokens)', () => {
  it('splits punctuation, quotes and contractions off words, keeps addresses whole', () => {
    expect(punctuationWords('"Hello, world!" I can\'t see e-mail from foo@bar.com (yet)...')).toEqual([
      '"',
      'Hello',
      ',',
      'world',
      '!',
      '"',
      'I',
      'ca',
      "n't",
      'see',
      'e',
      '-',
      'mail',
      'from',
      'foo@bar.com',
      '(',
      'yet',
      ')',
      '...',
    ]);
  });

  it('on real Usenet posts it lowers the share of words with a letter, so gopher_alpha_ratio fires more', async () => {
    const cfg = filterConfigSchema.parse({}).gopher_quality;
    let whitespace = 0,
      punctuation = 0,
      n = 0;
    for await (const r of readJsonl<{ text: string }>(newsCorpus)) {
      if (gopherQualityCheck(r.text, cfg)?.rule === 'gopher_alpha_ratio') whitespace++;
      if (gopherQualityCheck(r.text, { ...cfg, words: 'punctuation' })?.rule === 'gopher_alpha_ratio') punctuation++;
      if (++n === 300) break;
    }
    expect(punctuation).toBeGreaterThan(whitespace * 3);
  });
});
