/**
 * A single-pass HTML scanner specialised for main-text extraction: open/close/text events like
 * htmlparser2's Parser (same implied-close and void-element rules, same end-tag matching), but no
 * tokenizer state machine and no attribute objects. Only the attributes extraction looks at are read
 * (into one reused record); text is sliced (and entity-decoded) only when the handler wants it;
 * <script>, <style>, <textarea>, <title> contents and comments are jumped over with indexOf.
 * Given `decodeRange`, `html` is the page's bytes one per character (latin1) and only the text runs
 * the handler takes are decoded from their bytes (see htmlSource in decode.ts).
 */
import { decodeHTML, decodeHTMLAttribute } from 'entities';
import { HASH_START, hashStep, WordTable } from './word-table.js';

/** The attributes extraction reads; undefined when absent. One record is reused for every tag. */
export interface ScanAttrs {
  cls: string | undefined;
  id: string | undefined;
  role: string | undefined;
  style: string | undefined;
  itemprop: string | undefined;
  href: string | undefined;
  hidden: boolean;
  ariaHidden: string | undefined;
}

export interface ScanHandler {
  /** True while nothing inside the current element is wanted: text and attributes are not read. */
  readonly skipping: boolean;
  /**
   * False when any whitespace-only text run is as good as a single space (text outside <pre> is
   * whitespace-normalised anyway); the scanner then passes SPACE instead of slicing the run.
   */
  readonly keepsSpace: boolean;
  /** Open elements; scanning stops (closing what is open) past maxDepth. */
  readonly depth: number;
  open(name: string, attrs: ScanAttrs): void;
  close(): void;
  text(data: string): void;
}

const P = new Set(['p']);
const FORM_TAGS = new Set(['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea']);
const DDT = new Set(['dd', 'dt']);
const RTP = new Set(['rt', 'rp']);
const TABLE_SECTIONS = new Set(['thead', 'tbody']);
/** htmlparser2's openImpliesClose: opening the key closes these while they are the current element. */
const IMPLIES_CLOSE = new Map<string, Set<string>>([
  ['tr', new Set(['tr', 'th', 'td'])],
  ['th', new Set(['th'])],
  ['td', new Set(['thead', 'th', 'td'])],
  ['body', new Set(['head', 'link', 'script'])],
  ['li', new Set(['li'])],
  ['option', new Set(['option'])],
  ['optgroup', new Set(['optgroup', 'option'])],
  ['dd', DDT],
  ['dt', DDT],
  ['rt', RTP],
  ['rp', RTP],
  ['tbody', TABLE_SECTIONS],
  ['tfoot', TABLE_SECTIONS],
  ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map(t => [t, FORM_TAGS] as [string, Set<string>]),
  ...[
    'p',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'address',
    'article',
    'aside',
    'blockquote',
    'details',
    'div',
    'dl',
    'fieldset',
    'figcaption',
    'figure',
    'footer',
    'form',
    'header',
    'hr',
    'main',
    'nav',
    'ol',
    'pre',
    'section',
    'table',
    'ul',
  ].map(t => [t, P] as [string, Set<string>]),
]);

const VOID = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'image',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/**
 * The HTML elements, so that a tag's name is looked up by a hash of its characters and never sliced
 * into a new string: a fresh string costs a hash on every Set/Map lookup and a string-table probe as a
 * property key, which made name lookups the scanner's largest cost.
 */
const KNOWN_TAGS = [
  'a',
  'abbr',
  'acronym',
  'address',
  'area',
  'article',
  'aside',
  'audio',
  'b',
  'base',
  'basefont',
  'bdi',
  'bdo',
  'big',
  'blink',
  'blockquote',
  'body',
  'br',
  'button',
  'canvas',
  'caption',
  'center',
  'cite',
  'code',
  'col',
  'colgroup',
  'command',
  'data',
  'datalist',
  'dd',
  'del',
  'details',
  'dfn',
  'dialog',
  'dir',
  'div',
  'dl',
  'dt',
  'em',
  'embed',
  'fieldset',
  'figcaption',
  'figure',
  'font',
  'footer',
  'form',
  'frame',
  'frameset',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'head',
  'header',
  'hgroup',
  'hr',
  'html',
  'i',
  'iframe',
  'image',
  'img',
  'input',
  'ins',
  'isindex',
  'kbd',
  'keygen',
  'label',
  'legend',
  'li',
  'link',
  'main',
  'map',
  'mark',
  'marquee',
  'math',
  'menu',
  'meta',
  'meter',
  'nav',
  'nobr',
  'noframes',
  'noscript',
  'object',
  'ol',
  'optgroup',
  'option',
  'output',
  'p',
  'param',
  'path',
  'picture',
  'pre',
  'progress',
  'q',
  'rp',
  'rt',
  'ruby',
  's',
  'samp',
  'script',
  'search',
  'section',
  'select',
  'small',
  'source',
  'span',
  'strike',
  'strong',
  'style',
  'sub',
  'summary',
  'sup',
  'svg',
  'table',
  'tbody',
  'td',
  'template',
  'textarea',
  'tfoot',
  'th',
  'thead',
  'time',
  'title',
  'tr',
  'track',
  'tt',
  'u',
  'ul',
  'var',
  'video',
  'wbr',
  'g',
  'use',
  'rect',
  'circle',
  'polygon',
  'defs',
  'symbol',
  'lineargradient',
  'stop',
  'clippath',
  'noindex',
  'fb:like',
  'o:p',
];
/** Raw-text elements: their content is not markup (and extraction never wants it). */
const RAW_END = new Map<string, RegExp>([
  ['script', /<\/script[\s/>]/gi],
  ['style', /<\/style[\s/>]/gi],
  ['textarea', /<\/textarea[\s/>]/gi],
  ['title', /<\/title[\s/>]/gi],
]);

