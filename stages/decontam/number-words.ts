/**
 * English cardinal number words to digits ("twenty-five" → "25", "three thousand and five" → "3005",
 * "2 million" → "2000000"), so a copy that spells numbers out matches the item that writes them in
 * digits (and the other way round). Only words joined by spaces, hyphens or "and" form one number, so
 * "one hundred*five" stays 100 and 5, as in the digit form "100*5".
 */
const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9 };

const WORD = `(?:${[...Object.keys(UNITS), ...Object.keys(TENS), 'hundred', ...Object.keys(SCALES)].join('|')}|\\d+)`;
/** A run of number words (or digits followed by a scale word) joined by spaces, hyphens or "and". */
const PHRASE = new RegExp(
  `(?<![\\p{L}\\p{N}.,])${WORD}(?:(?:[ \\t-]+|[ \\t]+and[ \\t]+)${WORD})*(?![\\p{L}\\p{N}]|[.,]\\d)`,
  'gu',
);

type Part = { kind: 'unit' | 'tens' | 'hundred' | 'scale' | 'digits' | 'and'; value: number };

function classify(word: string): Part | undefined {
  if (word === 'and') return { kind: 'and', value: 0 };
  if (word in UNITS) return { kind: 'unit', value: UNITS[word]! };
  if (word in TENS) return { kind: 'tens', value: TENS[word]! };
  if (word === 'hundred') return { kind: 'hundred', value: 100 };
  if (word in SCALES) return { kind: 'scale', value: SCALES[word]! };
  if (/^\d+$/.test(word)) return { kind: 'digits', value: Number(word) };
  return undefined;
}

/**
 * Reads one phrase greedily into numbers: a part that cannot continue the number being read starts a new
 * one ("five ten" → 5 10, "nineteen ninety" → 19 90). Digits stay as written unless a scale word follows.
 */
function parsePhrase(phrase: string): string {
  const words = phrase.split(/[ \t-]+/).filter(Boolean);
  const out: string[] = [];
  let total = 0; // completed scale groups
  let group = 0; // below the next scale word
  let last: Part['kind'] | undefined; // undefined: no number in progress
  let lastScale = Infinity; // scale groups must descend ("two thousand million" is two numbers)
  let digitsText: string | undefined;
  const flush = () => {
    if (last !== undefined)
      out.push(digitsText !== undefined && last === 'digits' ? digitsText : String(total + group));
    total = 0;
    group = 0;
    last = undefined;
    lastScale = Infinity;
    digitsText = undefined;
  };
  for (let i = 0; i < words.length; i++) {
    const p = classify(words[i]!)!;
    if (p.kind === 'and') {
      const next = words[i + 1] ? classify(words[i + 1]!) : undefined;
      const joins = (last === 'hundred' || last === 'scale') && (next?.kind === 'unit' || next?.kind === 'tens');
      if (!joins) {
        flush();
        out.push('and');
      }
      continue;
    }
    const ones = group % 100;
    let fits: boolean;
    switch (p.kind) {
      case 'unit':
        fits =
          last === undefined ||
          last === 'hundred' ||
          last === 'scale' ||
          (last === 'tens' && ones % 10 === 0 && p.value < 10);
        break;
      case 'tens':
        fits = last === undefined || last === 'hundred' || last === 'scale';
        break;
      case 'hundred':
        fits = (last === 'unit' || last === 'tens' || last === 'digits') && group > 0 && group < 100;
        break;
      case 'scale':
        fits = last !== undefined && last !== 'scale' && group > 0 && p.value < lastScale;
        break;
      case 'digits':
        fits = last === undefined;
        break;
    }
    if (!fits) {
      flush();
      if (p.kind === 'hundred' || p.kind === 'scale') {
        out.push(words[i]!); // "a hundred", "thousands": no number to scale
        continue;
      }
    }
    if (p.kind === 'hundred') group *= 100;
    else if (p.kind === 'scale') {
      total += group * p.value;
      group = 0;
      lastScale = p.value;
    } else {
      group += p.value;
      if (p.kind === 'digits') digitsText = words[i];
    }
    last = p.kind;
  }
  flush();
  return out.join(' ');
}

/** Replaces spelled-out numbers in lower-cased text by their digits. */
export function numberWordsToDigits(lower: string): string {
  return lower.replace(PHRASE, m => (/^\d+$/.test(m) ? m : parsePhrase(m)));
}
