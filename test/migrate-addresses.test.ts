// Upgrading a database made by the release before canonical addresses: its
// rows are keyed by the address as typed (domain lower-cased only), so one
// person could be two rows. The upgrade moves every row to its canonical
// hash and merges rows that are one person, keeping the stronger state, the
// earliest consent and every delivery; afterwards nothing is sent twice and
// an old link of a merged row still unsubscribes the person. SQLite and
// PostgreSQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Stores } from '../db/stores.js';
import type { Subscriber } from '../db/types.js';
import { fixedClock } from '../src/clock.js';
import { addressHashes, emailHash, legacyEmailHash } from '../src/address.js';
import { decideImport } from '../src/subscribers/import.js';
import { decideSignup } from '../src/subscribers/subscribe.js';
import { signToken } from '../src/mail/tokens.js';
import { renderSequenceEmail } from '../src/mail/render.js';
import { createPacer } from '../src/nurture/pacer.js';
import { SEQUENCES } from '../src/nurture/sequence.js';
import { runTick } from '../src/nurture/tick.js';
import { canonicaliseAddresses, decideMerge } from '../src/subscribers/canonical-addresses.js';
import { findByToken } from '../src/subscribers/lookup.js';
import { upgradePostgres, upgradeSqlite } from './helpers/release-migrations.js';
import { captureLogger, TEST_SECRET, testConfig } from './helpers/app.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';

// The migrations of the release before canonical addresses: SQLite 0000..0008, PostgreSQL 0000..0007.
const RELEASE_MIGRATIONS = { sqlite: 9, postgres: 8 };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-addresses-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


type Row = { email: string; status: string; had: number[]; next: number | null; confirmedAt: number | null; unsubscribedAt?: number; firstName?: string; suppressed?: string };

// Three people stored twice each in two spellings, one stored once in
// capitals, one already canonical.
const ROWS: Row[] = [
  // Confirmed, then unsubscribed in the other spelling later: the unsubscribe stays.
  { email: 'Alice.Victim@example.com', status: 'active', had: [1, 2], next: 3, confirmedAt: T0 - 20 * DAY, firstName: 'Alice' },
  { email: 'alice.victim@example.com', status: 'unsubscribed', had: [1], next: null, confirmedAt: T0 - 19 * DAY, unsubscribedAt: T0 - 5 * DAY },
  // Pending in one spelling, active in the other: one active person.
  { email: 'Bob@example.org', status: 'pending', had: [], next: null, confirmedAt: null, firstName: 'Bob' },
  { email: 'bob@example.org', status: 'active', had: [1, 2], next: 3, confirmedAt: T0 - 10 * DAY },
  // Bounced in one spelling: suppressed wins, in every spelling.
  { email: 'CAROL@example.org', status: 'suppressed', had: [1], next: null, confirmedAt: T0 - 15 * DAY, suppressed: 'bounced' },
  { email: 'carol@example.org', status: 'active', had: [1, 2, 3], next: 4, confirmedAt: T0 - 9 * DAY },
  { email: 'Dan@example.org', status: 'active', had: [1], next: 2, confirmedAt: T0 - 2 * DAY },
  { email: 'eve@example.org', status: 'active', had: [1], next: 2, confirmedAt: T0 - 2 * DAY },
];

/** Rows as the previous release wrote them, with `$n` placeholders; answers the ids in ROWS' order. */
async function fillReleaseDatabase(exec: (sql: string, params: unknown[]) => Promise<number | undefined>): Promise<number[]> {
  const ids: number[] = [];
  for (const r of ROWS) {
    const last = r.had.length ? T0 - DAY : null;
    const id = (await exec(
      `INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at, consent_text, consent_version, consent_given_at,
                                unsubscribed_at, next_step, next_send_at, last_sequence_sent_at, sequence_version)
       VALUES ($1, $2, $3, 'Europe/Berlin', $4, $5, $5, $6, $7, 'v1', $6, $8, $9, $10, $11, $12) RETURNING id`,
      [
        r.email,
        legacyEmailHash(TEST_SECRET, r.email),
        r.firstName ?? null,
        r.status,
        (r.confirmedAt ?? T0 - DAY) - HOUR,
        r.confirmedAt,
        r.confirmedAt === null ? null : `consent of ${r.email}`,
        r.unsubscribedAt ?? null,
        r.next,
        r.next === null ? null : T0 + HOUR,
        last,
        r.confirmedAt === null ? null : 1,
      ],
    ))!;
    ids.push(id);
    for (const step of r.had) {
      await exec(`INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, created_at, sent_at) VALUES ($1, 'sequence', $2, $3, 'Subject', 'sent', $4, $4) RETURNING id`, [
        id,
        step,
        `step-${step}`,
        T0 - 2 * DAY - (8 - step) * DAY,
      ]);
    }
    await exec(`INSERT INTO activity (subscriber_id, type, at) VALUES ($1, 'signup', $2) RETURNING id`, [id, (r.confirmedAt ?? T0 - DAY) - HOUR]);
    if (r.suppressed) await exec(`INSERT INTO suppressions (email_hash, reason, created_at) VALUES ($1, $2, $3) RETURNING 1 AS id`, [legacyEmailHash(TEST_SECRET, r.email), r.suppressed, T0 - 3 * DAY]);
  }
  // An erasure the previous release made of an address typed with capitals: only its hash is left.
  await exec(`INSERT INTO suppressions (email_hash, reason, created_at) VALUES ($1, 'erased', $2) RETURNING 1 AS id`, [legacyEmailHash(TEST_SECRET, 'Frank.Erased@example.org'), T0 - 4 * DAY]);
  return ids;
}

