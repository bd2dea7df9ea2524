import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser } from 'htmlparser2';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeHtml,
  detectHtmlEncoding,
  extractMainText,
  identifyLanguage,
  isBoilerplateName,
} from '../stages/ingest/index.js';
import { cc, haveSharedData, sharedData, tempDir } from './helpers.js';

const pagesDir = join(sharedData, 'extraction', 'mozilla-readability-test-pages');
const trafDir = join(sharedData, 'extraction', 'trafilatura-eval');
const sentencesDir = join(sharedData, 'langid', 'lingua-testdata', 'language-testdata', 'sentences');

/** All text of an HTML document (scripts and styles aside), for the reference side. */
function allText(html: string): string {
  const out: string[] = [];
  let skip = 0;
  const p = new Parser(
    {
      onopentag: n => {
        if (n === 'script' || n === 'style') skip++;
        out.push(' ');
      },
      onclosetag: n => {
        if (n === 'script' || n === 'style') skip--;
        out.push(' ');
      },
      ontext: t => {
        if (!skip) out.push(t);
      },
    },
    { decodeEntities: true },
  );
  p.write(html);
  p.end();
  return out.join('');
}

/** Text inside elements of the given names, one string per outermost element. */
function textInside(html: string, names: Set<string>): string[] {
  const found: string[] = [];
  let depth = 0;
  let skip = 0;
  let cur: string[] = [];
  const p = new Parser(
    {
      onopentag: n => {
        if (n === 'script' || n === 'style') skip++;
        if (names.has(n) && depth++ === 0) cur = [];
        cur.push(' ');
      },
      onclosetag: n => {
        if (n === 'script' || n === 'style') skip--;
        cur.push(' ');
        if (names.has(n) && --depth === 0) found.push(cur.join('').replace(/\s+/g, ' ').trim());
      },
      ontext: t => {
        if (depth > 0 && !skip) cur.push(t);
      },
    },
    { decodeEntities: true },
  );
  p.write(html);
  p.end();
  return found;
}

const tokens = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

function overlap(reference: string[], got: string[]): number {
  const counts = new Map<string, number>();
  for (const t of reference) counts.set(t, (counts.get(t) ?? 0) + 1);
  let n = 0;
  for (const t of got) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      n++;
      counts.set(t, c - 1);
    }
  }
  return n;
}

const f1 = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

