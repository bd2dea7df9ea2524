/**
 * Main-text extraction from HTML.
 *
 * One pass of a hand-written scanner (html-scan.ts), no DOM: this runs on every page at Common
 * Crawl scale, where building a tree per page costs more than the rest of ingest together.
 *
 * The pass cuts the page into blocks at block-level elements (paragraphs, headings, list items, table
 * rows, pre, ...) and records for each block its text, how much of it is link text, its kind and
 * whether it sits inside <article>/<main>. Non-content elements (script, style, nav, header, footer,
 * aside, hidden nodes...) are never collected. Elements whose class/id name them as boilerplate
 * (cookie banner, sidebar, share buttons...) and <form>s are collected tentatively and dropped when
 * they close, unless they turn out to hold most of the page's prose (a page-wide ASP.NET <form>, a
 * "has-sidebar" wrapper): blocks are appended in document order, so such a region is always the tail
 * of the block list and dropping it is a truncation. A short post-pass then prefers <article>/<main>
 * when it holds enough text, drops link-heavy blocks, link-list runs and short orphans, cuts at a
 * "related posts" heading, keeps little outside the innermost element holding most of the prose (the
 * body), and joins. A page whose main region these article rules mostly throw away, with no long
 * paragraph among what they keep (a listing, a product grid, a service page), gets its main region
 * instead, menus outside <nav> aside (notArticleRegion). A section the page renders twice keeps its first copy.
 */
import type { HtmlSource } from './decode.js';
import {
  hasContentWord,
  isBoilerplateName,
  isCommentName,
  isConsentName,
  isForumName,
  isNeverContentName,
  isReviewName,
} from './class-names.js';
import { scanHtml, type ScanAttrs } from './html-scan.js';
import { countRun, type RunCounts } from './text-run.js';

type Kind = 'p' | 'h' | 'li' | 'row' | 'pre';

interface Block {
  text: string;
  kind: Kind;
  /** Non-whitespace characters, and those of them inside links. */
  chars: number;
  linkChars: number;
  /** Words outside links: prose has them between its links, a row of links has none. */
  plainWords: number;
  /** Inside <article>, <main>, role=main or itemprop=articleBody. */
  inArticle: boolean;
  /** A list item continued after a <br>: no bullet. */
  cont: boolean;
  /** Index in the page's block list. */
  idx: number;
}

/** The blocks [start, end) of one block-level element. */
interface Region {
  start: number;
  end: number;
}

/** A table row of at most this many blocks and characters is joined into one (Collector.joinRow). */
const ROW_JOIN_BLOCKS = 6;
const ROW_JOIN_CHARS = 400;

/** Never collected, nor anything inside. */
const SKIP_TAGS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'canvas',
  'video',
  'audio',
  'picture',
  'map',
  'head',
  'title',
  'button',
  'select',
  'option',
  'optgroup',
  'datalist',
  'textarea',
  'input',
  'dialog',
  'nav',
  'aside',
  'header',
  'footer',
  'menu',
  'figcaption',
]);

/** Collected tentatively: dropped on close unless they hold most of the page's prose. */
const SOFT_TAGS = new Set(['form']);
/**
 * Good characters a soft region must hold to be kept as most of the page's prose; a forum's thread (Frame.drop 4) of
 * two or three short posts holds fewer.
 */
const SOFT_GOOD = 500;
const THREAD_GOOD = 250;
/**
 * Good characters inside <article>/<main> before a region named as never content (a consent banner) past which that
 * region is not taken for the page's text, however much prose it holds: the page's own text came first.
 */
const MAIN_FOUND = 250;

/** Elements that end the current block when they open or close. */
const BLOCK_TAGS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'caption',
  'center',
  'dd',
  'details',
  'dialog',
  'dir',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hgroup',
  'hr',
  'html',
  'legend',
  'li',
  'main',
  'menu',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
  'br',
  'noscript',
  'iframe',
  'video',
  'audio',
  'option',
]);

const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

/**
 * React's streaming server rendering sends late content in `<div hidden id="S:1">`, which its script
 * moves into place: the page's main text, not hidden boilerplate.
 */
const STREAMED_ID = /^S:\d+$/;
function isStreamedContent(attrs: ScanAttrs): boolean {
  return attrs.hidden && attrs.id !== undefined && STREAMED_ID.test(attrs.id);
}

/**
 * A collapsed accordion or tab panel (ARIA role "region" or "tabpanel"): hidden until a reader opens it, but the
 * page's content, as a reader who clicks sees it (a guide's steps, an FAQ's answers).
 */
function isCollapsedPanel(attrs: ScanAttrs): boolean {
  return attrs.role === 'region' || attrs.role === 'tabpanel';
}

/** Utility classes that hide an element (Bootstrap's "hide", "d-none", Tailwind's "hidden"). */
const HIDDEN_CLASSES = new Set(['hide', 'hidden', 'd-none', 'is-hidden', 'u-hidden', 'display-none']);
/**
 * A class that shows it again at some screen width ("hidden lg:block", "d-none d-md-flex"), or names a collapsed
 * accordion or tab panel, read as isCollapsedPanel reads them.
 */
