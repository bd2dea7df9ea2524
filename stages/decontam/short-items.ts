import { KeyTable } from './key-table.js';
import { orderedKeys, tokenHashes, type TokenHashes } from './normalise.js';

interface ShortItem {
  item: number;
  /** The item's non-empty fields, normalised; fields[anchor] is the longest. */
  fields: string[][];
  anchor: number;
  words: number;
}

export interface FieldsTogether {
  item: number;
  fields: number;
  /** Words of the document from the first to the last word of the item's fields. */
  span: number;
  anchorAt: number;
  anchorWords: number;
}

/**
 * Items whose every field is too short to match alone (a 6-word question with one-word choices). Each is
 * found by its longest field, whole; every other field must then appear whole within a few words of it
 * (twice the item's length plus 10: room for labels such as "A." and for reordered choices).
 */
export class ShortItems {
  /** Anchor length → anchor key → index in `lists`. */
  private readonly byLength = new Map<number, KeyTable>();
  readonly lists: ShortItem[][] = [];
  private count = 0;

  constructor(private readonly minWords: number) {}

  get keys(): number {
    return this.count;
  }

  /** False when the item has fewer than two fields or fewer than minWords words in all: too little to tell. */
  add(item: number, tokenised: string[][]): boolean {
    const fields = tokenised.filter(t => t.length > 0);
    const words = fields.reduce((n, f) => n + f.length, 0);
    if (fields.length < 2 || words < this.minWords) return false;
    let anchor = 0;
    for (let i = 1; i < fields.length; i++) if (fields[i]!.length > fields[anchor]!.length) anchor = i;
    const len = fields[anchor]!.length;
    const key = orderedKeys(tokenHashes(fields[anchor]!), len)[0]!;
    let table = this.byLength.get(len);
    if (!table) this.byLength.set(len, (table = new KeyTable()));
    const list = table.get(key);
    if (list >= 0) this.lists[list]!.push({ item, fields, anchor, words });
    else {
      table.set(key, this.lists.length);
      this.lists.push([{ item, fields, anchor, words }]);
    }
    this.count++;
    return true;
  }

  /** Lengths of the anchors, and the anchors of each length. */
  get tables(): Iterable<[number, KeyTable]> {
    return this.byLength;
  }
}

function findAt(tokens: string[], field: string[], lo: number, hi: number): number {
  outer: for (let s = Math.max(0, lo); s + field.length <= Math.min(tokens.length, hi); s++) {
    for (let k = 0; k < field.length; k++) if (tokens[s + k] !== field[k]) continue outer;
    return s;
  }
  return -1;
}

/** The first short item whose fields all appear together in the document. */
export function findShortItem(short: ShortItems, tokens: string[], hashes: TokenHashes): FieldsTogether | undefined {
  for (const [len, table] of short.tables) {
    const keys = orderedKeys(hashes, len);
    for (let at = 0; at < keys.length; at++) {
      const list = table.get(keys[at]!);
      if (list === -1) continue;
      for (const c of short.lists[list]!) {
        const reach = 2 * c.words + 10;
        let first = at;
        let last = at + len;
        let all = true;
        for (const [i, field] of c.fields.entries()) {
          if (i === c.anchor) continue;
          const s = findAt(tokens, field, at - reach, at + len + reach);
          if (s < 0) {
            all = false;
            break;
          }
          first = Math.min(first, s);
          last = Math.max(last, s + field.length);
        }
        if (all) return { item: c.item, fields: c.fields.length, span: last - first, anchorAt: at, anchorWords: len };
      }
    }
  }
  return undefined;
}