describe.runIf(haveSharedData())('extractMainText on real pages', () => {
  const pageNames = () =>
    readdirSync(pagesDir)
      .filter(d => existsSync(join(pagesDir, d, 'expected.html')))
      .sort();

  function score(names: string[]) {
    let inter = 0;
    let ref = 0;
    let got = 0;
    const perPage: { name: string; recall: number; precision: number; refTokens: number }[] = [];
    for (const name of names) {
      const expected = tokens(allText(readFileSync(join(pagesDir, name, 'expected.html'), 'utf8')));
      const text = extractMainText(readFileSync(join(pagesDir, name, 'source.html'), 'utf8'));
      const x = tokens(text);
      const i = overlap(expected, x);
      inter += i;
      ref += expected.length;
      got += x.length;
      perPage.push({
        name,
        recall: expected.length ? i / expected.length : 1,
        precision: x.length ? i / x.length : 0,
        refTokens: expected.length,
      });
    }
    const precision = inter / got;
    const recall = inter / ref;
    return { precision, recall, f1: f1(precision, recall), perPage };
  }

  it('the first 20 Readability test pages: token recall >= 0.8 per page, aggregate F1 >= 0.88', () => {
    const names = pageNames().slice(0, 20);
    expect(names).toHaveLength(20);
    const s = score(names);
    console.log(
      `readability first 20: token P ${s.precision.toFixed(3)} R ${s.recall.toFixed(3)} F1 ${s.f1.toFixed(3)}\n` +
        s.perPage.map(p => `  ${p.name}: R ${p.recall.toFixed(2)} P ${p.precision.toFixed(2)}`).join('\n'),
    );
    // Pages whose expected text is a handful of tokens (entity-unescaping fixtures) are too small to judge.
    for (const p of s.perPage.filter(q => q.refTokens >= 20)) expect(p.recall, p.name).toBeGreaterThanOrEqual(0.8);
    expect(s.recall).toBeGreaterThanOrEqual(0.9);
    expect(s.f1).toBeGreaterThanOrEqual(0.88);
  });

  it('all 130 Readability test pages: aggregate token F1 >= 0.93', () => {
    const s = score(pageNames());
    console.log(
      `readability all ${s.perPage.length}: token P ${s.precision.toFixed(3)} R ${s.recall.toFixed(3)} F1 ${s.f1.toFixed(3)}`,
    );
    expect(s.perPage.length).toBeGreaterThanOrEqual(120);
    expect(s.f1).toBeGreaterThanOrEqual(0.93);
  });

  it('drops nav, header, footer and aside text of the first 20 pages (where Readability drops it too)', () => {
    let checked = 0;
    for (const name of pageNames().slice(0, 20)) {
      const source = readFileSync(join(pagesDir, name, 'source.html'), 'utf8');
      const expected = allText(readFileSync(join(pagesDir, name, 'expected.html'), 'utf8')).replace(/\s+/g, ' ');
      const text = extractMainText(source).replace(/\s+/g, ' ');
      for (const chrome of textInside(source, new Set(['nav', 'footer', 'aside', 'header']))) {
        if (chrome.length < 25 || expected.includes(chrome)) continue;
        expect(text, `${name}: ${chrome.slice(0, 80)}`).not.toContain(chrome);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  describe("trafilatura's evaluation set (990 annotated pages)", () => {
    let root: string;
    let data: Record<string, { file: string; with: string[]; without: string[] }>;
    beforeAll(async () => {
      root = await tempDir('qcc-traf-');
      // A derived tar.xz in shared data; GNU tar and xz are on every machine of this project.
      execFileSync('tar', ['-xJf', join(trafDir, 'html-tests-eval-and-cache.tar.xz'), '-C', root]);
      data = JSON.parse(readFileSync(join(trafDir, 'evaldata.json'), 'utf8'));
    });
    afterAll(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    it('snippet F1 >= 0.92 (qcc 0.925; trafilatura 0.924, jusText 0.862, readability-lxml 0.826 published); cookie banners dropped', () => {
      const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
      let tp = 0;
      let fn = 0;
      let fp = 0;
      let tn = 0;
      let consent = 0;
      let consentLeaks = 0;
      for (const entry of Object.values(data)) {
        const file = [join(root, 'tests', 'eval', entry.file), join(root, 'tests', 'cache', entry.file)].find(
          existsSync,
        );
        expect(file, entry.file).toBeDefined();
        const text = norm(extractMainText(decodeHtml(readFileSync(file!))));
        for (const s of entry.with) text.includes(norm(s)) ? tp++ : fn++;
        for (const s of entry.without) {
          const leaked = text.includes(norm(s));
          leaked ? fp++ : tn++;
          if (/cookie|consent|datenschutz/i.test(s)) {
            consent++;
            if (leaked) consentLeaks++;
          }
        }
      }
      const precision = tp / (tp + fp);
      const recall = tp / (tp + fn);
      console.log(
        `trafilatura eval: ${Object.keys(data).length} pages, P ${precision.toFixed(3)} R ${recall.toFixed(3)} F1 ${f1(precision, recall).toFixed(3)}; ` +
          `cookie/consent snippets leaked ${consentLeaks}/${consent}`,
      );
      expect(f1(precision, recall)).toBeGreaterThanOrEqual(0.92);
      expect(consent).toBeGreaterThanOrEqual(20);
      expect(consentLeaks / consent).toBeLessThanOrEqual(0.15);
    });

    /** The extracted text of one page of the set, whitespace-normalised, and its annotation. */
    function pageText(file: string) {
      const entry = Object.values(data).find(e => e.file === file);
      expect(entry, file).toBeDefined();
      const path = [join(root, 'tests', 'eval', file), join(root, 'tests', 'cache', file)].find(existsSync);
      expect(path, file).toBeDefined();
      const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
      return { text: norm(extractMainText(decodeHtml(readFileSync(path!)))), entry: entry!, norm };
    }

    /** Every must-contain snippet of the page is kept, and the given must-not-contain ones are dropped. */
    function expectPage(file: string, dropped: string[]) {
      const { text, entry, norm } = pageText(file);
      for (const s of entry.with) expect(text, `${file} keeps: ${s}`).toContain(norm(s));
      for (const s of dropped) {
        expect(entry.without, file).toContain(s);
        expect(text, `${file} drops: ${s}`).not.toContain(norm(s));
      }
    }

    it('keeps little after the body (the innermost element holding most of the prose): bios, prompts', () => {
      // A site-wide "about me" box after a tutorial; a "Missed the main event?" prompt after an interview.
      expectPage('statisticsglobe.com.ggplot2.html', ['On this website, I provide statistics tutorials']);
      expectPage('github.blog.spiceland.html', ['Missed the main event?']);
    });

    it('cuts at "Das könnte dich auch interessieren" after the article, with the teasers that follow', () => {
      expectPage('handball.ch-bruderduell.html', ['Das könnte dich']);
      expectPage('reset.org.clickbait.html', ['Das könnte Dich auch interessieren']);
    });

    it('does not take a grid of teasers, each in its own <article>, for the main region', () => {
      // An Elementor glossary entry: the entry's text outside any <article>, four post teasers after it
      // in <article>s (a quarter of the page's text, under the 40% an <article> must hold).
      expectPage('daheim-solar.de.batteriespeicher.html', ['Zu allen Beiträgen']);
    });

    it('reads an unclosed site <header> that swallows the page when nothing else is found', () => {
      // The page never closes <header id="branding">: the article is inside it.
      expectPage('reisen-mit-dem-internet.de.emden-21416.html', []);
    });
  });
});

describe('extractMainText: output shape', () => {
  it('keeps headings, paragraphs, list items, table rows and pre; drops scripts and boilerplate', () => {
    const html = `<html><head><title>T</title><script>var x = "<p>no</p>";</script></head><body>
      <header><div class="logo">Example News</div><nav><a href="/">Home</a> <a href="/a">About</a></nav></header>
      <div class="cookie-banner"><p>We use cookies to improve your experience on this site, accept them all.</p></div>
      <article><div class="article-header"><h1>Bridges of the Rhine</h1></div>
      <p>The river is crossed by many   bridges, some of them &amp; very old. They were built over centuries by towns along the banks.</p>
      <ul><li>Cologne Cathedral bridge, rebuilt in 1948</li><li>Basel Middle Bridge, first built in 1226</li></ul>
      <table><tr><th>City</th><th>Bridges</th></tr><tr><td>Cologne</td><td>8</td></tr></table>
      <pre>  line 1
    line 2</pre>
      <p>More prose follows here, long enough to count as a real paragraph of the article body.</p></article>
      <footer><p>Copyright 2024 Example Corp. All rights reserved. Imprint and privacy policy.</p></footer>
      </body></html>`;
    const text = extractMainText(html);
    expect(text).toBe(
      [
        'Bridges of the Rhine',
        'The river is crossed by many bridges, some of them & very old. They were built over centuries by towns along the banks.',
        '- Cologne Cathedral bridge, rebuilt in 1948\n- Basel Middle Bridge, first built in 1226',
        'City | Bridges\nCologne | 8',
        '  line 1\n    line 2',
        'More prose follows here, long enough to count as a real paragraph of the article body.',
      ].join('\n\n'),
    );
  });

  it('matches boilerplate class/id names as words, not substrings', () => {
    for (const name of ['cookie-banner', 'site-header', 'sidebar', 'ad-slot', 'top_ad', 'shareButtons', 'gdpr consent'])
      expect(isBoilerplateName(name), name).toBe(true);
    for (const name of ['article-header', 'entry-content', 'shadow', 'subheading', 'thread', 'download', 'read-more'])
      expect(isBoilerplateName(name), name).toBe(false);
  });

  it('stays fast on pathological nesting (200,000 unclosed tags)', () => {
    const started = performance.now();
    const text = extractMainText(`<div><p>${'<font>word '.repeat(200_000)}</p></div>`);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(text.startsWith('word word')).toBe(true);
  });

  it('never throws on empty or broken markup', () => {
    expect(extractMainText('')).toBe('');
    expect(extractMainText('<div><p>unclosed <b>tags <i>everywhere')).toBe('');
    expect(() => extractMainText('<<<>>></p></div></div>&&&;')).not.toThrow();
  });
});

/** The payload bytes (after the HTTP head) of the response record for `url` in a WARC file. */
async function payloadOf(file: string, url: string): Promise<Uint8Array> {
  for await (const record of new WARCParser(createReadStream(file), { parseHttp: false })) {
    if (record.warcType === 'response' && record.warcTargetURI === url) {
      const block = Buffer.from(await record.readFully());
      const lf = block.indexOf('\n\n');
      const crlf = block.indexOf('\r\n\r\n');
      return crlf >= 0 && (lf < 0 || crlf < lf) ? block.subarray(crlf + 4) : block.subarray(lf + 2);
    }
    await record.skipFully();
  }
  throw new Error(`${url} not in ${file}`);
}

/**
 * Shift_JIS bytes for a string, from a table built by decoding every Shift_JIS code with the
 * platform's own decoder (no encoder for it is built in). What is under test is the charset choice.
 */
function encodeShiftJis(s: string): Uint8Array {
  const table = new Map<string, number[]>();
  const dec = new TextDecoder('shift_jis');
  for (let b = 0x20; b < 0x7f; b++) table.set(String.fromCharCode(b), [b]);
  for (let lead = 0x81; lead <= 0xfc; lead++) {
    if (lead > 0x9f && lead < 0xe0) continue;
    for (let trail = 0x40; trail <= 0xfc; trail++) {
      if (trail === 0x7f) continue;
      const ch = dec.decode(new Uint8Array([lead, trail]));
      if (ch.length === 1 && ch !== '\ufffd' && !table.has(ch)) table.set(ch, [lead, trail]);
    }
  }
  const out: number[] = [];
  for (const ch of s) {
    const bytes = table.get(ch);
    if (!bytes) throw new Error(`no Shift_JIS code for ${ch}`);
    out.push(...bytes);
  }
  return new Uint8Array(out);
}

describe.runIf(haveSharedData())('decodeHtml on real non-UTF-8 pages', () => {
  const CC2020 = cc('commoncrawl/CC-MAIN-20200808165417-20200808195417-00395.sample.warc.gz');

  it('windows-1251 (a Russian page from Common Crawl): from the header, from <meta>, despite a wrong header', async () => {
    const bytes = await payloadOf(CC2020, 'http://01spb.ru/company/');
    const phrase = 'Стратегия пожарной безопасности';
    expect(new TextDecoder().decode(bytes)).not.toContain(phrase);
    expect(decodeHtml(bytes, 'text/html; charset=windows-1251')).toContain(phrase);
    expect(decodeHtml(bytes)).toContain(phrase);
    expect(decodeHtml(bytes, 'text/html; charset=UTF-8')).toContain(phrase);
    expect(detectHtmlEncoding(bytes)).toBe('windows-1251');
  });

  it('GBK declared only in <meta> (a Chinese page from Common Crawl)', async () => {
    const bytes = await payloadOf(CC2020, 'http://041696.com/15477/list_6_4.html');
    expect(detectHtmlEncoding(bytes, 'text/html')).toBe('gbk');
    expect(decodeHtml(bytes, 'text/html')).toContain('企业公告');
  });

  it('EUC-JP (ClueWeb09, whose header also claims a gzip encoding the bytes do not have)', async () => {
    const bytes = await payloadOf(
      cc('other/clueweb-quirk.warc.gz'),
      'http://www.uraharajuku.st/shopdetail/001005000005/019/000/order/',
    );
    expect(decodeHtml(bytes, 'text/html; charset=EUC-JP')).toContain('アイテム詳細情報');
    expect(decodeHtml(bytes)).toContain('アイテム詳細情報');
  });

  it('Shift_JIS from the header or <meta>; undeclared legacy bytes fall back to windows-1252; never throws', () => {
    const sentence = readFileSync(join(sentencesDir, 'ja.txt'), 'utf8').split('\n')[0]!.trim();
    const body = encodeShiftJis(`<p>${sentence}</p>`);
    expect(new TextDecoder().decode(body)).not.toContain(sentence);
    expect(decodeHtml(body, 'text/html; charset=Shift_JIS')).toContain(sentence);
    expect(decodeHtml(body, 'text/html; charset="x-sjis"')).toContain(sentence);
    const withMeta = new Uint8Array([...encodeShiftJis('<html><head><meta charset="shift_jis"></head>'), ...body]);
    expect(decodeHtml(withMeta)).toContain(sentence);
    expect(detectHtmlEncoding(body)).toBe('windows-1252');
    expect(detectHtmlEncoding(body, 'text/html; charset=no-such-charset')).toBe('windows-1252');
    expect(() => decodeHtml(body, 'text/html; charset=no-such-charset')).not.toThrow();
  });

  it('UTF-8: a BOM wins, and valid UTF-8 is not mangled by a server default of ISO-8859-1', () => {
    const text = 'Grüße aus Köln – 東京';
    const utf8 = new TextEncoder().encode(`<p>${text}</p>`);
    expect(decodeHtml(utf8)).toContain(text);
    expect(decodeHtml(utf8, 'text/html; charset=ISO-8859-1')).toContain(text);
    expect(decodeHtml(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]), 'text/html; charset=windows-1251')).toBe(
      `<p>${text}</p>`,
    );
  });
});

describe.runIf(haveSharedData())('identifyLanguage on real sentences', () => {
  it('>= 0.9 accuracy on 100 sentences each of en, de, fr, ru, ja', () => {
    const report: string[] = [];
    for (const lang of ['en', 'de', 'fr', 'ru', 'ja']) {
      const sentences = readFileSync(join(sentencesDir, `${lang}.txt`), 'utf8')
        .split('\n')
        .map(s => s.trim())
        .filter(s => s.length >= (lang === 'ja' ? 15 : 40))
        .slice(0, 100);
      expect(sentences).toHaveLength(100);
      let right = 0;
      for (const s of sentences) {
        const guess = identifyLanguage(s);
        expect(guess.score).toBeGreaterThanOrEqual(0);
        expect(guess.score).toBeLessThanOrEqual(1);
        if (guess.code === lang) right++;
      }
      report.push(`${lang} ${right}/100`);
      expect(right / 100, lang).toBeGreaterThanOrEqual(0.9);
    }
    console.log(`langid accuracy: ${report.join(', ')}`);
  });

  it('judges a page on its body, not on a stray opening line', () => {
    const german = readFileSync(join(sentencesDir, 'de.txt'), 'utf8').split('\n').slice(0, 8).join(' ');
    expect(identifyLanguage(`Home About Contact Login\n${german}`).code).toBe('de');
  });

  it("'und' with score 0 when there is nothing to judge", () => {
    for (const s of ['', '   ', '12345 67 89 !!!']) expect(identifyLanguage(s)).toEqual({ code: 'und', score: 0 });
  });
});

describe('extractMainText: what follows the article', () => {
  const para = (i: number) =>
    `<p>Paragraph ${i} of the story tells what happened, in full sentences, with enough words to count as prose here.</p>`;
  const story = Array.from({ length: 6 }, (_, i) => para(i)).join('');

  it('cuts at a "Related posts" / "Kommentare" heading after the body, with what follows', () => {
    for (const marker of ['Related posts', 'Ähnliche Beiträge', '3 Kommentare', 'Leave a Reply']) {
      const html = `<body><h1>Title</h1>${story}<h3>${marker}</h3><p>Another story teaser that is long enough to be a paragraph of prose on its own.</p></body>`;
      const text = extractMainText(html);
      expect(text, marker).toContain('Paragraph 5 of the story');
      expect(text, marker).not.toContain('Another story teaser');
    }
  });

  it("keeps a forum thread's posts named as comments; drops an article's comments so named", () => {
    const reply = (i: number) =>
      `<div class="comment"><p>Reply ${i} says what the poster thinks of the story, in a sentence or two of plain words.</p></div>`;
    const replies = Array.from({ length: 12 }, (_, i) => reply(i)).join('');
    const forum = `<body class="page-forums"><div class="post">${story}</div><div class="comments">${replies}</div></body>`;
    expect(extractMainText(forum)).toContain('Reply 7 says');
    const blog = `<body><div class="post">${story}</div><div class="comments">${replies}</div></body>`;
    const text = extractMainText(blog);
    expect(text).toContain('Paragraph 5 of the story');
    expect(text).not.toContain('Reply 7 says');
  });

  it('keeps a short forum thread whose posts sit in a <form> (a moderation form) in a region named as comments', () => {
    const post = (i: number) =>
      `<article><div class="comment-content"><p>Post ${i} asks or answers the question of the thread, in plain words, in two sentences. It is short.</p></div></article>`;
    const posts = Array.from({ length: 4 }, (_, i) => post(i)).join('');
    const about = `<div><p>${'This forum is a place for owners of the product to ask questions and share what they know. '.repeat(5)}</p></div>`;
    const html = `<body><main><div class="topic" id="comments"><form>${posts}</form></div></main>${about}</body>`;
    expect(extractMainText(html)).toContain('Post 3 asks');
  });

  it('keeps a section so named when most of the prose comes after it', () => {
    const html = `<body><p>Intro that is long enough to be a paragraph of prose and so it is counted here.</p><h2>Comments</h2>${story}</body>`;
    expect(extractMainText(html)).toContain('Paragraph 5 of the story');
  });
});

describe('extractMainText: product pages', () => {
  const review = (i: number) =>
    `<p>Review ${i}: I bought this for my daughter and she uses it every day, it works well and looks good too.</p>`;
  const reviews = `<div class="product-reviews">${Array.from({ length: 8 }, (_, i) => review(i)).join('')}</div>`;
  const description =
    '<p>A sturdy steel tumbler with a lid that keeps drinks cold for hours and hot until the last sip.</p>';

  it('drops the customer reviews of a product page, however much prose they hold', () => {
    const html = `<body><main>${description}<button class="add-to-cart">Add to cart</button>${reviews}</main></body>`;
    const text = extractMainText(html);
    expect(text).toContain('A sturdy steel tumbler');
    expect(text).not.toContain('Review 3');
  });

  it('keeps "reviews" that are most of the prose of a page that sells nothing (a service\'s testimonials)', () => {
    const html = `<body><main>${description}${reviews}</main></body>`;
    expect(extractMainText(html)).toContain('Review 3');
  });

  it('skips what a utility class hides ("hide", "d-none"), not what another class shows again or opens', () => {
    const hidden = (cls: string) =>
      `<body><main>${description.repeat(4)}<div class="${cls}"><p>Hidden line ${cls}: the variant data a script reads, long enough to be prose.</p></div></main></body>`;
    expect(extractMainText(hidden('productView-info hide'))).not.toContain('Hidden line');
    expect(extractMainText(hidden('d-none'))).not.toContain('Hidden line');
    expect(extractMainText(hidden('hidden lg:block'))).toContain('Hidden line');
    expect(extractMainText(hidden('d-none d-md-flex'))).toContain('Hidden line');
    expect(extractMainText(hidden('accordion-content hidden'))).toContain('Hidden line');
  });

  it('reads a <main> that an open dialog hid from screen readers (aria-hidden)', () => {
    const html = `<body><div role="dialog">${'<p>Choose what we may store: your choices apply to this site and you may change them at any time.</p>'.repeat(4)}</div><main aria-hidden="true">${description.repeat(4)}</main></body>`;
    expect(extractMainText(html)).toContain('A sturdy steel tumbler');
  });

  it('joins a short table row whose cells hold paragraphs (a spec table) into one row', () => {
    const specs = ['Best Use|Hiking', 'Bag Style|Backpack', 'Frame Type|Internal Frame']
      .map(r => r.split('|'))
      .map(([k, v]) => `<tr><th>${k}</th><td><p>${v}</p></td></tr>`)
      .join('');
    const text = extractMainText(`<body><main>${description.repeat(4)}<table>${specs}</table></main></body>`);
    expect(text).toContain('Best Use | Hiking\nBag Style | Backpack');
  });

  it('keeps the first copy of a section rendered twice, and a paragraph a page repeats in its own right', () => {
    const section = ['Straps', 'Movement', 'Design']
      .map(
        w =>
          `<h3>${w}</h3><p>About the ${w.toLowerCase()}: a paragraph of the product's story long enough to count, told in full sentences for the reader who wants to know more.</p>`,
      )
      .join('');
    const twice = extractMainText(`<body><main>${description}${section}${section}</main></body>`);
    expect(twice.split('About the movement').length).toBe(2);
    const filler = `<p>${'The same filler sentence stands under every heading of this test page, long enough to count. '.repeat(2)}</p>`;
    const repeated = extractMainText(
      `<body><main><h2>One</h2>${filler}<h2>Two</h2>${filler}<h2>Three</h2>${filler}</main></body>`,
    );
    expect(repeated.split('The same filler').length).toBe(7);
  });

  it('skips tooltips (role=tooltip), shown only while the pointer rests on what they explain', () => {
    const html = `<body><main>${description.repeat(4)}<p>Shipping to your country costs US $15.47 and takes about two weeks from the day you order.<span role="tooltip"><span>Customs may apply import fees when your item arrives.</span></span></p></main></body>`;
    const text = extractMainText(html);
    expect(text).toContain('takes about two weeks from the day you order.');
    expect(text).not.toContain('Customs may apply');
  });

  it("reads a product page's details modal; a modal elsewhere stays boilerplate", () => {
    const details = `<div class="product-details-modal">${'<p>Designer: a shelf unit with clean lines, easy to place standing or lying, for books and boxes alike.</p>'.repeat(6)}</div>`;
    const page = (buy: string) => `<body><main>${description.repeat(4)}${buy}${details}</main></body>`;
    expect(extractMainText(page('<button class="add-to-cart">Add to cart</button>'))).toContain(
      'Designer: a shelf unit',
    );
    expect(extractMainText(page(''))).not.toContain('Designer: a shelf unit');
  });
});
