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
  ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map((t) => [t, FORM_TAGS] as [string, Set<string>]),
  ...[
    'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl',
    'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hr', 'main', 'nav', 'ol', 'pre', 'section',
    'table', 'ul',
  ].map((t) => [t, P] as [string, Set<string>]),
]);

const VOID = new Set([
  'area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'image', 'img', 'input',
  'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr',
]);

/** Raw-text elements: their content is not markup (and extraction never wants it). */
const RAW_END: Record<string, RegExp> = {
  script: /<\/script[\s/>]/gi,
  style: /<\/style[\s/>]/gi,
  textarea: /<\/textarea[\s/>]/gi,
  title: /<\/title[\s/>]/gi,
};

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

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function resetAttrs(a: ScanAttrs): void {
  a.cls = a.id = a.role = a.style = a.itemprop = a.href = a.ariaHidden = undefined;
  a.hidden = false;
}

/** Stores one attribute if extraction reads it (the first occurrence wins, as in htmlparser2). */
function setAttr(a: ScanAttrs, name: string, value: string): void {
  const v = () => (value.indexOf('&') >= 0 ? decodeHTMLAttribute(value) : value);
  switch (name) {
    case 'class':
      if (a.cls === undefined) a.cls = v();
      break;
    case 'id':
      if (a.id === undefined) a.id = v();
      break;
    case 'role':
      if (a.role === undefined) a.role = v();
      break;
    case 'style':
      if (a.style === undefined) a.style = v();
      break;
    case 'itemprop':
      if (a.itemprop === undefined) a.itemprop = v();
      break;
    case 'href':
      if (a.href === undefined) a.href = v();
      break;
    case 'hidden':
      a.hidden = true;
      break;
    case 'aria-hidden':
      if (a.ariaHidden === undefined) a.ariaHidden = v();
      break;
  }
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
    cls: undefined, id: undefined, role: undefined, style: undefined, itemprop: undefined, href: undefined,
    hidden: false, ariaHidden: undefined,
  };
  const emitText = (from: number, to: number) => {
    if (to <= from || h.skipping) return;
    let raw = html.slice(from, to);
    if (decodeRange !== undefined && !isAscii(raw)) raw = decodeRange(from, to);
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
      let i = lt + 2;
      while (i < n) {
        const d = html.charCodeAt(i);
        if (isWs(d) || d === 47 /* / */ || d === 62 /* > */) break;
        i++;
      }
      if (i >= n) break; // unterminated tag at the end: dropped, as htmlparser2 does
      emitText(pos, lt);
      let name = html.slice(lt + 1, i);
      if (hasUpper(name)) name = name.toLowerCase();
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
        while (i < n) {
          d = html.charCodeAt(i);
          if (isWs(d) || d === 47 || d === 62 || d === 61 /* = */) break;
          i++;
        }
        const ne = i;
        while (i < n && isWs(html.charCodeAt(i))) i++;
        let value = '';
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
            if (wantAttrs) value = html.slice(i + 1, close);
            i = close + 1;
          } else {
            const vs = i;
            while (i < n) {
              d = html.charCodeAt(i);
              if (isWs(d) || d === 62) break;
              i++;
            }
            if (wantAttrs) value = html.slice(vs, i);
          }
        }
        if (wantAttrs && ne > ns) {
          let an = html.slice(ns, ne);
          if (hasUpper(an)) an = an.toLowerCase();
          setAttr(attrs, an, value);
        }
      }
      if (end < 0) break; // unterminated tag at the end
      pos = end + 1;
      if (!wantAttrs) resetAttrs(attrs);

      const implied = IMPLIES_CLOSE.get(name);
      if (implied) {
        while (stack.length > 0 && implied.has(stack[stack.length - 1]!)) {
          stack.pop();
          h.close();
        }
      }
      h.open(name, attrs);
      if (VOID.has(name)) {
        h.close();
        continue;
      }
      stack.push(name);
      const raw = RAW_END[name];
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
      while (i < n) {
        const d = html.charCodeAt(i);
        if (isWs(d) || d === 47 || d === 62) break;
        i++;
      }
      const gt = html.indexOf('>', i);
      if (gt < 0) break;
      emitText(pos, lt);
      pos = gt + 1;
      let name = html.slice(lt + 2, i);
      if (hasUpper(name)) name = name.toLowerCase();
      if (VOID.has(name)) {
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
      } else if (html.startsWith('<![CDATA[', lt)) {
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
