import crypto from 'node:crypto';
import pg from 'pg';
import { postgresStores, type PostgresStores } from '../../db/postgres/index.js';

/** The PostgreSQL the tests may use (`.ci/run` starts one and sets it); unset: those tests skip. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export const POSTGRES_SKIP_MESSAGE = 'TEST_DATABASE_URL is not set: the PostgreSQL tests are skipped (bash .ci/run starts a PostgreSQL and sets it)';

const TABLES = ['subscriber_merges', 'audit_log', 'staff_sessions', 'staff_accounts', 'login_failures', 'provider_events', 'activity', 'deliveries', 'batches', 'suppressions', 'subscribers', 'worker_state'];

/**
 * A database of its own for one test file (test files run in parallel), made
 * on the server of TEST_DATABASE_URL and dropped by `drop()`.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const name = `nurture_t_${crypto.randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        // A background worker of the server (autovacuum) may hold the database a moment; FORCE cannot end those for us.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            return;
          } catch (err) {
            if (attempt >= 10) throw err;
            await new Promise((r) => setTimeout(r, 200 * attempt));
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}

let shared: Promise<{ stores: PostgresStores; drop(): Promise<void> }> | null = null;

/** The stores on this file's test database, migrated once and emptied on every call. */
export async function freshPostgresStores(): Promise<PostgresStores> {
  shared ??= (async () => {
    const db = await createTestDatabase();
    return { stores: await postgresStores(db.url, { max: 5 }), drop: db.drop };
  })();
  const { stores } = await shared;
  await stores.pool.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE`);
  // Back to what the migrations leave: version 1 published.
  await stores.pool.query('DELETE FROM sequence_versions WHERE version > 1');
  return stores;
}

export async function closePostgresStores(): Promise<void> {
  if (!shared) return;
  const { stores, drop } = await shared;
  shared = null;
  await stores.close();
  await drop();
}