async function people(stores: Stores): Promise<Subscriber[]> {
  const all: Subscriber[] = [];
  for await (const s of stores.subscribers.all()) all.push(s);
  return all;
}

/** Three weeks of hourly ticks; every sequence email sent, by address. */
async function runWeeks(stores: Stores) {
  const clock = fixedClock(new Date(T0).toISOString());
  const transport = memoryTransport(() => clock.now());
  const sleep = async (ms: number) => clock.advance(Math.max(0, Math.ceil(ms)));
  const deps = { stores, clock, transport, logger: captureLogger().logger, config: testConfig(), sequences: SEQUENCES, render: renderSequenceEmail, pacer: createPacer({ rate: 1000, clock, sleep }), sleep, random: () => 0.5, realNow: () => clock.now() };
  for (let h = 0; h < 21 * 24; h++) {
    await runTick(deps);
    clock.advance(HOUR);
  }
  const sent = new Map<string, number[]>();
  for (const m of transport.sent) sent.set(m.to.toLowerCase(), [...(sent.get(m.to.toLowerCase()) ?? []), Number(m.tags?.find((t) => t.name === 'step')?.value)]);
  return sent;
}

async function expectUpgraded(stores: Stores, ids: number[]) {
  const { logger } = captureLogger();
  const counts = await canonicaliseAddresses({ stores, secretKey: TEST_SECRET, now: () => T0, logger });
  expect(counts).toEqual({ rekeyed: 1, merged: 3 });
  // Once only: a second start finds the work done.
  expect(await canonicaliseAddresses({ stores, secretKey: TEST_SECRET, now: () => T0, logger })).toEqual({ rekeyed: 0, merged: 0 });

  const after = await people(stores);
  expect(after.filter((s) => s.email !== null).map((s) => s.email!.toLowerCase()).sort()).toEqual(['alice.victim@example.com', 'bob@example.org', 'carol@example.org', 'dan@example.org', 'eve@example.org']);
  for (const s of after) expect(s.emailHash, s.email!).toBe(emailHash(TEST_SECRET, s.email!));
  const by = new Map(after.map((s) => [s.email!.toLowerCase(), s]));

  const alice = by.get('alice.victim@example.com')!;
  expect(alice).toMatchObject({ id: ids[1], status: 'unsubscribed', firstName: 'Alice', confirmedAt: T0 - 19 * DAY, consentGivenAt: T0 - 20 * DAY, consentText: 'consent of Alice.Victim@example.com' });
  const aliceRecord = (await stores.subscribers.record(alice.id))!;
  // Every delivery kept; the step both rows had counts once.
  expect(aliceRecord.deliveries.map((d) => `${d.kind}:${d.step}`).sort()).toEqual(['resend:1', 'sequence:1', 'sequence:2']);
  expect((await stores.subscribers.received(alice.id)).sort()).toEqual([1, 2]);
  expect(aliceRecord.activity.filter((a) => a.type === 'signup')).toHaveLength(2);

  expect(by.get('bob@example.org')).toMatchObject({ id: ids[3], status: 'active', firstName: 'Bob', nextStep: 3 });
  const carol = by.get('carol@example.org')!;
  expect(carol).toMatchObject({ id: ids[4], status: 'suppressed' });
  expect((await stores.subscribers.record(carol.id))!.suppression).toMatchObject({ reason: 'bounced' });
  expect(by.get('dan@example.org')).toMatchObject({ id: ids[6], status: 'active' });

  // The merges are audited as the system's, naming the rows, nothing personal.
  const audit = (await stores.staff.auditLog({ page: 1, pageSize: 50 })).items.filter((e) => e.action === 'subscriber.merged');
  expect(audit.map((e) => [e.actor, e.subscriberId, e.detail]).sort()).toEqual(
    [
      ['system', ids[1], { mergedId: ids[0] }],
      ['system', ids[3], { mergedId: ids[2] }],
      ['system', ids[4], { mergedId: ids[5] }],
    ].sort(),
  );

  // An unsubscribe link of a row that went leads to the person; a preference link (current links only) does not.
  const unsubscribe = signToken(TEST_SECRET, { purpose: 'unsubscribe', subscriberId: ids[2]!, generation: 0 });
  expect(await findByToken(stores.subscribers, TEST_SECRET, unsubscribe, 'unsubscribe', T0, true)).toMatchObject({ kind: 'found', current: false, subscriber: { id: ids[3] } });
  const preferences = signToken(TEST_SECRET, { purpose: 'preferences', subscriberId: ids[2]!, generation: 0 });
  expect(await findByToken(stores.subscribers, TEST_SECRET, preferences, 'preferences', T0)).toEqual({ kind: 'unknown' });

  // The old erasure still stops an import of that spelling; the person may still sign up again themselves.
  const frank = { email: 'Frank.Erased@example.org', ...addressHashes(TEST_SECRET, 'Frank.Erased@example.org'), firstName: null, timezone: 'UTC', reader: null, ip: null, userAgent: null, now: T0 };
  const seen: (string | null)[] = [];
  const imported = await stores.subscribers.importRows([{ ...frank, source: 'import', confirm: null }], (existing, suppression) => (seen.push(suppression), decideImport(existing, suppression, false)), () => {
    throw new Error('nobody is created');
  });
  expect(imported.map((r) => r.action)).toEqual([{ kind: 'none', reason: 'erased' }]);
  const again = await stores.subscribers.signup({ ...frank, source: 'signup-form' }, (existing, suppression) => (seen.push(suppression), decideSignup(existing, suppression, T0)));
  expect(again.action).toEqual({ kind: 'create', afterErasure: true });
  expect(seen).toEqual(['erased', 'erased']);
  await stores.subscribers.unsubscribe((await stores.subscribers.list({ q: 'frank' })).items[0]!.id, T0, {});

  // Three weeks on: the active people get exactly the steps they lacked, nobody else gets anything.
  const sent = await runWeeks(stores);
  expect(Object.fromEntries(sent)).toEqual({
    'bob@example.org': [3, 4, 5, 6, 7, 8],
    'dan@example.org': [2, 3, 4, 5, 6, 7, 8],
    'eve@example.org': [2, 3, 4, 5, 6, 7, 8],
  });
}

