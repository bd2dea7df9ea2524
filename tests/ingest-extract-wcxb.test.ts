// Extraction beyond articles, on real pages of the WCXB development split (../shared/data/extraction/wcxb-dev/):
// each rule that made a difference, on a page where it does, judged by the page's own annotation (its
// main text and its must-contain / must-not-contain snippets), and the split's word F1 as a whole.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeHtml, extractMainText } from '../stages/ingest/index.js';
import { haveSharedData, sharedData } from './helpers.js';

const wcxbDir = join(sharedData, 'extraction', 'wcxb-dev', 'dev');

interface GroundTruth {
  file_id?: string;
  _internal: { page_type: { primary: string } };
  ground_truth: { main_content: string | null; with: string[]; without: string[] };
}

const groundTruth = (id: string): GroundTruth =>
  JSON.parse(readFileSync(join(wcxbDir, 'ground-truth', `${id}.json`), 'utf8'));
const extract = (id: string) =>
  extractMainText(decodeHtml(gunzipSync(readFileSync(join(wcxbDir, 'html', `${id}.html.gz`)))));

/** WCXB's words: lower-cased \w+ runs (Python's \w is Unicode letters, digits, marks and _). */
const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}\p{M}_]+/gu) ?? [];
const phrase = (s: string) => ` ${words(s).join(' ')} `;

/** WCXB's metric: bag-of-words F1 of the extracted text against the annotated main text. */
function wordF1(predicted: string, reference: string): number {
  const ref = words(reference);
  const pred = words(predicted);
  if (ref.length === 0) return pred.length === 0 ? 1 : 0;
  if (pred.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const w of ref) counts.set(w, (counts.get(w) ?? 0) + 1);
  let overlap = 0;
  for (const w of pred) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      overlap++;
      counts.set(w, c - 1);
    }
  }
  const p = overlap / pred.length;
  const r = overlap / ref.length;
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

/**
 * The page's word F1 against its annotated main text reaches minF1, at least minWith of its
 * must-contain snippets are kept and the given must-not-contain ones dropped (word for word).
 */
function expectPage(
  id: string,
  { minF1, minWith, dropped = [] }: { minF1: number; minWith: number; dropped?: string[] },
) {
  const gt = groundTruth(id);
  const text = extract(id);
  const got = phrase(text);
  const kept = gt.ground_truth.with.filter(s => got.includes(phrase(s)));
  expect(kept.length, `${id} keeps ${kept.length} of ${JSON.stringify(gt.ground_truth.with)}`).toBeGreaterThanOrEqual(
    minWith,
  );
  for (const s of dropped) {
    expect(gt.ground_truth.without, id).toContain(s);
    expect(got, `${id} drops: ${s}`).not.toContain(phrase(s));
  }
  expect(wordF1(text, gt.ground_truth.main_content ?? ''), id).toBeGreaterThanOrEqual(minF1);
}

