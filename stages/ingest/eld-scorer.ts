/**
 * eld's detector (the same 'medium' database, n-grams, scores and reliability rule, so the same
 * results) with its scoring over numbers instead of strings: eld builds a string per byte and per
 * n-gram and walks an object per n-gram, which made language id a tenth of all ingest CPU.
 *
 * An n-gram is at most 6 of eld's symbols (a byte, or for bytes >= 0x80 the char its dictionary maps
 * it to), each below 256, so it packs exactly into a number (symbols in base 256, plus the length).
 * The database is read from eld's own files (its package exports only the ready-made detector).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface EldDatabase {
  ngramsData: { languages: Record<string, string>; ngrams: Record<string, Record<string, number>> };
}

function eldFile(rel: string): string {
  const paths = createRequire(import.meta.url).resolve.paths('eld') ?? [];
  for (const p of paths) {
    const f = join(p, 'eld', 'src', rel);
    if (existsSync(f)) return pathToFileURL(f).href;
  }
  throw new Error(`language id: eld's ${rel} not found (is the eld package installed?)`);
}

const [{ ngramsData }, { dictionary }, { avgScore }, { separators }] = (await Promise.all([
  import(eldFile('ngrams/medium.js')),
  import(eldFile('dictionary.js')),
  import(eldFile('avgScore.js')),
  import(eldFile('regexPatterns.js')),
])) as [EldDatabase, { dictionary: string[] }, { avgScore: Record<string, number> }, { separators: RegExp }];

const LANGS: string[] = Object.keys(ngramsData.languages)
  .sort((a, b) => Number(a) - Number(b))
  .map(k => ngramsData.languages[k]!);
const LANG_COUNT = LANGS.length;
/** eld subtracts this from every stored score to shrink its database. */
const BASE_NGRAM_SCORE = 53;
const CUT_AFTER = 350;
const ENFORCE_CUT_AFTER = 380;
const MAX_WORD = 70;

/** eld's symbol for each UTF-8 byte value. */
const SYMBOL = new Uint8Array(256);
for (let b = 0; b < 256; b++) SYMBOL[b] = b < 0x80 ? b : dictionary[b]!.charCodeAt(0);

const POW = [1, 2 ** 8, 2 ** 16, 2 ** 24, 2 ** 32, 2 ** 40, 2 ** 48];

const ENTRY_LANG = new Uint8Array(countEntries());
const ENTRY_SCORE = new Float64Array(ENTRY_LANG.length);

function countEntries(): number {
  let n = 0;
  for (const k in ngramsData.ngrams) for (const _ in ngramsData.ngrams[k]) n++;
  return n;
}

/** 32-bit hash of a packed key (an integer below 2^53). */
function hashKey(key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 2 ** 32);
  return Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) ^ (lo >>> 15);
}

/**
 * The database as an open-addressing table (a Map keyed by numbers above 2^31 hashes boxed doubles):
 * n-gram key, and where its entries are in ENTRY_LANG/ENTRY_SCORE.
 */
const TABLE_BITS = 18;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const TABLE_KEY = new Float64Array(1 << TABLE_BITS);
const TABLE_START = new Int32Array(1 << TABLE_BITS).fill(-1);
const TABLE_COUNT = new Uint8Array(1 << TABLE_BITS);

/** The slot holding `key`, or the free slot where it would go. */
function tableSlot(key: number): number {
  let t = hashKey(key) & TABLE_MASK;
  while (TABLE_START[t]! >= 0 && TABLE_KEY[t] !== key) t = (t + 1) & TABLE_MASK;
  return t;
}

{
  let at = 0;
  for (const [gram, scores] of Object.entries(ngramsData.ngrams)) {
    let key = POW[6]! * gram.length;
    for (let i = 0; i < gram.length; i++) key += gram.charCodeAt(i) * POW[i]!;
    const slot = tableSlot(key);
    TABLE_KEY[slot] = key;
    TABLE_START[slot] = at;
    for (const [lang, score] of Object.entries(scores)) {
      ENTRY_LANG[at] = Number(lang);
      ENTRY_SCORE[at] = score + BASE_NGRAM_SCORE;
      at++;
    }
    TABLE_COUNT[slot] = at - TABLE_START[slot]!;
  }
}

export interface EldResult {
  /** ISO 639-1 code; '' when nothing scored. */
  language: string;
  reliable: boolean;
  /** Languages with a positive score and their scaled scores, best first (eld's getScores order). */
  scores: Array<[string, number]>;
}

const EMPTY: EldResult = { language: '', reliable: false, scores: [] };

// Reused per call: the text's symbols word by word, the n-grams seen (a table stamped per call, so
// it is never cleared), the long ones, and the totals per language.
const symbols = new Uint8Array(ENFORCE_CUT_AFTER + 8);
const wordEnds = new Int32Array(ENFORCE_CUT_AFTER + 8);
const SEEN_MASK = 1023;
const seenKey = new Float64Array(SEEN_MASK + 1);
const seenStamp = new Int32Array(SEEN_MASK + 1);
let stamp = 0;
let seenCount = 0;
const seenLong = new Set<string>();
const totals = new Float64Array(LANG_COUNT);

