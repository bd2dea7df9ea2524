import { eng } from 'stopword';
import type { DecontamConfig } from './config.js';
import {
  bagKeys,
  normaliseTokens,
  orderedKeys,
  tokenHashes,
  tokenLayout,
  tokenSeparators,
  tokenStarts,
} from './normalise.js';
import type { BenchmarkItem } from './benchmarks.js';
import { CODE_SYMBOL, CODE_WORDS, isCodeField } from './code-words.js';
import { KeyTable } from './key-table.js';
import { Postings } from './postings.js';
import { findShortItem, ShortItems } from './short-items.js';

/** How a document matched an item. */
export type MatchRule = 'ngrams' | 'whole_field' | 'excerpt' | 'fields_together';

export interface Contamination {
  benchmark: string;
  item_id: string;
  rule: MatchRule;
  /** Distinct n-grams of the item found in the document. */
  matched_ngrams: number;
  /** n-grams the item has (so matched / item = how much of it the page holds). */
  item_ngrams: number;
  /** whole_field / excerpt: the field the words come from, its length and how many of its words the page holds. */
  field?: string;
  field_words?: number;
  matched_words?: number;
  /** whole_field / excerpt of code: the symbols between its words ("[", "]*", ">>>"), the same on the page, as characters. */
  code_symbols?: number;
  /** fields_together: how many fields the item has (all found) and the span of the page holding them. */
  fields?: number;
  span_words?: number;
  /** The matching words of the document, normalised (the first n-gram, the field or excerpt, the anchor field). */
  example: string;
}

/**
 * Words that say something: not a stopword, not one letter or digit ("1 2 3" says nothing, "9300" does). A run
 * of benchmark words counts only with enough of them: "1 2 3 4 5 6 7 8 9" and "when it is at the end of the"
 * are HumanEval 8-grams found in real posts.
 */
// The package's English list (108 words) leaves out the negations, which say as little on their own.
const STOPWORDS = new Set([...eng, 'no', 'not', 'nor']);
const isContent = (t: string) => t.length > 1 && !STOPWORDS.has(t);
const isCodeContent = (t: string) => isContent(t) && !CODE_WORDS.has(t);
const hasLetter = (t: string) => /\p{L}/u.test(t);
/** Content words a run of min_short_words or more words, or an n-gram, must hold. */
export const MIN_CONTENT_WORDS = 3;

/** Running counts of content words, and of those with a letter, before each token. */
interface ContentCounts {
  content: Int32Array;
  worded: Int32Array;
}

/** Where `code` says a token is program code, keywords and builtins are not content words (CODE_WORDS). */
function contentCounts(tokens: readonly string[], code?: Uint8Array): ContentCounts {
  const content = new Int32Array(tokens.length + 1);
  const worded = new Int32Array(tokens.length + 1);
  for (let i = 0; i < tokens.length; i++) {
    const c = code?.[i] ? isCodeContent(tokens[i]!) : isContent(tokens[i]!);
    content[i + 1] = content[i]! + (c ? 1 : 0);
    worded[i + 1] = worded[i]! + (c && hasLetter(tokens[i]!) ? 1 : 0);
  }
  return { content, worded };
}

/**
 * Content words among tokens at..at+len-1, 0 without one that has a letter: a run of numbers alone
 * ("2 3 5 7 11 13 17 19", or any order of "0 0 1 1 2 2 3 3 …" for an n-gram) is any list of numbers.
 */
function contentIn({ content, worded }: ContentCounts, at: number, len: number): number {
  return worded[at + len]! > worded[at]! ? content[at + len]! - content[at]! : 0;
}
/**
 * Code symbols (brackets, operators, `>>>`) a run with fewer content words must share with its field, in the same
 * places: a doctest's `3, 4, 2]) [1, 2, 3, 3` is digits once punctuation goes, and any list of numbers.
 */
export const MIN_CODE_SYMBOLS = 3;
const codeSymbols = (separators: readonly string[], from: number, to: number) => {
  let count = 0;
  for (let i = from; i < to; i++) count += separators[i]!.match(CODE_SYMBOL)?.length ?? 0;
  return count;
};

const SHARED = 2 ** 30;

type Cfg = Pick<DecontamConfig, 'n' | 'min_matches' | 'min_short_words' | 'excerpts'>;

