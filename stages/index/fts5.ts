import Database from 'better-sqlite3';
import type { Doc } from '../../pipeline/types.js';
import { exactHash } from '../dedup/exact.js';
import { toFtsQuery } from '../retrieve/fts-query.js';

export interface IndexHit {
  id: string;
  score: number;
  rank: number;
}

export interface IndexedDocInfo {
  id: string;
  exactHash: string;
  length: number;
}

const TOKENIZERS = {
  unicode61: 'unicode61 remove_diacritics 2',
  porter: 'porter unicode61 remove_diacritics 2',
} as const;

/**
 * The embedded BM25 index: one SQLite file with the documents (full records, for publishing) and a
 * contentless FTS5 table over their text. A shard's documents and its completion row commit in one
 * transaction, so a killed indexer leaves each shard either wholly in or wholly out.
 */
export class Fts5Index {
  private readonly db: Database.Database;

  constructor(
    readonly path: string,
    opts: { tokenizer?: keyof typeof TOKENIZERS; readonly?: boolean } = {},
  ) {
    this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (opts.readonly) return;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    const tokenizer = TOKENIZERS[opts.tokenizer ?? 'unicode61'];
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS docs (
        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, shard TEXT NOT NULL,
        exact_hash TEXT NOT NULL, length INTEGER NOT NULL, record TEXT NOT NULL);
      CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, content='', tokenize='${tokenizer}');
      CREATE TABLE IF NOT EXISTS shards (id TEXT PRIMARY KEY, docs INTEGER NOT NULL, duplicates INTEGER NOT NULL);
    `);
  }

  hasShard(shard: string): boolean {
    return this.shard(shard) !== undefined;
  }

  /** What a committed shard added: lets a resumed run report the same counts as an uninterrupted one. */
  shard(shard: string): { indexed: number; duplicates: number } | undefined {
    return this.db.prepare('SELECT docs AS indexed, duplicates FROM shards WHERE id = ?').get(shard) as
      | { indexed: number; duplicates: number }
      | undefined;
  }

  /** Adds a shard's documents; a document id already present is skipped and counted, never added twice. */
  async addShard(shard: string, docs: AsyncIterable<Doc>, batchSize = 2000): Promise<{ indexed: number; duplicates: number }> {
    const insertDoc = this.db.prepare('INSERT OR IGNORE INTO docs (id, shard, exact_hash, length, record) VALUES (?, ?, ?, ?, ?)');
    const insertText = this.db.prepare('INSERT INTO fts (rowid, text) VALUES (?, ?)');
    let indexed = 0;
    let duplicates = 0;
    const flush = this.db.transaction((batch: Doc[]) => {
      for (const doc of batch) {
        const info = insertDoc.run(doc.id, shard, exactHash(doc.text), doc.text.length, JSON.stringify(doc));
        if (info.changes === 0) {
          duplicates++;
          continue;
        }
        insertText.run(info.lastInsertRowid, doc.text);
        indexed++;
      }
    });
    this.db.exec('BEGIN IMMEDIATE');
    try {
      let batch: Doc[] = [];
      for await (const doc of docs) {
        batch.push(doc);
        if (batch.length >= batchSize) {
          flush(batch); // nested: better-sqlite3 turns it into a savepoint inside our transaction
          batch = [];
        }
      }
      flush(batch);
      this.db.prepare('INSERT INTO shards (id, docs, duplicates) VALUES (?, ?, ?)').run(shard, indexed, duplicates);
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
    return { indexed, duplicates };
  }

  search(query: string, k: number): IndexHit[] {
    const match = toFtsQuery(query);
    if (match === null) return [];
    const rows = this.db
      .prepare('SELECT rowid, -bm25(fts) AS score FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?')
      .all(match, k) as { rowid: number; score: number }[];
    if (rows.length === 0) return [];
    const idOf = this.db.prepare('SELECT id FROM docs WHERE rowid = ?').pluck();
    return rows.map((r, i) => ({ id: idOf.get(r.rowid) as string, score: r.score, rank: i + 1 }));
  }

  info(ids: string[]): IndexedDocInfo[] {
    const stmt = this.db.prepare('SELECT id, exact_hash AS exactHash, length FROM docs WHERE id = ?');
    return ids.map((id) => {
      const row = stmt.get(id) as IndexedDocInfo | undefined;
      if (!row) throw new Error(`${this.path}: document ${id} is not in the index`);
      return row;
    });
  }

  getDocs(ids: string[]): Doc[] {
    const stmt = this.db.prepare('SELECT record FROM docs WHERE id = ?').pluck();
    return ids.map((id) => {
      const record = stmt.get(id) as string | undefined;
      if (record === undefined) throw new Error(`${this.path}: document ${id} is not in the index`);
      return JSON.parse(record) as Doc;
    });
  }

  stats(): { docs: number; shards: number } {
    const docs = this.db.prepare('SELECT count(*) FROM docs').pluck().get() as number;
    const shards = this.db.prepare('SELECT count(*) FROM shards').pluck().get() as number;
    return { docs, shards };
  }

  close(): void {
    this.db.close();
  }
}
