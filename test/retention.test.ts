// Storage limitation: a simulated year of daily sweeps erases exactly the
// people who left (unsubscribed, or finished the series and silent since)
// more than RETENTION_DAYS ago, and the people still pending after their last
// opt-in email (30 days after it when they never confirmed, RETENTION_DAYS
// when they had), each on the first sweep after that, audited as the
// system's; nobody else. SQLite and PostgreSQL.
import { afterAll, describe, expect, it } from 'vitest';
import type { Stores } from '../db/stores.js';
import { fixedClock } from '../src/clock.js';
import { emailHash } from '../src/address.js';
import { sweepRetention } from '../src/subscribers/retention.js';
import { captureLogger, storesOf, TEST_SECRET, testDb } from './helpers/app.js';
import { closePostgresStores, freshPostgresStores, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-01-01T12:00:00Z');
const RETENTION_DAYS = 90;

type Exec = (sql: string, params: unknown[]) => Promise<void>;

/** Who, how they left (the day), and the day the sweep must erase them (null: never). */
const PEOPLE = [
  { email: 'left-early@example.org', unsubscribedDay: 10, expected: 100 },
  { email: 'left-late@example.org', unsubscribedDay: 300, expected: null },
  { email: 'finished@example.org', completedDay: 30, expected: 120 },
  { email: 'finished-then-clicked@example.org', completedDay: 30, clickedDay: 60, expected: 150 },
  { email: 'finished-then-paused@example.org', completedDay: 30, activityDay: 200, expected: 290 },
  { email: 'still-reading@example.org', expected: null },
  { email: 'booked@example.org', convertedDay: 5, expected: null },
  { email: 'never-confirmed@example.org', pending: true, expected: 30 },
  // Unsubscribed, then signed up again (by themselves or by anyone who typed the address) and never confirmed:
  // kept the retention period from that opt-in email, as someone who confirmed once.
  { email: 'left-then-signed-up-again@example.org', unsubscribedDay: 10, signedUpAgainDay: 50, expected: 140 },
] as const;

async function simulateYear(stores: Stores, exec: Exec) {
  const ids = new Map<string, number>();
  for (const p of PEOPLE) {
    await stores.subscribers.signup(
      { email: p.email, emailHash: emailHash(TEST_SECRET, p.email), firstName: null, timezone: 'UTC', reader: null, source: 'signup-form', ip: null, userAgent: null, now: T0 },
      () => ({ kind: 'create' }),
    );
    const id = (await stores.subscribers.list({ q: p.email })).items[0]!.id;
    ids.set(p.email, id);
    if ('pending' in p) continue;
    await stores.subscribers.confirm(id, { now: T0, consent: { text: 'yes', version: 'v1', ip: null, userAgent: null }, sequenceVersion: 1, firstStep: () => 1 });
    if ('unsubscribedDay' in p) await stores.subscribers.unsubscribe(id, T0 + p.unsubscribedDay * DAY, {});
    if ('signedUpAgainDay' in p) {
      await stores.subscribers.signup(
        { email: p.email, emailHash: emailHash(TEST_SECRET, p.email), firstName: null, timezone: 'UTC', reader: null, source: 'signup-form', ip: null, userAgent: null, now: T0 + p.signedUpAgainDay * DAY },
        () => ({ kind: 'reopen', send: true }),
      );
    }
    if ('convertedDay' in p) await stores.subscribers.markConverted(id, T0 + p.convertedDay * DAY);
    if ('completedDay' in p) {
      await exec("UPDATE subscribers SET status = 'completed', completed_at = $1 WHERE id = $2", [T0 + p.completedDay * DAY, id]);
      if ('clickedDay' in p) {
        await exec("INSERT INTO deliveries (subscriber_id, kind, sequence, step, template_id, subject, status, created_at, sent_at, clicked_at) VALUES ($1, 'sequence', 'education', 8, 't', 's', 'sent', $2, $2, $3)", [id, T0 + (p.completedDay - 1) * DAY, T0 + p.clickedDay * DAY]);
      }
      if ('activityDay' in p) await exec("INSERT INTO activity (subscriber_id, type, at) VALUES ($1, 'paused', $2)", [id, T0 + p.activityDay * DAY]);
    }
  }

  const clock = fixedClock(new Date(T0).toISOString());
  const deps = { stores, clock, logger: captureLogger().logger, transport: { name: 'memory' as const }, config: { outboxDir: '/nonexistent' } };
  const erasedOn = new Map<string, number>();
  for (let day = 1; day <= 365; day++) {
    clock.set(T0 + day * DAY);
    const before = new Set(erasedOn.keys());
    const n = await sweepRetention(deps, RETENTION_DAYS, 2);
    let found = 0;
    for (const [email, id] of ids) {
      if (before.has(email)) continue;
      if ((await stores.subscribers.byId(id))!.status === 'erased') {
        erasedOn.set(email, day);
        found++;
      }
    }
    expect(found, `day ${day}`).toBe(n);
  }
  expect(Object.fromEntries(PEOPLE.map((p) => [p.email, erasedOn.get(p.email) ?? null]))).toEqual(Object.fromEntries(PEOPLE.map((p) => [p.email, p.expected === null ? null : p.expected + 1])));

  // Audited as the system's, with nothing personal; the address stays recognised (suppressed as erased).
  const audit = (await stores.staff.auditLog({ page: 1, pageSize: 50 })).items.filter((e) => e.action === 'subscriber.erased');
  const neverConfirmed = new Set(['never-confirmed@example.org', 'left-then-signed-up-again@example.org']);
  expect(audit.map((e) => [e.actor, e.subscriberId, e.detail])).toEqual(
    expect.arrayContaining(
      [...erasedOn.keys()].map((email) => [
        'system',
        ids.get(email),
        { ...(email === 'never-confirmed@example.org' ? { unconfirmedDays: 30 } : neverConfirmed.has(email) ? { unconfirmedDays: RETENTION_DAYS } : { retentionDays: RETENTION_DAYS }), withdrawnFromBatches: 0 },
      ]),
    ),
  );
  expect(audit).toHaveLength(erasedOn.size);
  expect(await stores.subscribers.suppressionOf({ emailHash: emailHash(TEST_SECRET, 'left-early@example.org') })).toBe('erased');
}

describe('the retention sweep over a simulated year', () => {
  it('SQLite', async () => {
    const db = testDb();
    await simulateYear(storesOf(db), async (sql, params) => {
      const ordered = [...sql.matchAll(/\$(\d+)/g)].map((m) => params[Number(m[1]) - 1]);
      db.$client.prepare(sql.replace(/\$\d+/g, '?')).run(...ordered);
    });
  }, 60_000);

  describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL', () => {
    afterAll(closePostgresStores);
    it('the same', async () => {
      const stores = await freshPostgresStores();
      await simulateYear(stores, async (sql, params) => {
        await stores.pool.query(sql, params);
      });
    }, 120_000);
  });
  if (!TEST_DATABASE_URL) it.skip(POSTGRES_SKIP_MESSAGE, () => undefined);
});
