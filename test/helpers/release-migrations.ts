import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { POSTGRES_MIGRATIONS_DIR } from '../../db/postgres/client.js';
import { postgresStores } from '../../db/postgres/index.js';
import { migrateSqlite, SQLITE_MIGRATIONS_DIR } from '../../db/sqlite/client.js';
import { sqliteStores } from '../../db/sqlite/index.js';
import type { Stores } from '../../db/stores.js';
import { createTestDatabase } from './postgres.js';

/**
 * A copy of a migrations folder holding only its first `count` migrations
 * (what an earlier release shipped), written to `out`: upgrade tests build a
 * database with it, fill it as that release did, then open the current stores.
 */
export function releaseMigrations(dir: string, count: number, out: string): string {
  fs.cpSync(dir, out, { recursive: true });
  const journalFile = path.join(out, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  for (const e of journal.entries.slice(count)) fs.rmSync(path.join(out, `${e.tag}.sql`));
  journal.entries = journal.entries.slice(0, count);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return out;
}

/** Runs PostgreSQL-style SQL (`$n` placeholders, RETURNING id) on SQLite, so one fill serves both engines; answers the id. */
export function sqliteReturningId(db: Database): ReturningId {
  return async (sql: string, params: unknown[]): Promise<number | undefined> => {
    const ordered = [...sql.matchAll(/\$(\d+)/g)].map((m) => params[Number(m[1]) - 1]);
    return (db.prepare(sql.replace(/\$\d+/g, '?')).get(...ordered) as { id: number } | undefined)?.id;
  };
}

/** Runs one statement of an earlier release's fill and answers the id it returned. */
export type ReturningId = (sql: string, params: unknown[]) => Promise<number | undefined>;

/**
 * An upgrade on SQLite: a database made with an earlier release's first
 * `count` migrations in `dir`, filled as that release did (`inspect` may look
 * at it first), then opened with the current stores (which migrate it) for
 * `check`.
 */
export async function upgradeSqlite<T>(
  dir: string,
  count: number,
  fill: (exec: ReturningId) => Promise<T>,
  check: (stores: Stores, filled: T) => Promise<void>,
  inspect?: (old: Database) => void,
): Promise<void> {
  const file = path.join(dir, 'release.db');
  const old = new BetterSqlite3(file);
  migrateSqlite(old, releaseMigrations(SQLITE_MIGRATIONS_DIR, count, path.join(dir, 'sqlite')));
  inspect?.(old);
  const filled = await fill(sqliteReturningId(old));
  old.close();
  const stores = sqliteStores(file);
  try {
    await check(stores, filled);
  } finally {
    await stores.close();
  }
}

/** The same on a PostgreSQL database of its own (TEST_DATABASE_URL's server), dropped afterwards. */
export async function upgradePostgres<T>(dir: string, count: number, fill: (exec: ReturningId) => Promise<T>, check: (stores: Stores, filled: T) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder: releaseMigrations(POSTGRES_MIGRATIONS_DIR, count, path.join(dir, 'postgres')) });
    const filled = await fill(async (sql, params) => (await client.query<{ id: number }>(sql, params)).rows[0]?.id);
    await client.end();
    const stores = await postgresStores(db.url, { max: 3 });
    try {
      await check(stores, filled);
    } finally {
      await stores.close();
    }
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}
