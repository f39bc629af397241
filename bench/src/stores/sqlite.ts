import Database from 'better-sqlite3';
import type { BenchRecord } from '../records.js';

type SqliteDatabase = Database.Database;

/**
 * Opens (creating) the records table the way an application would keep JSON
 * documents in SQLite: the document in a JSON text column, the queried fields
 * copied into indexed columns. WAL with `synchronous=FULL` syncs the WAL on
 * every commit, as durable as the journal's fdatasync.
 */
export function openSqlite(file: string): SqliteDatabase {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS records (
      id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      story_id TEXT NOT NULL,
      doc TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS records_status ON records (status);
    CREATE INDEX IF NOT EXISTS records_story ON records (story_id);
  `);
  return db;
}

/** A prepared insert: one autocommit transaction per call unless run inside `db.transaction`. */
export function sqliteInserter(db: SqliteDatabase): (record: BenchRecord) => void {
  const insert = db.prepare<[string, string, string, string]>(
    'INSERT INTO records (id, status, story_id, doc) VALUES (?, ?, ?, ?)',
  );
  return (record) => {
    insert.run(record.id, record.status, record.metadata.story_id, JSON.stringify(record));
  };
}

/** Inserts every record in one transaction. */
export function sqliteImport(db: SqliteDatabase, records: readonly BenchRecord[]): void {
  const insert = sqliteInserter(db);
  db.transaction(() => {
    for (const record of records) insert(record);
  })();
}

/** Parsed documents of a `SELECT doc ...` statement. */
export function parsedDocs<P extends unknown[]>(
  db: SqliteDatabase,
  sql: string,
): (...params: P) => BenchRecord[] {
  const statement = db.prepare<P, string>(sql).pluck();
  return (...params) => statement.all(...params).map((doc) => JSON.parse(doc) as BenchRecord);
}