const SHOWN_CLASS =
  /(?:^|[:-])(?:block|flex|grid|inline|inline-block|inline-flex|table|contents)$|accordion|collapse|tab/;

/** Hidden by a utility class, and not shown again (nor a panel that opens) by another. */
function isHiddenClass(cls: string): boolean {
  if (!cls.includes('hid') && !cls.includes('none')) return false;
  let hidden = false;
  for (const c of cls.split(/\s+/)) {
    if (HIDDEN_CLASSES.has(c)) hidden = true;
    else if (SHOWN_CLASS.test(c)) return false;
  }
  return hidden;
}

const HIDDEN_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i;
const SOFT_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'menu', 'menubar', 'search']);

interface Frame {
  name: string;
  /**
   * 1: skipped subtree; 2: tentative (soft) region; 3: a soft region named as never content (isNeverContentName),
   * judged as in the first pass even when relaxed; 4: a soft region named as a comment or a thread of them
   * (isCommentName); 5: a consent banner (isConsentName) or an alert dialog, dropped whatever it holds; 6: a product
   * page's customer reviews, dropped however much prose they hold. (A value here, not a ninth field: one more field
   * on every frame made extraction 8% slower, extract-ab.mjs.)
   */
  drop: 0 | 1 | 2 | 3 | 4 | 5 | 6;
  /** Block index when a soft region opened. */
  blockStart: number;
  article: boolean;
  link: boolean;
  /** A <header> kept as part of the article. */
  header: boolean;
  /** Block kind this element sets for text directly inside it, if it is a block element. */
  kind: Kind | undefined;
  /** Block index when this block element opened. */
  regionStart: number;
}

/** Sentence-ending punctuation followed by space or the end. */
const SENTENCE_END = /[.!?\u3002\uff01\uff1f](?:\s|$)/;

/** Running prose: sentences, with words of its own between any links (a wiki lead, not a menu). */
function isProse(b: Block): boolean {
  return b.plainWords >= 4 && SENTENCE_END.test(b.text);
}

/** A block is "good" prose: long enough and not mostly links. */
function isGood(b: Block): boolean {
  if (b.chars < 60 || b.kind === 'h') return false;
  return b.linkChars <= 0.3 * b.chars || (isProse(b) && b.linkChars <= 0.8 * b.chars);
}

/**
 * A shop's product page, by its schema.org markup (JSON-LD or microdata), its Open Graph type or an add-to-cart
 * control. A service's landing page names its testimonials "reviews" too, and they are its text; a product's
 * customer reviews are not.
 */
const PRODUCT_MARKUP =
  /"@type"\s*:\s*"Product"|schema\.org\/Product\b|og:type"\s+content="product\b|add[-_ ]?to[-_ ]?(?:cart|basket|bag)/i;

/** Whether a page is a product page (PRODUCT_MARKUP), tested once for both passes and only if a rule asks. */
function productTest(html: string): () => boolean {
  let result: boolean | undefined;
  return () => (result ??= PRODUCT_MARKUP.test(html));
}

class Collector {
  readonly blocks: Block[] = [];
  /** Block elements that hold blocks, in the order they closed. */
  readonly regions: Region[] = [];
  /**
   * Relaxed: the second pass for pages where the first finds (almost) nothing: boilerplate-named
   * regions are kept, <noscript> is read (Blogger, for one, puts the post in a <noscript> copy) and so
   * is <header> (an unclosed site header holds the whole page), and hidden elements (a shop hides its
   * product grid with display:none until a script has run).
   */
  constructor(
    private readonly relaxed = false,
    private readonly isProductPage: () => boolean = () => false,
  ) {}
  /** goodPrefix[i] = good characters in blocks[0..i); articleGood[i], those of them inside <article>/<main>. */
  private readonly goodPrefix: number[] = [0];
  private readonly articleGood: number[] = [0];
  /**
   * Open elements, innermost last: frames[0, open). Frame objects are reused by depth (one per element
   * of every page was a large share of the garbage).
   */
  private readonly frames: Frame[] = [];
  private openCount = 0;

  private pushFrame(name: string): Frame {
    let f = this.frames[this.openCount];
    if (f === undefined) {
      f = { name, drop: 0, blockStart: 0, article: false, link: false, header: false, kind: undefined, regionStart: 0 };
      this.frames.push(f);
    } else {
      f.name = name;
      f.drop = 0;
      f.blockStart = 0;
      f.article = false;
      f.link = false;
      f.header = false;
      f.kind = undefined;
      f.regionStart = 0;
    }
    this.openCount++;
    return f;
  }
  /** Kinds of the open block elements, innermost last. */
  private readonly kinds: Kind[] = [];
  private skipDepth = 0;
  private articleDepth = 0;
  private linkDepth = 0;
  private headerDepth = 0;
  /** Open soft regions, and those of them named as comments outside any other (Frame.drop 4). */
  private softDepth = 0;
  private commentDepth = 0;
  /** Open elements when the outermost open element named as a forum or a thread opened, else -1. */
  private forumAt = -1;

