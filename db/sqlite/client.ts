import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { tightenToOwner } from '../owner-only.js';
import * as schema from './schema.js';

export type SqliteDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

// Beside this module in the source; `npm run build` copies the migrations next to the compiled one.
export const SQLITE_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/sqlite', import.meta.url));

/** How long a statement waits for another process's write lock before failing. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) the SQLite database and applies pending
 * migrations. The server and `npm run worker` may open one file at the same
 * moment: the busy timeout is set by the constructor, before the first
 * statement, so even switching to WAL waits rather than failing.
 */
export function openSqlite(file: string): SqliteDb {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    // Created readable by its owner only (the WAL and shm inherit the mode);
    // an earlier release's files, and their directory, are tightened to match.
    if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
    for (const f of [path.dirname(file), file, `${file}-wal`, `${file}-shm`]) tightenToOwner(f);
  }
  const sqlite = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  // Deleted rows (an erased person, a sent request body) are overwritten, not left in free pages.
  sqlite.pragma('secure_delete = ON');
  sqlite.pragma('foreign_keys = ON');
  // SQLite's own default page cache (2 MB); better-sqlite3 builds with 16 MB,
  // which a worker fills in a long tick without sending any faster (the OS
  // caches the file too): 18 of the 40 MiB a 100,000-email tick added.
  sqlite.pragma('cache_size = -2000');
  // A checkpoint (and its fsync) every 10,000 WAL pages (about 40 MB) rather
  // than SQLite's 1,000: a batch settled rewrites the same index pages as the
  // batch before it, so they are copied back once instead of many times. It
  // halved the time a tick spends committing (npm run bench -- tick).
  sqlite.pragma('wal_autocheckpoint = 10000');
  const db = drizzle(sqlite, { schema });
  migrateSqlite(sqlite);
  return db;
}

/**
 * Applies drizzle-kit's migrations in one EXCLUSIVE transaction, reading what
 * is applied inside it: two processes starting together serialise here, and
 * the second finds nothing left to do. (drizzle's own migrator reads outside
 * its transaction, so both would try to create the tables.) Same bookkeeping
 * table and rows as drizzle's migrator.
 */
export function migrateSqlite(sqlite: Database.Database, folder = SQLITE_MIGRATIONS_DIR): void {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  sqlite.exec('BEGIN EXCLUSIVE');
  try {
    sqlite.exec('CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)');
    const last = sqlite.prepare('SELECT created_at AS createdAt FROM "__drizzle_migrations" ORDER BY created_at DESC LIMIT 1').get() as { createdAt: number } | undefined;
    const record = sqlite.prepare('INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)');
    for (const m of migrations) {
      if (last && Number(last.createdAt) >= m.folderMillis) continue;
      for (const stmt of m.sql) if (stmt.trim()) sqlite.exec(stmt);
      record.run(m.hash, m.folderMillis);
    }
    sqlite.exec('COMMIT');
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw err;
  }
}
