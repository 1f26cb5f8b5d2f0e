import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';

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
export function sqliteReturningId(db: Database.Database) {
  return async (sql: string, params: unknown[]): Promise<number | undefined> => {
    const ordered = [...sql.matchAll(/\$(\d+)/g)].map((m) => params[Number(m[1]) - 1]);
    return (db.prepare(sql.replace(/\$\d+/g, '?')).get(...ordered) as { id: number } | undefined)?.id;
  };
}
