// Upgrading a database made by the release before enrolments, when a
// person's place in the sequence was four columns of their row: people at
// every step, one with an email in flight, one paused, some done, some gone
// (unsubscribed, converted, suppressed, erased), some pending (one of them
// signed up again after leaving). The upgrade moves everyone who confirmed
// into an education enrolment where they are; four weeks of ticks then send
// each person exactly the steps they lacked, none twice, none before a
// pause ends, and a pending person who confirms afterwards starts (or takes
// up again) from the first step they have not had. On SQLite and PostgreSQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Stores } from '../db/stores.js';
import type { EnrolmentEndReason } from '../db/types.js';
import { emailHash } from '../src/address.js';
import { fixedClock } from '../src/clock.js';
import { renderSequenceEmail } from '../src/mail/render.js';
import { createPacer } from '../src/nurture/pacer.js';
import { SEQUENCE_VERSIONS, SEQUENCES } from '../src/nurture/sequence.js';
import { runTick } from '../src/nurture/tick.js';
import { confirmingNow } from '../src/subscribers/confirm.js';
import { captureLogger, TEST_SECRET, testConfig } from './helpers/app.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';
import { upgradePostgres, upgradeSqlite, type ReturningId } from './helpers/release-migrations.js';

// The migrations of the release before enrolments: SQLite 0000..0010, PostgreSQL 0000..0009.
const RELEASE_MIGRATIONS = { sqlite: 11, postgres: 10 };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const PAUSED_UNTIL = T0 + 10 * DAY;
const ALL = [1, 2, 3, 4, 5, 6, 7, 8];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-enrolments-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Person = {
  email: string;
  status: 'active' | 'completed' | 'converted' | 'unsubscribed' | 'suppressed' | 'erased' | 'pending';
  had: number[];
  /** The next step as the old row held it (with no time while its email was in flight). */
  next: number | null;
  inFlight?: boolean;
  paused?: boolean;
  confirmed: boolean;
  /** The enrolment the upgrade must give them: running (null) or ended for this reason; undefined: none. */
  ended?: EnrolmentEndReason | null;
};

const upTo = (n: number) => ALL.slice(0, n);
const PEOPLE: Person[] = [
  ...ALL.map((next): Person => ({ email: `at${next}@example.org`, status: 'active', had: upTo(next - 1), next, confirmed: true, ended: null })),
  { email: 'flight@example.org', status: 'active', had: upTo(2), next: 3, inFlight: true, confirmed: true, ended: null },
  { email: 'paused@example.org', status: 'active', had: upTo(3), next: 4, paused: true, confirmed: true, ended: null },
  { email: 'done@example.org', status: 'completed', had: ALL, next: null, confirmed: true, ended: 'completed' },
  { email: 'booked@example.org', status: 'converted', had: upTo(5), next: null, confirmed: true, ended: 'converted' },
  { email: 'left@example.org', status: 'unsubscribed', had: upTo(3), next: null, confirmed: true, ended: 'unsubscribed' },
  { email: 'bounced@example.org', status: 'suppressed', had: upTo(2), next: null, confirmed: true, ended: 'suppressed' },
  { email: 'gone@example.org', status: 'erased', had: upTo(4), next: null, confirmed: true, ended: 'erased' },
  { email: 'pending@example.org', status: 'pending', had: [], next: null, confirmed: false },
  // Left after three emails, then signed up again: pending, their earlier confirmation kept.
  { email: 'back@example.org', status: 'pending', had: upTo(3), next: null, confirmed: true, ended: 'unsubscribed' },
];