  private parts: string[] = [];
  private readonly counts: RunCounts = { chars: 0, words: 0, messy: false, startsSpace: false, endsSpace: false };
  /** The parts so far hold whitespace other than single spaces between words (see flush). */
  private partsMessy = false;
  private partsEndSpace = false;
  private partChars = 0;
  private partLinkChars = 0;
  private partPlainWords = 0;
  private kind: Kind = 'p';
  private cont = false;
  private startedInArticle = false;

  /** Open elements: closing an end tag searches the stack, so depth is capped. */
  get depth(): number {
    return this.openCount;
  }

  /**
   * A <header> that belongs to the article (its title, lead, date), not the site's masthead: inside
   * <article>/<main>, or named as content ("entry-header", "article-header").
   */
  private isContentHeader(cls: string, id: string): boolean {
    return this.articleDepth > 0 || hasContentWord(cls, id);
  }

  /**
   * A comment inside a comments region is judged with the thread, not on its own: a forum names its posts
   * "comment" in a thread named "comments", and each post alone is too short to be kept as most of the page.
   */
  private inCommentThread(cls: string, id: string): boolean {
    return this.commentDepth > 0 && isCommentName(cls, id);
  }

  /** Frame.drop of a soft region opening here. */
  private softKind(named: boolean, cls: string, id: string, role: string | undefined): 2 | 3 | 4 | 5 | 6 {
    // A consent banner's policy text can outweigh a listing's linked items: it is dropped even as most of the prose,
    // and so is an alert dialog (ARIA's interrupting message: a consent banner with no such name, an age gate).
    if (role === 'alertdialog' || (named && isConsentName(cls, id))) return 5;
    if (!named) return 2;
    if (isReviewName(cls, id) && this.isProductPage()) return 6;
    // The relaxed pass keeps soft regions to find text the first pass missed; a cookie banner is not such text.
    if (isNeverContentName(cls, id)) return 3;
    return this.softDepth === 0 && this.forumAt > 0 && isCommentName(cls, id) ? 4 : 2;
  }

  get skipping(): boolean {
    return this.skipDepth > 0;
  }

  /** Whitespace is verbatim only in <pre>; elsewhere flush() collapses it. */
  get keepsSpace(): boolean {
    return this.kind === 'pre';
  }

  open(name: string, attrs: ScanAttrs): void {
    if (this.skipDepth > 0) {
      this.pushFrame(name).drop = 1;
      this.skipDepth++;
      return;
    }
    const frame = this.pushFrame(name);
    const cls = attrs.cls ?? '';
    const id = attrs.id ?? '';
    const role = attrs.role;
    const named = cls !== '' || id !== '';
    if (
      (SKIP_TAGS.has(name) &&
        !(this.relaxed && (name === 'noscript' || name === 'header' || name === 'aside')) &&
        !(name === 'header' && this.isContentHeader(cls, id))) ||
      (!this.relaxed &&
        (attrs.hidden ||
          // A dialog open when the page was saved hides the rest of the page from screen readers, <main> too.
          (attrs.ariaHidden === 'true' && name !== 'main') ||
          isHiddenClass(cls) ||
          // A tooltip shows only while the pointer rests on what it explains.
          role === 'tooltip' ||
          (attrs.style !== undefined && HIDDEN_STYLE.test(attrs.style))) &&
        !isStreamedContent(attrs) &&
        !isCollapsedPanel(attrs))
    ) {
      if (name !== 'html' && name !== 'body') {
        if (name === 'br' || BLOCK_TAGS.has(name)) this.flush();
        frame.drop = 1;
        this.skipDepth++;
        return;
      }
    }
    if (this.forumAt < 0 && named && isForumName(cls, id)) this.forumAt = this.openCount;
    const isArticle = name === 'article' || name === 'main' || role === 'main' || attrs.itemprop === 'articleBody';
    if (
      !isArticle &&
      name !== 'html' &&
      name !== 'body' &&
      ((SOFT_TAGS.has(name) && this.commentDepth === 0) ||
        // Relaxed, an <aside> is kept only if it holds most of the prose: a page that never closes its banner
        // <aside> has the article inside it, as a browser reads it.
        (this.relaxed && name === 'aside') ||
        (role !== undefined && SOFT_ROLES.has(role)) ||
        role === 'alertdialog' ||
        (named && isBoilerplateName(cls, id, this.isProductPage) && !this.inCommentThread(cls, id)))
    ) {
      this.flush();
      frame.drop = this.softKind(named, cls, id, role);
      if (frame.drop === 4) this.commentDepth++;
      this.softDepth++;
      frame.blockStart = this.blocks.length;
    }
    if (name === 'header') {
      frame.header = true;
      this.headerDepth++;
    }
    if (isArticle) {
      frame.article = true;
      this.articleDepth++;
    }
    if (name === 'a' && attrs.href !== undefined) {
      frame.link = true;
      this.linkDepth++;
    }
    if (name === 'br') {
      // The scanner closes void elements at once. A break is a newline in <pre>, a space in a table
      // row, and elsewhere ends the block (a list item goes on without a new bullet).
      if (this.kind === 'pre') this.parts.push('\n');
      else if (this.kind === 'row') this.pushSeparator(' ');
      else {
        const k = this.kind;
        this.flush();
        this.kind = k;
        this.cont = k === 'li';
      }
    } else if (BLOCK_TAGS.has(name)) {
      if ((name === 'td' || name === 'th') && this.kind === 'row') {
        if (this.parts.length > 0 && this.partChars > 0) this.pushSeparator(' | ');
      } else {
        this.flush();
        frame.kind = HEADINGS.has(name)
          ? 'h'
          : name === 'li' || name === 'dt'
            ? 'li'
            : name === 'tr' || name === 'td' || name === 'th'
              ? 'row'
              : name === 'pre'
                ? 'pre'
                : 'p';
        this.kind = frame.kind;
        this.kinds.push(frame.kind);
        frame.regionStart = this.blocks.length;
      }
    }
  }

