/**
 * Whether an element's class/id names it as boilerplate (cookie banner, sidebar, share buttons...).
 * Words are matched whole: a class/id value is split at non-alphanumerics and camelCase humps, so
 * "ad" matches "ad-slot" and "top_ad" but not "header" or "load".
 */
import { HASH_START, hashStep, WordTable } from './word-table.js';

/**
 * Strong words naming what is never a page's content, not even text the first pass missed: ads, newsletter sign-ups
 * and share buttons, and consent banners (CONSENT_WORDS) (isNeverContentName).
 */
const NEVER_CONTENT_WORDS = new Set([
  'advert',
  'adverts',
  'advertisement',
  'advertising',
  'ad',
  'ads',
  'adsense',
  'adslot',
  'dfp',
  'newsletter',
  'newsletters',
  'signup',
  'share',
  'sharing',
  'sharebar',
  'social',
  'sociable',
]);
/** Never content either, and never a wrapper of the page's content: a consent banner or its preference centre. */
const CONSENT_WORDS = new Set(['cookie', 'cookies', 'cookiebanner', 'consent', 'gdpr']);
/**
 * The other words naming boilerplate whatever else the class/id says (a modal or a popup may still be a product's
 * quick view, a login box a forum's only text, a breadcrumb a listing's heading: the relaxed pass reads them).
 */
const BOILER_STRONG = new Set([
  'sponsor',
  'sponsored',
  'popup',
  'breadcrumb',
  'breadcrumbs',
  'outbrain',
  'taboola',
  'disqus',
  'skiplink',
  'paywall',
  'login',
  'promo',
  'editsection',
]);
/** Weaker signals: ignored when the same class/id also says it is content ("article-header"). */
const BOILER_WEAK = new Set([
  'nav',
  'navbar',
  'navigation',
  'menu',
  'menubar',
  'submenu',
  'footer',
  'header',
  'masthead',
  'sidebar',
  'banner',
  'related',
  'widget',
  'widgets',
  'pagination',
  'pager',
  'toolbar',
  'topbar',
  'subscribe',
  'skip',
  'tags',
  'tagcloud',
  'footnav',
  'mobilenav',
  'offcanvas',
  'recommended',
  'trending',
  'popular',
  'rss',
  'print',
  'utility',
  'caption',
  'credit',
  'credits',
  'copyright',
  'byline',
  'author',
  'bio',
  'meta',
  'ratings',
]);
/** Weak words naming a comment or a thread of them (isCommentName). */
const COMMENT_WORDS = new Set(['comment', 'comments']);
/** Words naming a forum's page or thread (isForumName). */
const FORUM_WORDS = new Set(['forum', 'forums', 'topic']);
/**
 * Customer reviews: on a product page never its text, however much prose they hold (a product's description is a
 * few lines, its reviews pages of them). "review" alone names review articles too ("blog-review").
 */
const REVIEW_WORDS = new Set(['reviews']);
/**
 * A modal is boilerplate (a sign-up, a locale chooser) as strongly as BOILER_STRONG's words, except on a product
 * page, whose details, dimensions and care notes open in one.
 */
const MODAL_WORDS = new Set(['modal']);
const CONTENT_WORDS = new Set([
  'article',
  'main',
  'body',
  'content',
  'post',
  'entry',
  'story',
  'text',
  'prose',
  'blog',
  'column',
]);
/**
 * Page builders naming every piece of a page, its headings and text too, a "widget"
 * ("elementor-widget elementor-widget-heading"): a weak word beside them says nothing.
 */
const BUILDER_WORDS = new Set(['elementor']);

const STRONG = 1;
const WEAK = 2;
const CONTENT = 4;
const BUILDER = 8;
const NEVER_CONTENT = 16;
const COMMENT = 32;
const FORUM = 64;
const CONSENT = 128;
const REVIEW = 256;
const MODAL = 512;

