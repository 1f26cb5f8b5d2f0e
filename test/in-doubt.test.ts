// Exactly once after error answers. A batch whose request left and whose
// outcome is unknown (a hang, a lost answer) is in doubt: the provider may
// have sent it. An error answer to a later replay (429, 5xx) says nothing
// about that first request, so the batch stays in doubt, replayed as the
// same body under the same key, until the provider accepts the key or the
// replay window ends (then it is held for staff). Against the HTTP fake of
// Resend, on SQLite and on PostgreSQL.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../db/stores.js';
import { sqliteStoresFor } from '../db/sqlite/index.js';
import { createResendTransport } from '../src/mail/resend.js';
import type { Transport } from '../src/mail/transport.js';
import { isKnownFailure, MAX_RATE_LIMITED_TRIES, MAX_TRANSIENT_TRIES, planAttempt, planFailure, REPLAY_WINDOW_MS } from '../src/nurture/decide.js';
import { DEFAULT_LEASE_MS } from '../src/nurture/tick.js';
import { startFakeResend, type FakeResend, type InjectedError } from './fake-resend/server.js';
import { TEST_SECRET, testDb } from './helpers/app.js';
import { closePostgresStores, freshPostgresStores, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';
import { emailHash } from '../src/address.js';
import { countBy, seedDue, tickHarness } from './helpers/worker.js';

const NOW = Date.parse('2026-03-02T14:00:00Z');
const HOUR = 3_600_000;
const FROM = 'Harbor Clinic <education@example.org>';

type Engine = { name: string; open(): Promise<{ stores: Stores; seed(count: number): Promise<number[]> }> };

const sqlite: Engine = {
  name: 'SQLite',
  async open() {
    const db = testDb();
    return { stores: sqliteStoresFor(db), seed: async (count) => seedDue(db, count, { at: NOW }) };
  },
};

const postgres: Engine = {
  name: 'PostgreSQL',
  async open() {
    const stores = await freshPostgresStores();
    return {
      stores,
      async seed(count) {
        const emails = Array.from({ length: count }, (_, i) => `person${i}@example.org`);
        const r = await stores.pool.query<{ id: number }>(
          `WITH s AS (INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at)
             SELECT e, h, 'P', 'UTC', 'active', $3, $3, $3 FROM unnest($1::text[], $2::text[]) AS u(e, h) RETURNING id)
           INSERT INTO enrolments (subscriber_id, sequence, started_at, next_step, next_send_at) SELECT id, 'education', $3, 1, $3 FROM s RETURNING subscriber_id AS id`,
          [emails, emails.map((e) => emailHash(TEST_SECRET, e)), NOW],
        );
        return r.rows.map((row) => row.id).sort((a, b) => a - b);
      },
    };
  },
};

const engines = TEST_DATABASE_URL ? [sqlite, postgres] : [sqlite];
if (!TEST_DATABASE_URL) console.warn(POSTGRES_SKIP_MESSAGE);

const errorAnswers: { name: string; error: InjectedError; tries: number }[] = [
  { name: '429', error: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.', headers: { 'retry-after': '1' } }, tries: MAX_RATE_LIMITED_TRIES },
  { name: '503', error: { statusCode: 503, name: 'service_unavailable', message: 'Service unavailable.' }, tries: MAX_TRANSIENT_TRIES },
];

let fake: FakeResend;
let fakeNow = NOW;
beforeAll(async () => {
  fake = await startFakeResend({ clock: () => fakeNow });
});
afterAll(async () => {
  await fake.close();
  await closePostgresStores();
});
beforeEach(() => {
  fake.reset();
  fakeNow = NOW;
});

/** The Resend transport to the fake. */
const resend = () => createResendTransport(fake.apiKey, { baseUrl: fake.url, timeoutMs: 5_000 });

/** A process (a harness with its own clock, which is also the fake's while it runs) starting at `at`. */
function processAt(stores: Stores, transport: Transport, at: number) {
  const h = tickHarness(stores, transport, { now: new Date(at).toISOString(), config: { mailFrom: FROM } });
  h.clock.advance = ((advance) => (ms: number) => {
    advance(ms);
    fakeNow = h.clock.now();
  })(h.clock.advance);
  fakeNow = at;
  return h;
}

const perAddress = () => countBy(fake.emails, (e) => e.to[0]!);

describe.each(engines)('an error answer to a replay keeps the batch in doubt ($name)', (engine) => {
  it.each(errorAnswers)('hang, SIGKILL, $name answers to the replays, the key forgotten: held for staff, never sent twice', async ({ error, tries }) => {
    const { stores, seed } = await engine.open();
    await seed(2);
    // The first process's request reaches the provider, which sends it; the process dies before the answer.
    const real = resend();
    const dying: Transport = { ...real, sendBatch: (emails, o) => (void real.sendBatch(emails, o).catch(() => {}), new Promise(() => {})) };
    void processAt(stores, dying, NOW).tick();
    await expect.poll(() => fake.emails.length).toBe(2);

    // Another process takes the batch over after the lease; every replay is answered with an error.
    fake.failNext(tries, error, { replays: true });
    const second = processAt(stores, resend(), NOW + DEFAULT_LEASE_MS + 60_000);
    expect(await second.tick()).toMatchObject({ sent: 0 });
    expect(fake.requests.slice(1).map((r) => r.status)).toEqual(Array(tries).fill(error.statusCode));
    const keys = new Set(fake.requests.map((r) => r.idempotencyKey));
    expect(keys.size).toBe(1);

    // A day on, the provider has forgotten the key: a repeat would be sent again.
    fake.forgetKeys();
    const third = processAt(stores, resend(), NOW + 25 * HOUR);
    expect(await third.tick()).toMatchObject({ sent: 0, held: 1 });
    expect(await stores.sendQueue.held()).toEqual([expect.objectContaining({ deliveries: 2, kinds: 'sequence' })]);
    expect([...perAddress().values()]).toEqual([1, 1]);
  });

  it.each(errorAnswers)('answer lost, $name answers to the replays while one person unsubscribes: the same key again, each email once', async ({ error }) => {
    const { stores, seed } = await engine.open();
    const [, leaver] = await seed(3);
    // The provider sends the first request; only its answer is lost.
    fake.dropNext(1, 'after');
    const real = resend();
    let requests = 0;
    const transport: Transport = {
      ...real,
      async sendBatch(emails, o) {
        if (++requests === 2) {
          // Error answers to the replays from now, and meanwhile one of them unsubscribes.
          fake.failNext(3, error, { replays: true });
          await stores.subscribers.unsubscribe(leaver!, NOW, { source: 'test' });
        }
        return real.sendBatch(emails, o);
      },
    };
    const h = processAt(stores, transport, NOW);
    expect(await h.tick()).toMatchObject({ sent: 3 });
    expect(fake.emails).toHaveLength(3);
    expect([...perAddress().values()]).toEqual([1, 1, 1]);
    expect(new Set(fake.requests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(fake.requests.at(-1)).toMatchObject({ status: 200, replayed: true });
  });
});

describe('the decisions', () => {
  // Resend keeps an idempotency key 24 hours: written out here, so a change of the window's constant cannot carry this test along.
  const RESEND_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;
  const MARGIN_MS = 60 * 60 * 1000;

  it('the replay window ends an hour before Resend forgets the key', () => {
    const inDoubt = { attempts: 2, inDoubt: true, firstAttemptAt: NOW };
    expect(planAttempt(inDoubt, NOW + RESEND_KEY_RETENTION_MS - MARGIN_MS + 1)).toBe('hold');
    expect(planAttempt(inDoubt, NOW + RESEND_KEY_RETENTION_MS - 2 * MARGIN_MS)).toBe('replay');
    expect(REPLAY_WINDOW_MS).toBeLessThanOrEqual(RESEND_KEY_RETENTION_MS - MARGIN_MS);
  });

  it('an error answer proves nothing was sent only for a request no earlier attempt left in doubt', () => {
    for (const details of [{ statusCode: 429 }, { statusCode: 503 }, { statusCode: 422 }, { local: true }]) {
      expect(isKnownFailure({ details }, false)).toBe(true);
      expect(isKnownFailure({ details }, true)).toBe(false);
    }
    // No answer at all (a timeout, a reset): unknown either way.
    expect(isKnownFailure({ details: {} }, false)).toBe(false);
  });

  it('a request refused as a whole is split only when it is not a replay: the halves would go under new keys', () => {
    const refused = { kind: 'permanent' as const, details: { statusCode: 422 } };
    expect(planFailure(refused, { transient: 0, rateLimited: 0 }, NOW, () => 0.5)).toEqual({ kind: 'permanent' });
    expect(planFailure(refused, { transient: 0, rateLimited: 0 }, NOW, () => 0.5, true)).toMatchObject({ kind: 'defer' });
  });
});