  close(): void {
    if (this.openCount === 0) return;
    // The frame object is reused by the next open(): read what is needed here.
    const frame = this.frames[--this.openCount]!;
    if (this.openCount < this.forumAt) this.forumAt = -1;
    if (frame.drop === 1 && this.skipDepth > 0) {
      this.skipDepth--;
      return;
    }
    if (frame.link) this.linkDepth--;
    if (frame.kind !== undefined) {
      this.flush();
      // Text after a nested block belongs to the nearest enclosing block element.
      this.kinds.pop();
      this.kind = this.kinds[this.kinds.length - 1] ?? 'p';
      if (frame.name === 'tr') this.joinRow(frame.regionStart);
      if (this.blocks.length > frame.regionStart + 1)
        this.regions.push({ start: frame.regionStart, end: this.blocks.length });
    }
    if (frame.drop >= 2) {
      this.flush();
      if (frame.drop >= 5) this.dropSoftRegion(frame.blockStart);
      else
        this.closeSoftRegion(
          frame.blockStart,
          this.relaxed && (frame.name === 'aside' || frame.drop === 3),
          frame.drop === 4 ? THREAD_GOOD : SOFT_GOOD,
          frame.drop === 3,
        );
      if (frame.drop === 4) this.commentDepth--;
      this.softDepth--;
    }
    if (frame.article) this.articleDepth--;
    if (frame.header) this.headerDepth--;
  }

  /** A separator between cells or lines; it may double a space, so the block gets the full whitespace pass. */
  private pushSeparator(s: string): void {
    this.parts.push(s);
    this.partsMessy = true;
  }

  text(data: string): void {
    if (this.skipDepth > 0 || data.length === 0) return;
    const counts = this.counts;
    countRun(data, this.linkDepth === 0, counts);
    const n = counts.chars;
    if (this.parts.length === 0) {
      if (n === 0) return;
      this.startedInArticle = this.articleDepth > 0;
    }
    this.parts.push(data);
    if (counts.messy || (counts.startsSpace && this.partsEndSpace)) this.partsMessy = true;
    this.partsEndSpace = counts.endsSpace;
    this.partChars += n;
    if (this.linkDepth > 0) this.partLinkChars += n;
    else this.partPlainWords += counts.words;
  }

  /**
   * A short table row whose cells hold paragraphs ("<th>Weight</th><td><p>1 lb</p></td>", a product's spec table) is
   * one row, its cells joined, as a row of plain cells is: apart, the label and its value were orphans the article
   * rules dropped one by one.
   */
  private joinRow(start: number): void {
    const blocks = this.blocks;
    const n = blocks.length - start;
    if (n < 2 || n > ROW_JOIN_BLOCKS) return;
    let chars = 0;
    for (let i = start; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (b.kind !== 'row' && b.kind !== 'p') return;
      chars += b.chars;
    }
    if (chars > ROW_JOIN_CHARS) return;
    const first = blocks[start]!;
    // A cell's text flushed at a paragraph ends with the separator the next cell opened with.
    const cell = (b: Block) => b.text.replace(/\s*\|$/, '');
    const row: Block = { ...first, text: cell(first), kind: 'row', cont: false };
    for (let i = start + 1; i < blocks.length; i++) {
      const b = blocks[i]!;
      row.text += ` | ${cell(b)}`;
      row.chars += b.chars;
      row.linkChars += b.linkChars;
      row.plainWords += b.plainWords;
    }
    this.dropSoftRegion(start);
    blocks.push(row);
    const good = isGood(row) ? row.chars : 0;
    this.goodPrefix.push(this.goodPrefix[start]! + good);
    this.articleGood.push(this.articleGood[start]! + (row.inArticle ? good : 0));
  }