describe('upgrading a database made by the release before canonical addresses', () => {
  it('SQLite: every row on its canonical hash, one person per address, nothing sent twice', () => upgradeSqlite(tmp, RELEASE_MIGRATIONS.sqlite, fillReleaseDatabase, expectUpgraded), 120_000);

  it.skipIf(!TEST_DATABASE_URL)('PostgreSQL: the same', () => upgradePostgres(tmp, RELEASE_MIGRATIONS.postgres, fillReleaseDatabase, expectUpgraded), 120_000);

  if (!TEST_DATABASE_URL) it.skip(POSTGRES_SKIP_MESSAGE, () => undefined);
});

describe('decideMerge', () => {
  const base = { id: 1, status: 'active', createdAt: 10, confirmedAt: 20, consentGivenAt: 20, unsubscribedAt: null, firstName: null } as unknown as Subscriber;
  it('keeps the stronger state, and a later confirmation over an earlier unsubscribe', () => {
    expect(decideMerge({ ...base, id: 1, status: 'suppressed' }, { ...base, id: 2 }).survivorId).toBe(1);
    expect(decideMerge({ ...base, id: 1 }, { ...base, id: 2, status: 'unsubscribed', unsubscribedAt: 30 }).survivorId).toBe(2);
    expect(decideMerge({ ...base, id: 1, confirmedAt: 40 }, { ...base, id: 2, status: 'unsubscribed', unsubscribedAt: 30 }).survivorId).toBe(1);
    expect(decideMerge({ ...base, id: 1, status: 'pending', confirmedAt: null, consentGivenAt: null }, { ...base, id: 2 }).survivorId).toBe(2);
  });
  it('takes the earliest consent and signup time', () => {
    const { survivorId, patch } = decideMerge({ ...base, id: 1, status: 'unsubscribed', createdAt: 15, confirmedAt: 50, consentGivenAt: 50, unsubscribedAt: 60 }, { ...base, id: 2, consentText: 'first' } as Subscriber);
    expect(survivorId).toBe(1);
    expect(patch).toMatchObject({ createdAt: 10, consentGivenAt: 20, consentText: 'first', confirmedAt: 50 });
  });
});