/** Rows as the previous release wrote them (its columns only). */
async function fillReleaseDatabase(exec: ReturningId): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const batch = await exec(`INSERT INTO batches (status, idempotency_key, created_at) VALUES ('ready', 'unprepared-upgrade', $1) RETURNING id`, [T0 - HOUR]);
  for (const p of PEOPLE) {
    const last = p.had.length ? T0 - DAY : null;
    const at = (field: boolean) => (field ? T0 - 20 * DAY : null);
    const id = (await exec(
      `INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at, next_step, next_send_at,
         last_sequence_sent_at, sequence_version, paused_until, completed_at, converted_at, unsubscribed_at, suppressed_at, erased_at)
       VALUES ($1, $2, 'Robin', 'Europe/Berlin', $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
      [
        p.status === 'erased' ? null : p.email,
        p.status === 'erased' ? 'erased:x' : emailHash(TEST_SECRET, p.email),
        p.status,
        T0 - 31 * DAY,
        p.confirmed ? T0 - 30 * DAY : null,
        p.next,
        p.next === null || p.inFlight ? null : T0 + HOUR,
        last,
        p.confirmed ? 1 : null,
        p.paused ? PAUSED_UNTIL : null,
        at(p.status === 'completed'),
        at(p.status === 'converted'),
        at(p.status === 'unsubscribed' || p.email === 'back@example.org'),
        at(p.status === 'suppressed'),
        at(p.status === 'erased'),
      ],
    ))!;
    ids.set(p.email, id);
    for (const step of p.had) {
      await exec(`INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, created_at, sent_at) VALUES ($1, 'sequence', $2, $3, 'Subject', 'sent', $4, $4) RETURNING id`, [
        id,
        step,
        `step-${step}`,
        T0 - DAY - (8 - step) * 2 * DAY,
      ]);
    }
    // The email in flight: queued in a batch a worker held when the old release stopped.
    if (p.inFlight) {
      await exec(`INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, batch_id, created_at) VALUES ($1, 'sequence', $2, $3, 'Subject', 'queued', $4, $5) RETURNING id`, [
        id,
        p.next,
        `step-${p.next}`,
        batch,
        T0 - HOUR,
      ]);
    }
  }
  return ids;
}

/** Four weeks of hourly ticks on the upgraded stores, the two pending people confirming on the third day; every sequence email sent, by address, with its time. */
async function runWeeks(stores: Stores, ids: Map<string, number>) {
  const clock = fixedClock(new Date(T0).toISOString());
  const transport = memoryTransport(() => clock.now());
  const sleep = async (ms: number) => clock.advance(Math.max(0, Math.ceil(ms)));
  const deps = { stores, clock, transport, logger: captureLogger().logger, config: testConfig(), sequences: SEQUENCES, render: renderSequenceEmail, pacer: createPacer({ rate: 1000, clock, sleep }), sleep, random: () => 0.5, realNow: () => clock.now() };
  for (let h = 0; h < 28 * 24; h++) {
    if (h === 2 * 24 + 3) {
      for (const email of ['pending@example.org', 'back@example.org']) {
        const input = (await confirmingNow({ stores, sequences: SEQUENCE_VERSIONS }, clock.now()))({ text: 'yes', version: 'v1', ip: null, userAgent: null });
        expect(await stores.subscribers.confirm(ids.get(email)!, input), email).toMatchObject({ status: 'active' });
      }
    }
    await runTick(deps);
    clock.advance(HOUR);
  }
  const sent = new Map<string, { step: number; at: number }[]>();
  for (const m of transport.sent) {
    const to = m.to as string;
    sent.set(to, [...(sent.get(to) ?? []), { step: Number(m.tags?.find((t) => t.name === 'step')?.value), at: m.at }]);
  }
  return sent;
}

async function expectUpgraded(stores: Stores, ids: Map<string, number>) {
  // Everyone who confirmed has one education enrolment, where their row was.
  for (const p of PEOPLE) {
    const record = (await stores.subscribers.record(ids.get(p.email)!))!;
    if (p.ended === undefined) {
      expect(record.enrolments, p.email).toEqual([]);
      continue;
    }
    expect(record.enrolments, p.email).toEqual([
      expect.objectContaining({ sequence: 'education', version: 1, startedAt: T0 - 30 * DAY, nextStep: p.next, endedReason: p.ended, lastSentAt: p.had.length ? T0 - DAY : null }),
    ]);
    expect(record.enrolments[0]!.endedAt === null, p.email).toBe(p.ended === null);
    expect(record.subscriber.nextStep, p.email).toBe(p.next);
    expect(record.deliveries.filter((d) => d.kind === 'sequence').every((d) => d.sequence === 'education'), p.email).toBe(true);
  }

  // The batch the old worker held is taken over and sent as it is: flight's step 3 goes once.
  const sent = await runWeeks(stores, ids);
  for (const p of PEOPLE) {
    const expected = p.status === 'active' || p.status === 'pending' ? ALL.filter((s) => !p.had.includes(s)) : [];
    const got = sent.get(p.email) ?? [];
    expect(got.map((g) => g.step), p.email).toEqual(expected);
    if (p.paused) expect(Math.min(...got.map((g) => g.at)), p.email).toBeGreaterThanOrEqual(PAUSED_UNTIL);
    // At most one a day: never two within 20 hours.
    for (let i = 1; i < got.length; i++) expect(got[i]!.at - got[i - 1]!.at, p.email).toBeGreaterThanOrEqual(20 * HOUR);
    const record = (await stores.subscribers.record(ids.get(p.email)!))!;
    const steps = record.deliveries.filter((d) => d.kind === 'sequence' && d.status === 'sent').map((d) => d.step).sort((a, b) => a - b);
    expect(steps, p.email).toEqual(p.status === 'active' || p.status === 'pending' ? ALL : p.had);
    if (p.status === 'active' || p.status === 'pending') {
      expect(record.subscriber.status, p.email).toBe('completed');
      expect(record.enrolments, p.email).toEqual([expect.objectContaining({ sequence: 'education', endedReason: 'completed', nextStep: null, nextSendAt: null })]);
    }
  }
}

describe('upgrading a database made by the release before enrolments', () => {
  it('SQLite: everyone confirmed joins the education sequence where they were, and gets exactly the steps they lacked', () =>
    upgradeSqlite(tmp, RELEASE_MIGRATIONS.sqlite, fillReleaseDatabase, expectUpgraded, (old) =>
      expect(old.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'enrolments'").get()).toEqual({ n: 0 }),
    ), 120_000);

  it.skipIf(!TEST_DATABASE_URL)('PostgreSQL: the same', () => upgradePostgres(tmp, RELEASE_MIGRATIONS.postgres, fillReleaseDatabase, expectUpgraded), 120_000);

  if (!TEST_DATABASE_URL) it.skip(POSTGRES_SKIP_MESSAGE, () => undefined);
});
