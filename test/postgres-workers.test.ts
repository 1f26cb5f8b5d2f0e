// Several workers on one PostgreSQL share the due work and the account's
// request budget: three worker processes against a provider limited to 5
// requests a second, one of them killed with SIGKILL while its request is in
// flight. Its batch is taken over after the lease and repeated as the
// identical request; every (subscriber, step) arrives exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStores, type PostgresStores } from '../db/postgres/index.js';
import { startFakeResend, type FakeResend } from './fake-resend/server.js';
import { TEST_SECRET } from './helpers/app.js';
import { createTestDatabase, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';
import { countBy } from './helpers/worker.js';
import { emailHash } from '../src/address.js';
import { until } from './helpers/process.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tick-child.ts');
const SUBSCRIBERS = 240;
const BATCH = 10;
const RATE = 5;
const LEASE_MS = 2000;


describe.skipIf(!TEST_DATABASE_URL)('three workers on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let stores: PostgresStores;
  let fake: FakeResend;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    stores = await postgresStores(db.url, { max: 2 });
    fake = await startFakeResend({ rateLimit: RATE, latencyMs: { min: 5, max: 20 } });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await fake?.close();
    await stores?.close();
    await db?.drop();
  });

  function startWorker() {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db.url, fake.url, String(LEASE_MS), String(RATE), String(BATCH)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    child.stdout!.resume();
    return { child, exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
  }

  it('share the work, survive a SIGKILL mid-batch, and send each (subscriber, step) exactly once', async () => {
    const now = Date.now() - 1000;
    const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `worker${i}@example.org`);
    await stores.pool.query(
      `WITH s AS (INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at)
         SELECT e, h, 'P', 'UTC', 'active', $3, $3, $3 FROM unnest($1::text[], $2::text[]) AS u(e, h) RETURNING id)
       INSERT INTO enrolments (subscriber_id, sequence, started_at, next_step, next_send_at) SELECT id, 'education', $3, 1, $3 FROM s`,
      [emails, emails.map((e) => emailHash(TEST_SECRET, e)), now],
    );

    const workers = [startWorker(), startWorker(), startWorker()];
    await until(() => fake.emails.length >= 60, 'the first batches', 60_000);
    // Hold the next requests in flight and kill the worker whose request that is.
    const open = fake.hold();
    const heldAt = fake.requests.length;
    await until(() => fake.requests.length > heldAt, 'a request in flight', 60_000);
    const key = fake.requests[heldAt]!.idempotencyKey;
    const owner = (await stores.pool.query<{ owner: string }>('SELECT lease_owner AS owner FROM batches WHERE idempotency_key = $1', [key])).rows[0]!.owner;
    const victim = workers.find((w) => owner.startsWith(`worker-${w.child.pid}/`))!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    open();

    for (const w of workers) if (w !== victim) expect(await w.exited).toBe(0);

    const perAddress = countBy(fake.emails, (e) => e.to[0]!);
    expect(perAddress.size).toBe(SUBSCRIBERS);
    expect([...perAddress.values()].filter((n) => n !== 1)).toEqual([]);
    // The interrupted request was repeated identically by another worker and answered from the provider's store.
    const heldKeys = new Set(fake.requests.slice(heldAt).map((r) => r.idempotencyKey));
    const replayed = fake.requests.filter((r) => r.replayed);
    expect(replayed.length).toBeGreaterThanOrEqual(1);
    expect(replayed.every((r) => heldKeys.has(r.idempotencyKey))).toBe(true);
    const rows = (await stores.pool.query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM deliveries WHERE kind = 'sequence' GROUP BY status")).rows;
    expect(rows).toEqual([{ status: 'sent', n: SUBSCRIBERS }]);
    expect((await stores.pool.query("SELECT 1 FROM batches WHERE status = 'ready' OR payload IS NOT NULL")).rowCount).toBe(0);
    // Each subscriber moved on to step 2, once.
    expect((await stores.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM enrolments WHERE next_step = 2')).rows[0]!.n).toBe(SUBSCRIBERS);
  }, 120_000);
});

if (!TEST_DATABASE_URL) console.warn(POSTGRES_SKIP_MESSAGE);
