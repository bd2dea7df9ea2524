import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from '@photostructure/sqlite';
import { describe, expect, it } from 'vitest';
import type { QueryIndex } from '../stages/retrieve/stream/query-index.js';
import { DocScanner } from '../stages/retrieve/stream/scan.js';
import { isAscii, tokens } from '../stages/retrieve/stream/tokenize.js';
import { SQLITE_VERSION } from '../stages/retrieve/stream/unicode61-table.js';
import { haveSharedData, sharedData } from './helpers.js';
// @ts-expect-error: a plain .mjs script without types
import { unicode61Truth } from '../scripts/gen-unicode61.mjs';

/** FTS5's own tokens of each text (fts5vocab instance rows, in offset order). */
function fts5Tokens(texts: string[]): string[][] {
  const db = new DatabaseSync(':memory:');
  db.exec(`CREATE VIRTUAL TABLE fts USING fts5(text, tokenize='unicode61 remove_diacritics 2');
           CREATE VIRTUAL TABLE v USING fts5vocab(fts, instance);`);
  const ins = db.prepare('INSERT INTO fts(rowid, text) VALUES (?, ?)');
  db.exec('BEGIN');
  texts.forEach((t, i) => ins.run(i + 1, t));
  db.exec('COMMIT');
  const out: string[][] = texts.map(() => []);
  for (const r of db.prepare('SELECT doc, term FROM v ORDER BY doc, offset').iterate() as Iterable<{
    doc: number;
    term: string;
  }>)
    out[r.doc - 1]!.push(r.term);
  db.close();
  return out;
}

describe('the streaming tokenizer is FTS5 unicode61 remove_diacritics 2', () => {
  it('was generated from the SQLite this project runs', () => {
    const db = new DatabaseSync(':memory:');
    expect(db.prepare('SELECT sqlite_version() AS v').get()).toEqual({ v: SQLITE_VERSION });
    db.close();
  });

  it('agrees with SQLite on every code point (separator or folded token character)', () => {
    const { sep, fold } = unicode61Truth() as { sep: Uint8Array; fold: Int32Array };
    const wrong: string[] = [];
    for (let c = 1; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c < 0xe000) continue;
      const expected = sep[c] ? ['q', 'q'] : [`q${fold[c] ? String.fromCodePoint(fold[c]!) : ''}q`];
      const actual = tokens(`q${String.fromCodePoint(c)}q`);
      if (actual.join('\u0000') !== expected.join('\u0000')) wrong.push(c.toString(16));
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it.runIf(haveSharedData())(
    'gives the same tokens as FTS5 on real sentences of 75 languages',
    () => {
      const dir = join(sharedData, 'langid', 'lingua-testdata', 'language-testdata', 'sentences');
      const texts = readdirSync(dir).flatMap(f => readFileSync(join(dir, f), 'utf8').split('\n').slice(0, 200));
      texts.push('  mixed CASE Ünïcödé — ﬁle ǅemal İstanbul 𝔘𝔫𝔦 a\u0301b \u0301 x\ud800y end');
      const expected = fts5Tokens(texts);
      const mismatches = texts.filter((t, i) => tokens(t).join(' ') !== expected[i]!.join(' '));
      expect(texts.length).toBeGreaterThan(10_000);
      expect(mismatches).toEqual([]);
    },
    120_000,
  );

  it.runIf(haveSharedData())(
    'counts query phrases of one to three tokens as FTS5 tokenizes the text, ASCII or not (the document scan)',
    () => {
      const dir = join(sharedData, 'langid', 'lingua-testdata', 'language-testdata', 'sentences');
      const texts = readdirSync(dir).flatMap(f => readFileSync(join(dir, f), 'utf8').split('\n').slice(0, 30));
      texts.push('E-mail THE e mail e-Mail, then e-mail e', 'ASCII only: Foo foo FOO-bar foo bar baz');
      const truth = fts5Tokens(texts);
      // Phrases cut from FTS5's own tokens of every 5th text (1, 2 and 3 tokens), and some no text holds.
      const keys = new Set<string>(['e mail', 'foo', 'foo bar', 'foo bar baz', 'zzqx', 'mail e mail']);
      truth.forEach((toks, i) => {
        if (i % 5 !== 0 || toks.length < 3) return;
        const at = i % (toks.length - 2);
        keys
          .add(toks[at]!)
          .add(toks.slice(at, at + 2).join(' '))
          .add(toks.slice(at, at + 3).join(' '));
      });
      const phrases = [...keys].map(key => ({ key, tokens: key.split(' ') }));
      const index = { phrases, maxPhraseTokens: 3 } as unknown as QueryIndex;
      const scanner = new DocScanner(index);
      const wrong: string[] = [];
      texts.forEach((text, i) => {
        const toks = truth[i]!;
        const terms = scanner.scan(text);
        if (terms.length !== toks.length) wrong.push(`${i}: ${terms.length} tokens, FTS5 ${toks.length}`);
        phrases.forEach((p, k) => {
          let expected = 0;
          for (let j = 0; j + p.tokens.length <= toks.length; j++)
            if (p.tokens.every((t, m) => toks[j + m] === t)) expected++;
          const got = terms.present.includes(k) ? terms.freq[k]! : 0;
          if (got !== expected) wrong.push(`${i} "${p.key}": ${got}, FTS5 ${expected}`);
        });
      });
      expect(phrases.length).toBeGreaterThan(100);
      expect(texts.some(t => !isAscii(t)) && texts.some(t => isAscii(t))).toBe(true);
      expect(wrong).toEqual([]);
    },
    120_000,
  );
});