/**
 * The benchmark items, indexed three ways (all on normalised tokens):
 * - every n-word window of every field, order inside the window ignored (catches swapped words): `ngrams`;
 * - every min_short_words-word window of every field, in order, with its place in the field, so a run of them
 *   is a whole short field (`whole_field`) or an excerpt of a longer one (`excerpt`);
 * - items whose every field is shorter than min_short_words: their longest field, whole, as an anchor; the
 *   other fields must then appear near it (`fields_together`, a question with its choices).
 * Memory is a few numbers per window of the test sets, nothing per document.
 */
export class BenchmarkIndex {
  /** n-gram key → the item holding it, or SHARED + i for shared[i], the items of an n-gram several items hold. */
  private readonly ngramOwner = new KeyTable();
  private readonly shared: number[][] = [];
  private readonly itemNgrams: number[] = [];
  private readonly spans = new Postings();
  private readonly fieldWords: number[][] = [];
  /** Per item and field, which of its words open a sentence, line, quotation or bracket (tokenStarts). */
  private readonly fieldStarts: Uint8Array[][] = [];
  /**
   * Per item and field of program code (isCodeField), its content-word counts with the keywords of its code left
   * out (a run's words are the same on the page, so they are counted on the field); undefined for other fields.
   */
  private readonly codeCounts: (ContentCounts | undefined)[][] = [];
  /** Per item and field, the symbols before each word (tokenSeparators); undefined for a field without code symbols. */
  private readonly fieldSeparators: (string[] | undefined)[][] = [];
  private readonly shortItems: ShortItems;
  readonly items: BenchmarkItem[] = [];
  /** Items no rule can match: every field shorter than min_short_words and too few fields or words in all. */
  skippedShortItems = 0;

  constructor(private readonly cfg: Cfg) {
    this.shortItems = new ShortItems(cfg.min_short_words);
  }

  add(item: BenchmarkItem): void {
    const index = this.items.length;
    this.items.push(item);
    const { n, min_short_words: m } = this.cfg;
    const fields = item.texts.map(t => tokenLayout(t, isCodeField(t)));
    const tokenised = fields.map(f => f.tokens);
    this.fieldWords.push(tokenised.map(t => t.length));
    this.fieldStarts.push(fields.map(f => f.starts));
    const counts = fields.map(f => (f.code ? contentCounts(f.tokens, f.code) : undefined));
    this.codeCounts.push(counts);
    this.fieldSeparators.push(
      fields.map(f =>
        f.separators && codeSymbols(f.separators, 0, f.separators.length) > 0 ? f.separators : undefined,
      ),
    );
    let grams = 0;
    for (const [f, tokens] of tokenised.entries()) {
      const hashes = tokenHashes(tokens);
      const content = counts[f] ?? contentCounts(tokens);
      const keys = bagKeys(hashes, n);
      // An n-gram of digits and letters is met, in some order, in any table of numbers (test files of code).
      for (let i = 0; i < keys.length; i++)
        if (contentIn(content, i, n) >= MIN_CONTENT_WORDS && this.own(keys[i]!, index)) grams++;
      if (m > 0 && (tokens.length >= n ? this.cfg.excerpts : tokens.length >= m))
        this.spans.addField(orderedKeys(hashes, m), index, f);
    }
    this.itemNgrams.push(grams);
    const longest = Math.max(0, ...tokenised.map(t => t.length));
    const unmatched = longest < (m > 0 ? m : n);
    if (unmatched && !(m > 0 && longest > 0 && this.shortItems.add(index, tokenised))) this.skippedShortItems++;
  }

  /** Records that the item holds the n-gram; false if it was recorded for this item already. */
  private own(key: number, item: number): boolean {
    const owner = this.ngramOwner.get(key);
    if (owner === -1) this.ngramOwner.set(key, item);
    else if (owner === item) return false;
    else if (owner < SHARED) {
      this.ngramOwner.set(key, SHARED + this.shared.length);
      this.shared.push([owner, item]);
    } else {
      const list = this.shared[owner - SHARED]!;
      if (list.at(-1) === item) return false;
      list.push(item);
    }
    return true;
  }

  /** Keys held (n-grams, short windows, anchors). */
  get size(): number {
    return this.ngramOwner.size + this.spans.keys + this.shortItems.keys;
  }