  /**
   * Keeps a tentative region only if it holds at least half the page's prose so far, and enough of it (minGood); one
   * named as never content (a consent banner), only if no main region's text comes before it.
   */
  private closeSoftRegion(start: number, strict: boolean, minGood: number, never: boolean): void {
    const end = this.blocks.length;
    const regionGood = this.goodPrefix[end]! - this.goodPrefix[start]!;
    const allGood = this.goodPrefix[end]!;
    if (
      (this.relaxed && !strict) ||
      (regionGood >= minGood && regionGood >= 0.5 * allGood && !(never && this.articleGood[start]! >= MAIN_FOUND))
    )
      return;
    this.dropSoftRegion(start);
  }

  private dropSoftRegion(start: number): void {
    this.blocks.length = start;
    this.goodPrefix.length = start + 1;
    this.articleGood.length = start + 1;
    const regions = this.regions;
    while (regions.length > 0 && regions[regions.length - 1]!.end > start) regions.pop();
  }

  flush(): void {
    if (this.parts.length > 0 && this.partChars > 0) {
      const raw = this.parts.join('');
      // Parts with nothing but single spaces between words need only the trim.
      const text =
        this.kind === 'pre'
          ? raw.replace(/^\s*\n|\s+$/g, '')
          : this.partsMessy
            ? raw.replace(/\s+/g, ' ').trim()
            : raw.trim();
      // The article's own title is metadata, as the reference extractions have it: of an article's
      // <header>, the lead and other lines are kept, its headings are not.
      if (text.length > 0 && !(this.kind === 'h' && this.headerDepth > 0)) {
        const block: Block = {
          text,
          kind: this.kind,
          chars: this.partChars,
          linkChars: this.partLinkChars,
          plainWords: this.partPlainWords,
          inArticle: this.startedInArticle,
          cont: this.cont,
          idx: this.blocks.length,
        };
        this.blocks.push(block);
        const good = isGood(block) ? block.chars : 0;
        this.goodPrefix.push(this.goodPrefix[this.goodPrefix.length - 1]! + good);
        this.articleGood.push(this.articleGood[this.articleGood.length - 1]! + (block.inArticle ? good : 0));
      }
    }
    this.parts = [];
    this.partsMessy = false;
    this.partsEndSpace = false;
    this.partChars = 0;
    this.partLinkChars = 0;
    this.partPlainWords = 0;
    this.cont = false;
  }
}

/**
 * Runs of consecutive list items or table rows, judged as a whole: not mostly links, and either
 * long enough to stand alone or right next to good prose (a short list or table in an article).
 */
function keepRun(run: Block[], besideProse: boolean): boolean {
  let chars = 0;
  let link = 0;
  for (const b of run) {
    chars += b.chars;
    link += b.linkChars;
  }
  return link <= 0.5 * chars && (chars >= 80 || (besideProse && chars >= 10));
}

function linkDense(b: Block): boolean {
  if (b.kind === 'pre') return b.linkChars > 0.8 * b.chars;
  if (isProse(b)) return b.linkChars > 0.9 * b.chars;
  if (b.chars < 300) return b.linkChars > 0.5 * b.chars;
  return b.linkChars > 0.75 * b.chars;
}

const SHORT_CHARS = 40;

/**
 * Share of the page's text (link-dense blocks aside) that <article>/<main> must hold to be taken as the
 * main region. At 25% a grid of teasers, each in its own <article>, won over the page's own text.
 */
const ARTICLE_SHARE = 0.4;

/** The blocks inside <article>/<main> when that holds enough of the text, else all of them. */
function mainRegion(blocks: Block[]): Block[] {
  let total = 0;
  let inArticle = 0;
  for (const b of blocks) {
    if (linkDense(b)) continue;
    total += b.chars;
    if (b.inArticle) inArticle += b.chars;
  }
  return inArticle >= 250 && inArticle >= ARTICLE_SHARE * total ? blocks.filter(b => b.inArticle) : blocks;
}

/** The article rules over the main region: link density, lists and rows per run, short orphans. */
function select(pool: Block[]): Block[] {
  // 2. Link-heavy blocks go; lists and table rows are judged per run (1. is mainRegion).
  const keep = new Array<boolean>(pool.length).fill(true);
  for (let i = 0; i < pool.length; ) {
    const b = pool[i]!;
    if (b.kind === 'li' || b.kind === 'row') {
      let j = i;
      while (j < pool.length && pool[j]!.kind === b.kind) j++;
      // Good prose within a few blocks either side (past headings, other lists, tables, pre).
      let besideProse = false;
      for (let k = Math.max(0, i - 3); k < Math.min(pool.length, j + 3); k++) {
        if ((k < i || k >= j) && isGood(pool[k]!)) besideProse = true;
      }
      const ok = keepRun(pool.slice(i, j), besideProse);
      for (let k = i; k < j; k++) keep[k] = ok && !(pool[k]!.linkChars > 0.8 * pool[k]!.chars);
      i = j;
      continue;
    }
    if (linkDense(b)) keep[i] = false;
    i++;
  }

  // 3. Short paragraphs survive only between good prose; headings only when prose follows.
  const good = pool.map((b, i) => keep[i]! && (isGood(b) || b.kind === 'pre'));
  const neighbourGood = (i: number, step: 1 | -1): boolean => {
    for (let k = i + step; k >= 0 && k < pool.length; k += step) {
      if (!keep[k]) continue;
      const nb = pool[k]!;
      if (nb.kind === 'h') {
        if (step === -1) continue;
        return false;
      }
      if (nb.chars < SHORT_CHARS && nb.kind === 'p') continue;
      return good[k]! || nb.kind === 'li' || nb.kind === 'row';
    }
    return false;
  };
  const out: Block[] = [];
  for (let i = 0; i < pool.length; i++) {
    if (!keep[i]) continue;
    const b = pool[i]!;
    if (b.kind === 'h') {
      if (neighbourGood(i, 1)) out.push(b);
      continue;
    }
    if (b.kind === 'p' && b.chars < SHORT_CHARS && !(neighbourGood(i, -1) && neighbourGood(i, 1))) continue;
    out.push(b);
  }
  return out;
}

