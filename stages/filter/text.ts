/** Whitespace-separated words, as the Gopher rules count them. */
export function words(text: string): string[] {
  return text.split(/\s+/u).filter(w => w.length > 0);
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const LETTER = /\p{L}/u;

export const hasLetterOrDigit = (w: string) => LETTER_OR_DIGIT.test(w);
export const hasLetter = (w: string) => LETTER.test(w);

/** Lower case without surrounding punctuation: "The," -> "the". */
export function bareWord(w: string): string {
  return w.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
}

export function countOccurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

// spaCy's English prefix and suffix lists (punctuation, quotes, currency, symbols); a hyphen, slash or "=" is not one.
const PUNCT = `,:;!?¿¡()\\[\\]{}<>_#*&"'\`‘’“”«»„‚´「」『』【】《》〈〉。？！，、；：～·`;
const PREFIX = new RegExp(`^(?:\\.\\.+|…|[${PUNCT}§%=—–$£€¥]|\\+(?!\\p{N})|\\p{So})`, 'u');
const SUFFIX = new RegExp(
  `(?:\\.\\.+|…|[${PUNCT}—–]|\\p{So}|['’][sS]|n['’]t|['’](?:ll|ve|re|d|m)|(?<=\\p{N})[+%$£€¥]|(?<=[\\p{Ll}\\p{N}%)\\]"'’”])\\.|(?<=\\p{Lu}\\p{Lu})\\.)$`,
  'u',
);
const INFIX =
  /(\.\.+|…|(?<=[\p{L}\p{N}])(?:--+|[-–—~:<>=/])(?=\p{L})|(?<=\p{L}),(?=\p{L})|(?<=\p{N})[-+*^](?=[\p{N}-]))/u;
/** A few of spaCy's English tokenizer exceptions that are frequent in real text. */
const SPECIAL = new Map<string, string[]>([
  ...[
    'Mr.',
    'Mrs.',
    'Ms.',
    'Dr.',
    'St.',
    'Inc.',
    'Ltd.',
    'Co.',
    'Corp.',
    'Jr.',
    'vs.',
    'etc.',
    'e.g.',
    'i.e.',
    'E.g.',
    'I.e.',
    'a.m.',
    'p.m.',
    'Ph.D.',
    'U.S.',
    ':)',
    ':-)',
    ':(',
    ':-(',
    ';)',
    ';-)',
    ':D',
    ':-D',
    ':P',
    ':-P',
    '(:',
    '):',
  ].map(w => [w, [w]] as [string, string[]]),
  ['cannot', ['can', 'not']],
  ['Cannot', ['Can', 'not']],
  ['im', ['i', 'm']],
  ['Im', ['I', 'm']],
]);
const URL_LIKE = /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.)\S+$|^[^\s@]+@[^\s@]+\.\w+$/iu;

/**
 * Words with punctuation split off, approximating the spaCy English tokenizer datatrove's Gopher filters use
 * (so `gopher_*.words: punctuation` reproduces FineWeb's counts): leading and trailing punctuation, quotes,
 * "'s" and "n't" are words of their own; hyphens, slashes and colons between letters split a word; URLs and
 * e-mail addresses stay whole.
 */
export function punctuationWords(text: string): string[] {
  const out: string[] = [];
  for (const chunk of text.split(/\s+/u)) {
    if (!chunk) continue;
    let rest = chunk;
    const tail: string[] = [];
    for (;;) {
      if (URL_LIKE.test(rest) || SPECIAL.has(rest)) break;
      const p = PREFIX.exec(rest);
      if (p && p[0].length < rest.length) {
        out.push(p[0]);
        rest = rest.slice(p[0].length);
        continue;
      }
      const s = SUFFIX.exec(rest);
      if (s && s[0].length < rest.length) {
        tail.push(s[0]);
        rest = rest.slice(0, rest.length - s[0].length);
        continue;
      }
      break;
    }
    const special = SPECIAL.get(rest);
    if (special) out.push(...special);
    else if (URL_LIKE.test(rest)) out.push(rest);
    else for (const part of rest.split(INFIX)) if (part) out.push(part);
    for (let i = tail.length - 1; i >= 0; i--) out.push(tail[i]!);
  }
  return out;
}
