import { DatabaseSync, type DatabaseSyncInstance } from '@photostructure/sqlite';

let ln: ((x: number) => number) | undefined;
// Held for the process's life: the binding closes a connection it garbage-collects, and its statements with it.
let db: DatabaseSyncInstance | undefined;

/**
 * The natural logarithm as SQLite computes it (the C library's log(), which FTS5's bm25() calls for each idf).
 * V8's Math.log differs from it in the last bit for a few percent of arguments; an idf computed here makes the
 * streaming scores bit-identical to the index's, so ties break the same way. Called once per query phrase.
 */
export function sqliteLn(x: number): number {
  if (!ln) {
    db = new DatabaseSync(':memory:');
    const stmt = db.prepare('SELECT ln(?) AS v');
    ln = v => (stmt.get(v) as { v: number }).v;
  }
  return ln(x);
}