/**
 * Headings that open what follows an article rather than the article itself: related posts,
 * comments, "more on this", sharing. Matched on the whole (short) block text.
 */
const TAIL_MARKER =
  /^(?:related(?: (?:posts?|articles?|stories|coverage|content|links))?|you (?:may|might) also like.*|more (?:on this|from|stories|articles|news).*|read more.*|explore further|see also|(?:\d+ )?comments?(?: \(\d+\))?|leave a (?:reply|comment)|post a comment|view comments|share(?: this)?(?: (?:article|post|story))?:?|ähnliche (?:beiträge|artikel)|verwandte (?:beiträge|artikel|themen)|mehr zum thema.*|weitere (?:artikel|beiträge|nachrichten|themen|informationen).*|(?:das )?könnte (?:sie|dich|euch) auch interessieren|lesen sie (?:auch|mehr).*|(?:zum )?weiterlesen|lust auf mehr|entdecke (?:mehr|weitere).*|top[- ]themen.*|empfehlungen (?:aus|der|für).*|zobacz (?:też|także|również)|czytaj (?:też|także|również)|(?:también )?te puede interesar|lee también|más noticias.*|noticias relacionadas|also read|recommended(?: for you)?|more (?:in|about|like this).*|(?:\d+ )?kommentare?(?: \(\d+\))?|kommentar schreiben|schreibe einen kommentar|diesen artikel teilen|teilen:?|articles? (?:similaires|liés)|commentaires?|à lire aussi.*|lire aussi.*)$/i;

