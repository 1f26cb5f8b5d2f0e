import crypto from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL the bench may use: a user that may create databases, or undefined (PostgreSQL figures skipped). */
export const BENCH_PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;

/** A new, empty database on BENCH_PG_URL's server, and a way to drop it. */
export async function freshDatabase(tag: string): Promise<{ url: string; drop(): Promise<void> }> {
  // Random as well: benches on other machines (or containers) may share the server and a pid.
  const name = `nurture_bench_${tag}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: BENCH_PG_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  // FORCE ends the bench's own leftover sessions; an autovacuum worker on the
  // database (after a bulk load) is not the bench user's to end, so the drop
  // is tried again until it has finished.
  const drop = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch (error) {
        if ((error as { code?: string }).code !== '42501' || attempt === 20) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  await drop();
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(BENCH_PG_URL!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop };
}