/** What the scanner needs to know of an element, looked up once per tag. */
interface TagInfo {
  name: string;
  /** Opening this element closes these while they are the current element. */
  impliesClose: Set<string> | undefined;
  isVoid: boolean;
  /** Raw-text element: its content runs to this end tag. */
  rawEnd: RegExp | undefined;
}

function tagInfo(name: string): TagInfo {
  return { name, impliesClose: IMPLIES_CLOSE.get(name), isVoid: VOID.has(name), rawEnd: RAW_END.get(name) };
}

const TAGS = new WordTable(KNOWN_TAGS.map(t => [t, tagInfo(t)] as const));

/** The element named at html[from, to), whose characters hash to `hash`. */
function tagAt(html: string, from: number, to: number, hash: number): TagInfo {
  const known = TAGS.get(hash, html, from, to);
  if (known !== undefined) return known;
  const name = html.slice(from, to);
  return tagInfo(hasUpper(name) ? name.toLowerCase() : name);
}

/** What a whitespace-only text run is passed as when the handler does not keep spacing. */
export const SPACE = ' ';

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 12;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

function resetAttrs(a: ScanAttrs): void {
  a.cls = a.id = a.role = a.style = a.itemprop = a.href = a.ariaHidden = undefined;
  a.hidden = false;
}

/** The attributes extraction reads, under their ScanAttrs keys. */
const ATTRS = new WordTable<keyof ScanAttrs>([
  ['class', 'cls'],
  ['id', 'id'],
  ['role', 'role'],
  ['style', 'style'],
  ['itemprop', 'itemprop'],
  ['href', 'href'],
  ['hidden', 'hidden'],
  ['aria-hidden', 'ariaHidden'],
]);

function attrValue(html: string, from: number, to: number): string {
  const value = html.slice(from, to);
  return value.indexOf('&') >= 0 ? decodeHTMLAttribute(value) : value;
}

/** Stores one attribute (the first occurrence wins, as in htmlparser2); `hidden` needs no value. */
function setAttr(a: ScanAttrs, key: keyof ScanAttrs, html: string, from: number, to: number): void {
  if (key === 'hidden') a.hidden = true;
  else if (a[key] === undefined) a[key] = attrValue(html, from, to);
}