function addNgram(key: number): void {
  let slot = hashKey(key) & SEEN_MASK;
  while (seenStamp[slot] === stamp) {
    if (seenKey[slot] === key) return;
    slot = (slot + 1) & SEEN_MASK;
  }
  seenStamp[slot] = stamp;
  seenKey[slot] = key;
  seenCount++;
  const t = tableSlot(key);
  const start = TABLE_START[t]!;
  if (start < 0) return;
  const end = start + TABLE_COUNT[t]!;
  for (let e = start; e < end; e++) {
    const l = ENTRY_LANG[e]!;
    totals[l] = totals[l]! + ENTRY_SCORE[e]!;
  }
}

/** The key of symbols[from, to) with an optional space before and after. */
function keyOf(from: number, to: number, spaceBefore: boolean, spaceAfter: boolean): number {
  let len = 0;
  let key = 0;
  if (spaceBefore) key += 32 * POW[len++]!;
  for (let i = from; i < to; i++) key += symbols[i]! * POW[len++]!;
  if (spaceAfter) key += 32 * POW[len++]!;
  return key + POW[6]! * len;
}

/** eld.detect(text), same language, reliability and scores. */
export function eldDetect(input: string): EldResult {
  const text = input.substring(0, 1000).replace(separators, ' ').trim().toLowerCase();
  // eld's strToUtf8Bytes: words of symbols, cut at a space past 350 bytes, or anywhere past 380.
  let n = 0;
  let words = 0;
  let wordStart = 0;
  let countBytes = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c === 32) {
        if (n > wordStart) {
          wordEnds[words++] = n;
          wordStart = n;
        }
        if (countBytes > CUT_AFTER) break;
      } else {
        symbols[n++] = c;
      }
      countBytes++;
    } else if (c < 0x800) {
      symbols[n++] = SYMBOL[0xc0 | (c >> 6)]!;
      symbols[n++] = SYMBOL[0x80 | (c & 0x3f)]!;
      countBytes += 2;
    } else if (c < 0xd800 || c >= 0xe000) {
      symbols[n++] = SYMBOL[0xe0 | (c >> 12)]!;
      symbols[n++] = SYMBOL[0x80 | ((c >> 6) & 0x3f)]!;
      symbols[n++] = SYMBOL[0x80 | (c & 0x3f)]!;
      countBytes += 3;
    } else {
      i++;
      c = 0x10000 + (((c & 0x3ff) << 10) | (text.charCodeAt(i) & 0x3ff));
      symbols[n++] = SYMBOL[0xf0 | (c >> 18)]!;
      symbols[n++] = SYMBOL[0x80 | ((c >> 12) & 0x3f)]!;
      symbols[n++] = SYMBOL[0x80 | ((c >> 6) & 0x3f)]!;
      symbols[n++] = SYMBOL[0x80 | (c & 0x3f)]!;
      countBytes += 4;
    }
    if (countBytes > ENFORCE_CUT_AFTER) break;
  }
  if (n > wordStart) wordEnds[words++] = n;

  // eld's getByteNgrams: 4-symbol n-grams at a stride of 3, the first with a space before, and the
  // word's last 4 (all of it when shorter) with a space after; calculateScores over the distinct ones.
  if (++stamp === 2 ** 30) {
    seenStamp.fill(0);
    stamp = 1;
  }
  seenCount = 0;
  seenLong.clear();
  totals.fill(0);
  let from = 0;
  for (let w = 0; w < words; w++) {
    const end = wordEnds[w]!;
    const len = Math.min(end - from, MAX_WORD);
    let j = 0;
    for (; j + 4 < len; j += 3) addNgram(keyOf(from + j, from + j + 4, j === 0, false));
    const tail = from + (len !== 3 ? Math.max(0, len - 4) : 0);
    if (end - tail + (j === 0 ? 1 : 0) + 1 <= 6) addNgram(keyOf(tail, end, j === 0, true));
    // A word longer than MAX_WORD: eld's last n-gram runs to the word's end, longer than any stored one.
    else seenLong.add(String.fromCharCode(...symbols.subarray(tail, end)));
    from = end;
  }
  const numNgrams = seenCount + seenLong.size;

  let best = -1;
  let bestTotal = 0;
  for (let l = 0; l < LANG_COUNT; l++) {
    if (totals[l]! > 0 && totals[l]! > bestTotal) {
      bestTotal = totals[l]!;
      best = l;
    }
  }
  if (best < 0) return EMPTY;
  // eld's orderAndScale: score/(score + 25) per n-gram, best first (a stable sort, as eld's).
  const ordered: Array<[number, number]> = [];
  for (let l = 0; l < LANG_COUNT; l++) {
    if (totals[l]! > 0) {
      const s = totals[l]! / numNgrams;
      ordered.push([l, s / (s + 25)]);
    }
  }
  ordered.sort((a, b) => b[1] - a[1]);
  const language = LANGS[best]!;
  // eld's isReliable, including its comparison with the runner-up's index (not its score).
  const nextScore = ordered.length > 1 ? ordered[1]![0] : 0;
  const reliable =
    ordered.length > 0 &&
    numNgrams >= 3 &&
    !(avgScore[language]! * 0.75 > ordered[0]![1] || 0.01 > Math.abs(ordered[0]![1] - nextScore));
  return { language, reliable, scores: ordered.map(([l, s]) => [LANGS[l]!, s]) };
}