/** Cuts the text at a tail marker that comes after most of the page's good prose. */
function cutTail(blocks: Block[]): Block[] {
  let total = 0;
  for (const b of blocks) if (isGood(b)) total += b.chars;
  let before = 0;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    // `before > 0`: a page with no good prose (a listing) was cut to nothing by a marker among its first blocks.
    if (
      b.chars <= 60 &&
      before > 0 &&
      before >= 0.7 * total &&
      TAIL_MARKER.test(b.text.replace(/[:.!»«"]+$/u, '').trim())
    )
      return blocks.slice(0, i);
    if (isGood(b)) before += b.chars;
  }
  return blocks;
}

/** Site-footer lines: copyright, licence, image credits, "posted in", sign-in prompts. */
const FOOTER_LINE =
  /©|\(c\)\s|\bcopyright\b|all rights reserved|alle rechte vorbehalten|tous droits réservés|creative commons|\bcc[- ]by\b|\blizenz\b|licensed under|^(?:beitragsbild|titelbild|bildquelle|bildnachweis|foto|fotos|image|photo|credits?)\s*:|this entry was posted|bookmark the permalink|abgelegt unter|\bfiled under\b|\bimpressum\b|\bdatenschutz(?:erklärung)?\b|privacy policy|(?:eingeloggt|angemeldet|logged in|log in|sign in|registrier|register).{0,60}(?:kommentar|comment)|(?:kommentar|comment).{0,60}(?:eingeloggt|angemeldet|logged in|log in|sign in|registrier|register)/i;

/** Date and byline lines: "23.06.2016 um 16:14 Uhr", "January 13, 2020 at 08:45 AM | categories: ...". */
const DATE_IN_LINE =
  /\b\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)\d\d\b|\b(?:19|20)\d\d-\d\d-\d\d\b|\b\d{1,2}\.?\s+(?:jan|feb|mar|mär|apr|may|mai|jun|jul|aug|sep|oct|okt|nov|dec|dez)[a-zä]*\.?\s+(?:19|20)\d\d\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d\d\b/i;
const BYLINE_LINE =
  /^(?:von|by|par|por|verfasst von|geschrieben von|posted by|written by|autor(?:in)?|author|opublikowano|veröffentlicht|published|erstellt)\b/i;

/**
 * Drops short metadata lines at the edges of the text: before the first good block, dates and
 * bylines; after the last, footer lines (copyright, licence, credits, sign-in prompts).
 */
function trimEdges(blocks: Block[]): Block[] {
  const first = blocks.findIndex(isGood);
  if (first < 0) return blocks;
  let last = blocks.length - 1;
  while (last >= 0 && !isGood(blocks[last]!)) last--;
  return blocks.filter((b, i) => {
    if (b.chars > 200 || b.kind === 'pre' || b.kind === 'row') return true;
    if (i < first && b.chars <= 100 && (DATE_IN_LINE.test(b.text) || BYLINE_LINE.test(b.text))) return false;
    if (i >= last && FOOTER_LINE.test(b.text)) return false;
    return true;
  });
}

function render(blocks: Block[]): string {
  let s = '';
  let prev: Block | undefined;
  for (const b of blocks) {
    const text = b.kind === 'li' && !b.cont ? `- ${b.text}` : b.text;
    if (prev) {
      const tight = (b.kind === 'li' && prev.kind === 'li') || (b.kind === 'row' && prev.kind === 'row');
      s += tight ? '\n' : '\n\n';
    }
    s += text;
    prev = b;
  }
  return s;
}

/** Parsing stops (keeping what it has) past this many open elements: pages of endless unclosed tags. */
const MAX_DEPTH = 4096;

function collect(
  { html, decodeRange }: HtmlSource,
  isProductPage: () => boolean,
  relaxed = false,
): { blocks: Block[]; regions: Region[] } {
  const c = new Collector(relaxed, isProductPage);
  scanHtml(html, c, MAX_DEPTH, decodeRange);
  c.flush();
  return { blocks: c.blocks, regions: c.regions };
}

/** The body is the innermost block element holding this share of the kept prose. */
const BODY_SHARE = 0.85;
/** Past the body, a block is kept only if it is good prose of at least this many characters. */
const AFTER_BODY_CHARS = 200;

/**
 * The innermost block element holding most of the kept prose is the article's body. What lies
 * outside it must stand on its own: before it, good prose and headings (a lead, the title of the
 * section); after it, only long good prose (teasers of other articles, author bios, sign-up prompts
 * and "about us" lines are short).
 */
function focusBody(blocks: Block[], regions: Region[]): Block[] {
  let total = 0;
  for (const b of blocks) if (isGood(b)) total += b.chars;
  if (total === 0) return blocks;
  // Good characters by page block index, as a prefix over the kept blocks.
  const idx: number[] = [];
  const prefix: number[] = [0];
  for (const b of blocks) {
    idx.push(b.idx);
    prefix.push(prefix[prefix.length - 1]! + (isGood(b) ? b.chars : 0));
  }
  const lowerBound = (x: number) => {
    let lo = 0;
    let hi = idx.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (idx[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let best: Region | undefined;
  for (const r of regions) {
    if (best !== undefined && r.end - r.start >= best.end - best.start) continue;
    const good = prefix[lowerBound(r.end)]! - prefix[lowerBound(r.start)]!;
    if (good >= BODY_SHARE * total) best = r;
  }
  if (best === undefined) return blocks;
  const { start, end } = best;
  return blocks.filter(b => {
    if (b.idx >= start && b.idx < end) return true;
    return b.idx < start ? isGood(b) || b.kind === 'h' : isGood(b) && b.chars >= AFTER_BODY_CHARS;
  });
}

/**
 * The main text of an HTML page: blocks joined by blank lines, list items ("- " prefixed) and
 * table rows (cells joined by " | ") by single newlines, <pre> verbatim. Empty string if none.
 */
export function extractMainText(html: string): string {
  return extractMainTextFrom({ html });
}

/** extractMainText over a page as htmlSource (decode.ts) gives it: decoded only where kept. */
/** Below this many characters the first pass's text is taken as a miss and the relaxed pass runs. */
const RELAXED_BELOW = 250;

export function extractMainTextFrom(source: HtmlSource): string {
  const isProductPage = productTest(source.html);
  const first = passText(collect(source, isProductPage));
  if (charCount(first.kept) >= RELAXED_BELOW) return render(dropRepeats(first.text));
  const relaxed = passText(collect(source, isProductPage, true));
  // The relaxed pass wins when its article rules keep more, or when the first pass found no text at all and it found
  // a main region (a shop grid hidden until a script runs, which the article rules drop).
  const takeRelaxed = charCount(relaxed.kept) > charCount(first.kept) || first.text.length === 0;
  return render(dropRepeats(takeRelaxed ? relaxed.text : first.text));
}

/** One pass's article blocks, and its text: those blocks, or the main region of a page that is not an article. */
function passText({ blocks, regions }: { blocks: Block[]; regions: Region[] }): { kept: Block[]; text: Block[] } {
  const main = mainRegion(blocks);
  const kept = pick(main, regions);
  return { kept, text: notArticleRegion(kept, main) ?? kept };
}

/** Blocks at least this long are compared by dropRepeats; short labels ("Size", "Details") repeat in their own right. */
const REPEAT_CHARS = 100;

/**
 * The second copy of a section a page renders twice (for a wide and a narrow screen, one of them hidden by a
 * stylesheet): a run of long blocks that repeat earlier ones word for word is dropped. A single repeat (a parameter's
 * description in an API reference, an event's blurb) stays.
 */
function dropRepeats(blocks: Block[]): Block[] {
  const seen = new Set<string>();
  const long: number[] = [];
  const repeat: boolean[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.chars < REPEAT_CHARS || b.kind === 'pre') continue;
    long.push(i);
    repeat.push(seen.has(b.text));
    seen.add(b.text);
  }
  // Runs of two or more repeats. A run of one text is kept when a heading comes between its copies, or they follow
  // each other: one paragraph under several headings or over and over (a template's filler, a test page) is the
  // page's text.
  const drop = new Set<number>();
  for (let k = 0; k < long.length; ) {
    if (!repeat[k]) {
      k++;
      continue;
    }
    let end = k;
    while (end < long.length && repeat[end]) end++;
    if (end - k >= 2 && !(oneText(blocks, long, k, end) && apartOrAdjacent(blocks, long[k]!, long[end - 1]!)))
      for (let j = k; j < end; j++) drop.add(long[j]!);
    k = end;
  }
  return drop.size === 0 ? blocks : blocks.filter((_, i) => !drop.has(i));
}

function oneText(blocks: Block[], long: number[], start: number, end: number): boolean {
  for (let j = start + 1; j < end; j++) if (blocks[long[j]!]!.text !== blocks[long[start]!]!.text) return false;
  return true;
}

/** Copies from..to of one text with a heading between them, or each right after the one before. */
function apartOrAdjacent(blocks: Block[], from: number, to: number): boolean {
  let adjacent = true;
  for (let i = from; i <= to; i++) {
    if (blocks[i]!.kind === 'h') return true;
    if (blocks[i]!.text !== blocks[from]!.text) adjacent = false;
  }
  return adjacent && blocks[from - 1]?.text === blocks[from]!.text;
}

/** Article rules keeping less than this share of the main region's characters: maybe not an article. */
const NOT_ARTICLE_KEPT = 0.8;
/** Linked headings between the blocks the article rules kept: item titles between teasers, not an article. */
const TEASER_TITLES = 5;
/** ...when they kept less than this share of the region. */
const TEASERS_KEPT = 0.4;
/** The article rules kept a paragraph of good prose at least this long... */
const ARTICLE_PARAGRAPH = 150;
/** ...or blocks of this many characters on average (a grid of short items has fewer). */
const ITEM_BLOCK_CHARS = 30;

/**
 * The article rules (prose, link density, the body) keep nearly all of an article's main region.
 * When they throw much of it away and kept no long paragraph, or the region is a run of short blocks,
 * the page is a listing, a product grid, a service or a documentation page whose content is short
 * (often linked) items, headings and lists: its main region (cut at a "what follows" heading, edge
 * lines trimmed) is the content. Undefined for an article.
 */
function notArticleRegion(kept: Block[], main: Block[]): Block[] | undefined {
  const keptChars = charCount(kept);
  // Cutting and trimming only shorten the region: most articles are decided here, without them.
  if (keptChars >= NOT_ARTICLE_KEPT * charCount(main)) return undefined;
  const region = trimEdges(cutTail(main.filter((b, i) => !isMenuItem(b) && !repeatsPrevious(main, i))));
  const regionChars = charCount(region);
  if (regionChars < RELAXED_BELOW || keptChars >= NOT_ARTICLE_KEPT * regionChars) return undefined;
  if (regionChars < ITEM_BLOCK_CHARS * region.length) return region;
  if (keptChars < TEASERS_KEPT * regionChars && linkedHeadingsAmong(kept, region) >= TEASER_TITLES) return region;
  for (const b of kept) if (b.chars >= ARTICLE_PARAGRAPH && isGood(b)) return undefined;
  return region;
}

/** Headings that are one link (an item's title) among the region's blocks between the first and last kept one. */
function linkedHeadingsAmong(kept: Block[], region: Block[]): number {
  if (kept.length < 2) return 0;
  const first = kept[0]!.idx;
  const last = kept[kept.length - 1]!.idx;
  let n = 0;
  for (const b of region) if (b.kind === 'h' && b.linkChars === b.chars && b.idx > first && b.idx < last) n++;
  return n;
}

/** A block repeating the one before it: a grid item's name on its image link, as its title and again on its button. */
function repeatsPrevious(blocks: Block[], i: number): boolean {
  return i > 0 && blocks[i - 1]!.text === blocks[i]!.text;
}

/** A list item that is one link of fewer characters than this is a menu entry ("Home", "SUV", "微型车"). */
const MENU_ITEM_CHARS = 10;

/**
 * Menus outside <nav>: a table row of links and nothing else ("Web | Texts | Audio | ..."), a list
 * item that is one short link.
 */
function isMenuItem(b: Block): boolean {
  if (b.kind === 'row') return b.linkChars > 0.8 * b.chars;
  return b.kind === 'li' && b.linkChars === b.chars && b.chars < MENU_ITEM_CHARS;
}

function pick(main: Block[], regions: Region[]): Block[] {
  return trimEdges(focusBody(cutTail(select(main)), regions));
}

function charCount(blocks: Block[]): number {
  let n = 0;
  for (const b of blocks) n += b.chars;
  return n;
}