  /** The strongest evidence that the text holds a benchmark item: most n-grams, then the longest run, then fields together. */
  match(text: string): Contamination | undefined {
    const tokens = normaliseTokens(text);
    const hashes = tokenHashes(tokens);
    const { n, min_short_words: m } = this.cfg;

    const ngramHits = new Map<number, Set<number>>();
    const firstAt = new Map<number, number>();
    const keys = bagKeys(hashes, n);
    const hit = (item: number, i: number) => {
      let set = ngramHits.get(item);
      if (!set) {
        ngramHits.set(item, (set = new Set()));
        firstAt.set(item, i);
      }
      set.add(keys[i]!);
    };
    for (let i = 0; i < keys.length; i++) {
      const owner = this.ngramOwner.get(keys[i]!);
      if (owner === -1) continue;
      if (owner < SHARED) hit(owner, i);
      else for (const item of this.shared[owner - SHARED]!) hit(item, i);
    }
    let best: number | undefined;
    for (const [item, set] of ngramHits) {
      if (set.size < this.cfg.min_matches) continue;
      const lead = best === undefined ? -1 : ngramHits.get(best)!.size;
      // Most shared n-grams; on a tie the item the page holds more of (a test set may hold near-copies).
      if (set.size > lead || (set.size === lead && this.itemNgrams[item]! < this.itemNgrams[best!]!)) best = item;
    }
    const base = (item: number, rule: MatchRule) => ({
      benchmark: this.items[item]!.benchmark,
      item_id: this.items[item]!.id,
      rule,
      matched_ngrams: ngramHits.get(item)?.size ?? 0,
      item_ngrams: this.itemNgrams[item]!,
    });
    if (best !== undefined) {
      const at = firstAt.get(best)!;
      return { ...base(best, 'ngrams'), example: tokens.slice(at, at + n).join(' ') };
    }

    if (m > 0) {
      let pageCounts: ContentCounts | undefined;
      let starts: Uint8Array | undefined;
      let separators: string[] | undefined;
      /** Code symbols the run shares with its field, in the same places between its words; 0 if any place differs. */
      const sameCode = (item: number, field: number, at: number, fieldAt: number, matched: number) => {
        const own = this.fieldSeparators[item]![field];
        if (!own) return 0;
        separators ??= tokenSeparators(text);
        for (let i = 1; i < matched; i++) if (separators[at + i] !== own[fieldAt + i]) return 0;
        return codeSymbols(separators, at + 1, at + matched);
      };
      let symbols = 0;
      const run = this.spans.longestRun(orderedKeys(hashes, m), (item, field, windows, at, fieldAt) => {
        const words = this.fieldWords[item]![field]!;
        const matched = windows + m - 1;
        if (!(this.cfg.excerpts || (words < n && matched === words))) return false;
        let inPlace = 0;
        const inCode = this.codeCounts[item]![field];
        const contentWords = inCode
          ? contentIn(inCode, fieldAt, matched)
          : contentIn((pageCounts ??= contentCounts(tokens)), at, matched);
        if (contentWords < MIN_CONTENT_WORDS) {
          // Code needs a word too: `[[1,2,3], [4,5,6], [7,8,9]]` is in any Python tutorial.
          if (contentWords === 0) return false;
          inPlace = sameCode(item, field, at, fieldAt, matched);
          if (inPlace < MIN_CODE_SYMBOLS) return false;
        }
        // An excerpt shorter than an n-gram is a quote: it opens a sentence, line or quotation of the page (or
        // follows one word that does: a label such as "Q1", a number cut in half) or of the item. A common phrase
        // met inside two sentences ("at the end of the last ice age") is not one.
        if (!(matched === words || matched >= n)) {
          starts ??= tokenStarts(text);
          if (!(starts[at] === 1 || starts[at - 1] === 1 || this.fieldStarts[item]![field]![fieldAt] === 1))
            return false;
        }
        symbols = inPlace;
        return true;
      });
      if (run) {
        const words = this.fieldWords[run.item]![run.field]!;
        const matched = run.windows + m - 1;
        return {
          ...base(run.item, matched === words ? 'whole_field' : 'excerpt'),
          field: this.items[run.item]!.fields[run.field]!,
          field_words: words,
          matched_words: matched,
          ...(symbols > 0 ? { code_symbols: symbols } : {}),
          example: tokens.slice(run.at, run.at + matched).join(' '),
        };
      }
      const together = findShortItem(this.shortItems, tokens, hashes);
      if (together) {
        return {
          ...base(together.item, 'fields_together'),
          fields: together.fields,
          span_words: together.span,
          example: tokens.slice(together.anchorAt, together.anchorAt + together.anchorWords).join(' '),
        };
      }
    }
    return undefined;
  }
}
