import { fileURLToPath } from 'node:url';
import { getTableColumns, type Table } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

// Beside this module in the source; `npm run build` copies the migrations next to the compiled one.
export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/postgres', import.meta.url));

// bigint (int8) columns hold millisecond times and ids, all far below 2^53: read them as numbers.
pg.types.setTypeParser(20, (v) => Number(v));

// Any number taken by every process that migrates, so two servers starting together migrate once.
const MIGRATION_LOCK = 7_450_112;

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** Opens a pool on DATABASE_URL and applies pending migrations under an advisory lock. */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder: POSTGRES_MIGRATIONS_DIR });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
  return pool;
}

/** Runs `fn` in one transaction on one pooled connection. */
export async function transaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** `"column" AS "key"` for every column of a table, so rows come back shaped like the drizzle row type. */
export function selectList(table: Table, alias?: string): string {
  return Object.entries(getTableColumns(table))
    .map(([key, col]) => `${alias ? `${alias}.` : ''}"${col.name}" AS "${key}"`)
    .join(', ');
}
