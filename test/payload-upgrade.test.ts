// A batch left in doubt by the release before this one: its request was
// persisted as the emails' own JSON and sent through the resend SDK, and the
// answer was lost. After the upgrade the worker repeats it as the identical
// request with the same key, so the provider recognises it and nobody gets
// the email twice. On SQLite and on PostgreSQL.
import crypto from 'node:crypto';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStores } from '../db/postgres/index.js';
import { sqliteStores } from '../db/sqlite/index.js';
import type { Stores } from '../db/stores.js';
import { fixedClock } from '../src/clock.js';
import { emailHash } from '../src/address.js';
import { renderSequenceEmail } from '../src/mail/render.js';
import { createResendTransport } from '../src/mail/resend.js';
import type { OutgoingEmail, Transport } from '../src/mail/transport.js';
import { createPacer } from '../src/nurture/pacer.js';
import { SEQUENCES } from '../src/nurture/sequence.js';
import { runTick, type TickDeps } from '../src/nurture/tick.js';
import { startFakeResend, type FakeResend } from './fake-resend/server.js';
import { captureLogger, TEST_SECRET, testConfig } from './helpers/app.js';
import { createTestDatabase, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';

const NOW = '2026-03-02T14:00:00Z';
const PEOPLE = ['ann@example.org', 'ben@example.org', 'cy@example.org'];

/** Runs `sql` with `$n` placeholders; the id of the row it returns, if any. */
type Exec = (sql: string, params: unknown[]) => Promise<number | undefined>;

let fake: FakeResend;
beforeAll(async () => {
  fake = await startFakeResend();
});
afterAll(() => fake.close());

/** How the release before sent a batch: the SDK's batch.send of its emails. */
function sendAsReleaseBefore(emails: OutgoingEmail[], idempotencyKey: string) {
  const sdk = new Resend(fake.apiKey, { baseUrl: fake.url });
  const api = emails.map((e) => ({ from: e.from, to: [e.to], ...(e.replyTo ? { replyTo: e.replyTo } : {}), subject: e.subject, html: e.html, text: e.text, ...(e.headers ? { headers: e.headers } : {}), ...(e.tags ? { tags: e.tags } : {}) }));
  return sdk.batch.send(api, { idempotencyKey, batchValidation: 'permissive' });
}

async function expectRepeatedAsTheSameRequest(stores: Stores, exec: Exec) {
  fake.reset();
  const at = Date.parse(NOW);
  for (const email of PEOPLE) {
    await exec(`INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at) VALUES ($1, $2, 'Robin', 'UTC', 'active', $3, $3, $3)`, [
      email,
      emailHash(TEST_SECRET, email),
      at,
    ]);
    await exec(
      `INSERT INTO enrolments (subscriber_id, sequence, version, started_at, next_step, next_send_at)
       SELECT id, 'education', 1, $2, 1, $2 FROM subscribers WHERE email_hash = $1`,
      [emailHash(TEST_SECRET, email), at],
    );
  }
  const clock = fixedClock(NOW);
  const deps: TickDeps = {
    stores,
    clock,
    transport: createResendTransport(fake.apiKey, { baseUrl: fake.url }),
    logger: captureLogger().logger,
    config: testConfig({ mailFrom: 'Harbor Clinic <education@example.org>', replyTo: 'care@clinic.example' }),
    sequences: SEQUENCES,
    render: renderSequenceEmail,
    pacer: createPacer({ rate: 1000, clock, sleep: async () => {} }),
    realNow: () => clock.now(),
  };

  // The first attempt leaves and the process dies before the answer.
  let inFlight: OutgoingEmail[] | undefined;
  const dying: Transport = { ...deps.transport, sendBatch: (emails) => ((inFlight = emails), new Promise(() => {})) };
  void runTick({ ...deps, transport: dying });
  await expect.poll(() => inFlight).toBeDefined();
  const [batch] = await stores.sendQueue.batches();

  // As the release before had it: the emails' JSON, the key its hash, the request sent through the SDK.
  const payload = JSON.stringify(inFlight);
  const key = `batch-${crypto.createHash('sha256').update(payload).digest('hex')}`;
  await exec('UPDATE batches SET payload = $1, idempotency_key = $2 WHERE id = $3', [payload, key, batch!.id]);
  const first = await sendAsReleaseBefore(inFlight!, key);
  expect(first.error).toBeNull();
  expect(fake.emails).toHaveLength(PEOPLE.length);

  // After the lease, the upgraded worker takes it over.
  clock.advance(10 * 60_000);
  expect(await runTick(deps)).toMatchObject({ sent: PEOPLE.length, batches: 1 });
  expect(fake.requests.map((r) => [r.idempotencyKey, r.status, r.replayed])).toEqual([
    [key, 200, false],
    [key, 200, true],
  ]);
  expect(fake.emails.map((e) => e.to[0]).sort()).toEqual(PEOPLE);
  const sent = (await stores.sendQueue.batches())[0]!;
  expect(sent).toMatchObject({ status: 'sent', payload: null, idempotencyKey: key });
  const ids = first.data!.data.map((d) => d.id);
  for (const id of ids) expect(fake.emails.some((e) => e.id === id)).toBe(true);
}

describe('a batch in doubt across the upgrade', () => {
  it('SQLite: repeated as the identical request with its key', async () => {
    const stores = sqliteStores(':memory:');
    try {
      await expectRepeatedAsTheSameRequest(stores, async (sql, params) => {
        const ordered = [...sql.matchAll(/\$(\d+)/g)].map((m) => params[Number(m[1]) - 1]);
        const stmt = stores.db.$client.prepare(sql.replace(/\$\d+/g, '?'));
        return stmt.reader ? (stmt.get(...ordered) as { id: number }).id : (stmt.run(...ordered), undefined);
      });
    } finally {
      await stores.close();
    }
  });

  it.skipIf(!TEST_DATABASE_URL)('PostgreSQL: the same', async () => {
    const db = await createTestDatabase();
    const stores = await postgresStores(db.url, { max: 3 });
    try {
      await expectRepeatedAsTheSameRequest(stores, async (sql, params) => (await stores.pool.query<{ id: number }>(sql, params)).rows[0]?.id);
    } finally {
      await stores.close();
      await db.drop();
    }
  });

  if (!TEST_DATABASE_URL) it.skip(POSTGRES_SKIP_MESSAGE, () => undefined);
});
