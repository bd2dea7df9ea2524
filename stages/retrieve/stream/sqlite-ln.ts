import { DatabaseSync } from '@photostructure/sqlite';

let ln: ((x: number) => number) | undefined;

/**
 * The natural logarithm as SQLite computes it (the C library's log(), which FTS5's bm25() calls for each idf).
 * V8's Math.log differs from it in the last bit for a few percent of arguments; an idf computed here makes the
 * streaming scores bit-identical to the index's, so ties break the same way. Called once per query phrase.
 */
export function sqliteLn(x: number): number {
  if (!ln) {
    const stmt = new DatabaseSync(':memory:').prepare('SELECT ln(?) AS v');
    ln = v => (stmt.get(v) as { v: number }).v;
  }
  return ln(x);
}
