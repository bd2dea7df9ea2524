import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../pipeline/jsonl.js';
import { testContext, type Doc, type Removal } from '../pipeline/types.js';
import { readArchive } from '../stages/ingest/archive.js';
import { ingestConfigSchema } from '../stages/ingest/config.js';
import { filterConfigSchema, filterStage, type C4Doc } from '../stages/filter/index.js';
import { cc, haveSharedData, newsCorpus, tempDir } from './helpers.js';

async function ccPages(file: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  for await (const d of readArchive(cc(file), testContext(ingestConfigSchema.parse({ min_text_chars: 0 })))) docs.push(d);
  return docs;
}

async function run(docs: Doc[], config: unknown, blocklist?: string) {
  const cfg = filterConfigSchema.parse(config);
  const removed: Removal<Doc>[] = [];
  const ctx = { ...testContext(cfg), remove: (r: Removal) => removed.push(r as Removal<Doc>) };
  const kept: Doc[] = [];
  for await (const d of filterStage(cfg, blocklist)((async function* () { yield* docs; })(), ctx)) kept.push(d);
  return { kept, removed, ruleOf: (url: string) => removed.find((r) => r.record.url === url)?.rule, counters: ctx.counters };
}

describe.runIf(haveSharedData())('quality filters on real pages', () => {
  it('removes known boilerplate pages by the expected Gopher rule and keeps real articles', async () => {
    const pages = [...(await ccPages('other/sample-0001.warc.gz')), ...(await ccPages('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz'))];
    const { kept, removed, ruleOf } = await run(pages, {});
    expect(kept.length + removed.length).toBe(pages.length);
    // A lab home page whose text is the same project blurbs repeated: duplicated paragraphs.
    expect(ruleOf('https://prior.allenai.org/')).toBe('gopher_dup_para_char_frac');
    // Cycling statistics pages: tables of numbers, few words with letters.
    const stats = removed.find((r) => r.record.url?.startsWith('http://06.live-radsport.ch/fahrerstatistik_801/'))!;
    expect(stats.rule).toBe('gopher_alpha_ratio');
    // An empty product listing: too few words.
    expect(ruleOf('http://035.psb556.com/24/i/u_1090813/article.html')).toBe('gopher_short_doc');
    const r = removed.find((x) => x.rule === 'gopher_alpha_ratio')!;
    expect(r.values).toMatchObject({ min: 0.8 });
    expect(r.values!.ratio as number).toBeLessThan(0.8);
    expect(kept.map((d) => d.url)).toContain('https://creativecommons.org/mission/');
  });

  it('language filter removes pages outside the wanted languages with the score that decided', async () => {
    const pages = await ccPages('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz');
    const { kept, removed } = await run(pages, { language: { enabled: true }, gopher_quality: { enabled: false }, gopher_repetition: { enabled: false } });
    expect(kept.every((d) => d.lang?.code === 'en' && d.lang.score >= 0.65)).toBe(true);
    const zh = removed.find((r) => r.record.lang?.code === 'zh')!;
    expect(zh.rule).toBe('language');
    expect(zh.values).toMatchObject({ code: 'zh' });
  });

  it('C4 drops lines it does not want, records them on the document, and removes lorem ipsum pages', async () => {
    const pages = [...(await ccPages('other/sample-0000.warc.gz')), ...(await ccPages('other/sample-0001.warc.gz'))];
    const lorem = { ...pages.find((d) => d.url === 'https://creativecommons.org/mission/')!, id: 'lorem', url: 'https://example.org/template' };
    lorem.text = lorem.text + '\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.';
    const only = { gopher_quality: { enabled: false }, gopher_repetition: { enabled: false }, c4: { enabled: true } };
    const { kept, ruleOf, counters } = await run([...pages, lorem], only);
    expect(ruleOf('https://example.org/template')).toBe('c4_lorem_ipsum');
    const mission = kept.find((d) => d.url === 'https://creativecommons.org/mission/') as C4Doc;
    const original = pages.find((d) => d.url === 'https://creativecommons.org/mission/')!;
    const dropped = mission.quality!.c4_removed_lines!;
    expect(dropped.length).toBeGreaterThan(0);
    for (const line of dropped) {
      expect(original.text).toContain(line.line);
      expect(mission.text.split('\n')).not.toContain(line.line);
    }
    expect(dropped.some((l) => l.rule === 'no_terminal_punct')).toBe(true);
    expect(counters.get('c4.lines_removed.no_terminal_punct')).toBeGreaterThan(0);
  });

  it('URL blocklist removes a domain and its subdomains, naming the entry', async () => {
    const pages = await ccPages('other/sample-0000.warc.gz');
    const dir = await tempDir();
    const list = join(dir, 'blocklist.txt');
    writeFileSync(list, '# test list\nmaria-antoniak.github.io\nhttps://soldaini.net/facts\n');
    const { kept, removed } = await run(pages, { gopher_quality: { enabled: false }, gopher_repetition: { enabled: false }, url_blocklist: { file: list } }, list);
    const blocked = removed.map((r) => r.record.url);
    expect(blocked.filter((u) => u?.startsWith('https://maria-antoniak.github.io/')).length).toBe(pages.filter((d) => d.url?.startsWith('https://maria-antoniak.github.io/')).length);
    expect(blocked).toContain('https://soldaini.net/facts/');
    expect(kept.map((d) => d.url)).toContain('https://soldaini.net/');
    expect(removed[0]!.values).toHaveProperty('entry');
  });

  it('Gopher rules on 20 Newsgroups posts: every removal names its rule and values, none is silent', async () => {
    const docs: Doc[] = [];
    for await (const r of readJsonl<{ id: string; text: string }>(newsCorpus)) {
      docs.push({ id: r.id, text: r.text, source: { kind: 'corpus', file: newsCorpus, line: docs.length + 1, original_id: r.id } });
      if (docs.length === 3000) break;
    }
    const { kept, removed } = await run(docs, {});
    expect(kept.length + removed.length).toBe(docs.length);
    const short = removed.filter((r) => r.rule === 'gopher_short_doc');
    expect(short.length).toBeGreaterThan(0);
    for (const r of short) expect(r.values!.words as number).toBeLessThan(50);
    for (const r of removed) expect(r.reason.length).toBeGreaterThan(0);
    // Most posts are ordinary prose and stay.
    expect(kept.length / docs.length).toBeGreaterThan(0.6);
  });
});