/** Flags of each listed word, under the hash flagsOf computes while reading a word. */
const WORDS = new WordTable<number>(
  (
    [
      [CONSENT_WORDS, STRONG | NEVER_CONTENT | CONSENT],
      [NEVER_CONTENT_WORDS, STRONG | NEVER_CONTENT],
      [BOILER_STRONG, STRONG],
      [REVIEW_WORDS, STRONG | REVIEW],
      [MODAL_WORDS, MODAL],
      [BOILER_WEAK, WEAK],
      [COMMENT_WORDS, WEAK | COMMENT],
      [FORUM_WORDS, FORUM],
      [CONTENT_WORDS, CONTENT],
      [BUILDER_WORDS, BUILDER],
    ] as const
  ).flatMap(([words, flag]) => [...words].map(w => [w, flag] as const)),
);

/**
 * The flags of a class/id value's words, in one pass that hashes each word as it reads it: this runs
 * on every element of every page, and splitting into word strings allocated more than the rest of it.
 */
function flagsOf(value: string): number {
  let flags = 0;
  let start = -1;
  let h = 0;
  let prevLower = false;
  for (let i = 0; i <= value.length; i++) {
    const c = i < value.length ? value.charCodeAt(i) : 0;
    const lower = c >= 97 && c <= 122;
    const upper = c >= 65 && c <= 90;
    const alnum = lower || upper || (c >= 48 && c <= 57);
    if (start >= 0 && (!alnum || (upper && prevLower))) {
      flags |= WORDS.get(h, value, start, i) ?? 0;
      start = -1;
    }
    if (alnum) {
      if (start < 0) {
        start = i;
        h = HASH_START;
      }
      h = hashStep(h, c);
    }
    prevLower = lower;
  }
  return flags;
}

/** The last element's class and id and their flags: the extractor asks several questions of each element's names. */
let lastCls = '';
let lastId = '';
let lastFlags = 0;

function nameFlags(cls: string, id: string): number {
  if (cls !== lastCls || id !== lastId) {
    lastCls = cls;
    lastId = id;
    lastFlags = flagsOf(cls) | flagsOf(id);
  }
  return lastFlags;
}

/**
 * A class or id naming boilerplate: a strong word in either, or a weak one with no content word. `productPage` says
 * whether the page is a product page, asked only of a modal's name.
 */
export function isBoilerplateName(cls: string, id = '', productPage?: () => boolean): boolean {
  const flags = nameFlags(cls, id);
  if ((flags & STRONG) !== 0 || ((flags & WEAK) !== 0 && (flags & (CONTENT | BUILDER)) === 0)) return true;
  return (flags & MODAL) !== 0 && !(productPage?.() ?? false);
}

/** A class or id naming a consent banner, an ad, a sign-up or share buttons ("onetrust-consent-sdk", "ad-slot"). */
export function isNeverContentName(cls: string, id = ''): boolean {
  return (nameFlags(cls, id) & NEVER_CONTENT) !== 0;
}

/** A class or id naming a consent banner ("onetrust-consent-sdk", "cookie-notice"). */
export function isConsentName(cls: string, id = ''): boolean {
  return (nameFlags(cls, id) & CONSENT) !== 0;
}

/** A class or id that says the element is content ("entry-header", "article-body"). */
export function hasContentWord(cls: string, id = ''): boolean {
  return (nameFlags(cls, id) & CONTENT) !== 0;
}

/** A class or id naming a comment or a thread of them ("comment-body", "ipsComment_content"), and nothing strong. */
export function isCommentName(cls: string, id = ''): boolean {
  return (nameFlags(cls, id) & (COMMENT | STRONG)) === COMMENT;
}

/** A class or id naming a forum, its page or a thread ("page-forums", "cTopic"). */
export function isForumName(cls: string, id = ''): boolean {
  return (nameFlags(cls, id) & FORUM) !== 0;
}

/** A class or id naming customer reviews ("product-reviews", "yotpoReviews"). */
export function isReviewName(cls: string, id = ''): boolean {
  return (nameFlags(cls, id) & REVIEW) !== 0;
}