/** Scans `html`, calling the handler; stops early (closing all open elements) past maxDepth. */
export function scanHtml(
  html: string,
  h: ScanHandler,
  maxDepth: number,
  decodeRange?: (from: number, to: number) => string,
): void {
  const n = html.length;
  const stack: string[] = [];
  const attrs: ScanAttrs = {
    cls: undefined,
    id: undefined,
    role: undefined,
    style: undefined,
    itemprop: undefined,
    href: undefined,
    hidden: false,
    ariaHidden: undefined,
  };
  // Most text runs of a page are the whitespace between tags, and most of the rest are ASCII: both are
  // recognised in place before any string is made.
  const emitText = (from: number, to: number) => {
    if (to <= from || h.skipping) return;
    let k = from;
    while (k < to && isWs(html.charCodeAt(k))) k++;
    if (k === to && !h.keepsSpace) {
      h.text(SPACE);
      return;
    }
    while (k < to && html.charCodeAt(k) < 0x80) k++;
    const raw = k === to || decodeRange === undefined ? html.slice(from, to) : decodeRange(from, to);
    h.text(raw.indexOf('&') >= 0 ? decodeHTML(raw) : raw);
  };
  const closeTo = (pos: number) => {
    while (stack.length > pos) {
      stack.pop();
      h.close();
    }
  };

  let pos = 0;
  while (pos < n && h.depth <= maxDepth) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) {
      emitText(pos, n);
      pos = n;
      break;
    }
    const c = html.charCodeAt(lt + 1);
    if (isLetter(c)) {
      // Open tag: name, then attributes up to an unquoted '>'.
      let i = lt + 1;
      let hash = HASH_START;
      while (i < n) {
        const d = html.charCodeAt(i);
        if (isWs(d) || d === 47 /* / */ || d === 62 /* > */) break;
        hash = hashStep(hash, d);
        i++;
      }
      if (i >= n) break; // unterminated tag at the end: dropped, as htmlparser2 does
      emitText(pos, lt);
      const tag = tagAt(html, lt + 1, i, hash);
      const name = tag.name;
      const wantAttrs = !h.skipping;
      if (wantAttrs) resetAttrs(attrs);
      // Attributes.
      let end = -1;
      while (i < n) {
        let d = html.charCodeAt(i);
        if (isWs(d) || d === 47) {
          i++;
          continue;
        }
        if (d === 62) {
          end = i;
          break;
        }
        const ns = i;
        let nameHash = HASH_START;
        while (i < n) {
          d = html.charCodeAt(i);
          if (isWs(d) || d === 47 || d === 62 || d === 61 /* = */) break;
          nameHash = hashStep(nameHash, d);
          i++;
        }
        const ne = i;
        while (i < n && isWs(html.charCodeAt(i))) i++;
        let vs = i;
        let ve = i;
        if (html.charCodeAt(i) === 61) {
          i++;
          while (i < n && isWs(html.charCodeAt(i))) i++;
          const q = html.charCodeAt(i);
          if (q === 34 || q === 39) {
            const close = html.indexOf(q === 34 ? '"' : "'", i + 1);
            if (close < 0) {
              i = n;
              break;
            }
            vs = i + 1;
            ve = close;
            i = close + 1;
          } else {
            vs = i;
            while (i < n) {
              d = html.charCodeAt(i);
              if (isWs(d) || d === 62) break;
              i++;
            }
            ve = i;
          }
        }
        if (wantAttrs && ne > ns) {
          const key = ATTRS.get(nameHash, html, ns, ne);
          if (key !== undefined) setAttr(attrs, key, html, vs, ve);
        }
      }
      if (end < 0) break; // unterminated tag at the end
      pos = end + 1;
      if (!wantAttrs) resetAttrs(attrs);

      const implied = tag.impliesClose;
      if (implied) {
        while (stack.length > 0 && implied.has(stack[stack.length - 1]!)) {
          stack.pop();
          h.close();
        }
      }
      h.open(name, attrs);
      if (tag.isVoid) {
        h.close();
        continue;
      }
      stack.push(name);
      const raw = tag.rawEnd;
      if (raw) {
        raw.lastIndex = pos;
        const m = raw.exec(html);
        const at = m ? m.index : n;
        // The end tag is handled as any end tag on the next turn.
        pos = at;
        if (!m) break;
      }
      continue;
    }
    if (c === 47 /* / */ && isLetter(html.charCodeAt(lt + 2))) {
      // End tag.
      let i = lt + 2;
      let hash = HASH_START;
      while (i < n) {
        const d = html.charCodeAt(i);
        if (isWs(d) || d === 47 || d === 62) break;
        hash = hashStep(hash, d);
        i++;
      }
      const gt = html.indexOf('>', i);
      if (gt < 0) break;
      emitText(pos, lt);
      pos = gt + 1;
      const tag = tagAt(html, lt + 2, i, hash);
      const name = tag.name;
      if (tag.isVoid) {
        if (name === 'br') {
          resetAttrs(attrs);
          h.open('br', attrs);
          h.close();
        }
        continue;
      }
      const at = stack.lastIndexOf(name);
      if (at >= 0) closeTo(at);
      else if (name === 'p') {
        resetAttrs(attrs);
        h.open('p', attrs);
        h.close();
      }
      continue;
    }
    if (c === 33 /* ! */) {
      emitText(pos, lt);
      if (html.startsWith('<!--', lt)) {
        const e = html.indexOf('-->', lt + 4);
        pos = e < 0 ? n : e + 3;
      } else if (h.skipping && html.startsWith('<![CDATA[', lt)) {
        // A CDATA section exists only in foreign content (<svg>, <math>: skipped subtrees). Elsewhere
        // browsers read "<![CDATA[" as a bogus comment that ends at the next '>' (a forum page opens
        // its body with an unterminated one, which hid the whole page).
        const e = html.indexOf(']]>', lt + 9);
        pos = e < 0 ? n : e + 3;
      } else {
        const e = html.indexOf('>', lt + 2);
        pos = e < 0 ? n : e + 1;
      }
      continue;
    }
    if (c === 63 /* ? */ || c === 47) {
      // Processing instruction, or "</" not followed by a letter: up to the next '>'.
      emitText(pos, lt);
      const e = html.indexOf('>', lt + 2);
      pos = e < 0 ? n : e + 1;
      continue;
    }
    // A '<' that starts no markup is text: continue the text run past it.
    const next = html.indexOf('<', lt + 1);
    const upTo = next < 0 ? n : next;
    // Emit text through the stray '<' so that the next turn starts at the following '<'.
    emitText(pos, upTo);
    pos = upTo;
  }
  closeTo(0);
}