describe.runIf(haveSharedData() && existsSync(wcxbDir))('extractMainText on WCXB pages that are not articles', () => {
  it('reads past "<![CDATA[" in the body, a bogus comment that ends at the next ">" (a forum thread)', () => {
    // forums.tomshardware.com opens its <body> with an unterminated "<![CDATA[": read as a CDATA
    // section, it hid the whole thread.
    expectPage('4311', { minF1: 0.8, minWith: 3, dropped: ['You must log in or register to reply here.'] });
  });

  it('keeps the replies of a forum thread named as comments, each too short to stand alone (a forum thread)', () => {
    // wallstreetoasis.com: the replies sit in <div class="comment-forum-wrapper">, each in a <div class="comment">,
    // on a page whose <body> is named "page-forums": judged one by one, every reply went (F1 0.35).
    expectPage('2201', { minF1: 0.95, minWith: 3 });
  });

  it('keeps a short thread over the consent banner that follows <main> (a forum thread of two posts)', () => {
    // forum.corsair.com: two short posts in <div class="cTopic" id="comments"><form>, inside <main>; the OneTrust
    // banner after it held five times the prose and was taken for the page's text (F1 0.14).
    const text = extract('0543');
    expect(text).not.toContain('We use cookies and pixel tracking');
    expectPage('0543', { minF1: 0.9, minWith: 2 });
  });

  it('reads an article inside a banner <aside> the page never closes (a blog post)', () => {
    // fermyon.com opens <aside class="announcement-banner"> and never closes it: the whole post is inside it, as a
    // browser reads it, and came out empty. The relaxed pass keeps an <aside> that holds most of the prose.
    expectPage('4459', { minF1: 0.9, minWith: 3 });
  });

  it('reads collapsed accordion panels (role="region", display:none until opened): a guide’s steps', () => {
    // energysage.com's installation guide keeps each step in an accordion panel hidden until a reader opens it.
    expectPage('4193', { minF1: 0.9, minWith: 3 });
  });

  it('reads React streamed content sent in <div hidden id="S:1"> (a product page)', () => {
    expectPage('0589', { minF1: 0.7, minWith: 0, dropped: ['Add to cart'] });
  });

  it('reads a hidden main region when nothing else is found (a shop grid behind display:none)', () => {
    // deathwishcoffee.com: the product grid sits in <div class="easylockdown-content" style="display:none;">.
    expectPage('0638', { minF1: 0.25, minWith: 4, dropped: ['GET WIRED WITH US', 'Filter and sort'] });
  });

  it('leaves a cookie banner out of the relaxed pass too (a listing whose items the first pass missed)', () => {
    // thomann.de: the headphone listing is found only by the relaxed pass, which keeps soft regions; its cookie
    // banner (`spicy-consent-wrapper`) came with it, first on the page. Consent, ads, sign-ups and share buttons
    // are judged as in the first pass (F1 0.71 -> 0.82).
    const text = extract('2936');
    expect(text).toContain('Sennheiser HD-490 PRO');
    expect(text).not.toContain('With our cookies we would like to offer you the best shopping experience');
    expectPage('2936', { minF1: 0.8, minWith: 0 });
  });

  it('takes the relaxed pass when the first finds no text at all (a category grid its article rules drop)', () => {
    // peacetarget.com: the first pass finds the category headings only (under 250 characters, none kept), the relaxed
    // one their main region, whose article rules keep nothing either: it came out empty (F1 0 -> 0.47).
    expectPage('4509', { minF1: 0.4, minWith: 0 });
  });

  it('drops a consent banner even when it holds most of the prose (a recipe listing, a forum thread)', () => {
    // seriouseats.com: the OneTrust preference centre (`onetrust-consent-sdk`) outweighed the linked recipe titles and
    // was kept as most of the page's prose (F1 0.06 -> 0.97).
    const text = extract('2974');
    expect(text).not.toContain('We Care About Your Privacy');
    expectPage('2974', { minF1: 0.9, minWith: 5 });
    // wired.com: a consent banner named by its vendor only, in role="alertdialog".
    expect(extract('2971')).not.toContain('partners use cookies and similar methods');
  });

  it('keeps the region of a listing of teasers: linked titles between kept descriptions (a recipe index)', () => {
    // pinchofyum.com: the article rules kept the intro and one description, long paragraphs, and dropped the recipes'
    // linked titles between them (F1 0.38 -> 0.96); npr.org's section page likewise (0.17 -> 0.79).
    expectPage('4636', { minF1: 0.9, minWith: 4 });
    expectPage('3011', { minF1: 0.7, minWith: 2 });
  });

  it('keeps the main region of a page whose items are short and linked (a best-seller grid)', () => {
    // Amazon's best sellers: titles, ratings and prices of 30 linked items, no paragraph of prose
    // (before: only the one-line lead, F1 0.02).
    // Its footer's one-link list items ("Careers") go as menu entries outside <nav>.
    expectPage('2920', { minF1: 0.8, minWith: 5, dropped: ['Careers'] });
  });

  it('keeps it when the article rules kept no long paragraph, even if the region has one (a catalogue listing)', () => {
    // onlinebooks: a subject's catalogue entries in one table, a long descriptive entry among them.
    // (Its one-word "broader terms" links, "Hardware" and "Catalogs", go as menu entries: 3 of 4 snippets.)
    expectPage('4533', { minF1: 0.95, minWith: 3 });
  });

  it('keeps Elementor "widget" headings and text; drops product reviews (a service and a product page)', () => {
    expectPage('0716', { minF1: 0.9, minWith: 3, dropped: ['Privacy Policy', 'Contact Us'] });
    // IKEA: the "reviews" block drops (its text is not the product's); the description stays.
    const text = extract('0622');
    expect(text).toContain('KALLAX series adapts to taste');
    expect(text).not.toContain('I love the combination of Oak stained shelf unit');
  });

  it('still reads an article as one: an article page scores as before', () => {
    // scratchculinary.com: a blog post (the split's first page).
    expectPage('0001', { minF1: 0.95, minWith: 3, dropped: ['Order Now'] });
  });

  it('word F1 on the development part (sha1(file_id)[0] < 128): >= 0.84 overall, >= 0.93 on articles', () => {
    const byType = new Map<string, { n: number; f1: number }>();
    for (const name of readdirSync(join(wcxbDir, 'ground-truth')).filter(f => f.endsWith('.json'))) {
      const id = name.slice(0, -'.json'.length);
      const gt = groundTruth(id);
      if (
        createHash('sha1')
          .update(gt.file_id ?? id)
          .digest()[0]! >= 128
      )
        continue;
      const f1 = wordF1(extract(id), gt.ground_truth.main_content ?? '');
      for (const type of ['all', gt._internal.page_type.primary]) {
        const t = byType.get(type) ?? { n: 0, f1: 0 };
        t.n++;
        t.f1 += f1;
        byType.set(type, t);
      }
    }
    const mean = (type: string) => byType.get(type)!.f1 / byType.get(type)!.n;
    console.log(`WCXB dev part: ${[...byType].map(([t, v]) => `${t} ${(v.f1 / v.n).toFixed(3)} (${v.n})`).join(', ')}`);
    expect(byType.get('all')!.n).toBe(760);
    expect(mean('all')).toBeGreaterThanOrEqual(0.84);
    expect(mean('article')).toBeGreaterThanOrEqual(0.93);
    for (const type of ['collection', 'listing', 'product']) expect(mean(type), type).toBeGreaterThanOrEqual(0.6);
  });
});
