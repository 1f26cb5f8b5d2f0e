import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openRequest } from '../src/mail/envelope.js';
import { openSqlite as openDb, type SqliteDb as Db } from '../db/sqlite/client.js';
import { emailHash } from '../src/address.js';
import { emailsOfBatchBody } from '../src/mail/batch-body.js';
import { verifyToken } from '../src/mail/tokens.js';
import { SendError, type Transport } from '../src/mail/transport.js';
import { DEFAULT_LEASE_MS, QUOTA_KEY } from '../src/nurture/tick.js';
import { storesOf } from './helpers/app.js';
import { TEST_SECRET, testDb } from './helpers/app.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { countBy, seedDue, STUB_SEQUENCE, stubSchedule, stubRender, tickHarness } from './helpers/worker.js';

const NOW = '2026-03-02T14:00:00Z'; // 09:00 in New York, 14:00 UTC
const at = (iso: string) => Date.parse(iso);

function rows<T>(db: Db, sql: string, ...args: unknown[]): T[] {
  return db.$client.prepare(sql).all(...args) as T[];
}
function one<T>(db: Db, sql: string, ...args: unknown[]): T {
  return db.$client.prepare(sql).get(...args) as T;
}

describe('tick', () => {
  let db: Db;
  beforeEach(() => {
    db = testDb();
  });

  it('sends every due email once in batches of at most 100, with unsubscribe headers and tags, and schedules the next step', async () => {
    const ids = seedDue(db, 250, { at: at(NOW) });
    const transport = memoryTransport();
    const batchSizes: number[] = [];
    const counting: Transport = { ...transport, sendBatch: (emails, o) => (batchSizes.push(emails.length), transport.sendBatch(emails, o)) };
    const h = tickHarness(db, counting, { now: NOW });
    const summary = await h.tick();

    expect(summary).toMatchObject({ due: 250, sent: 250, failed: 0, dropped: 0, batches: 3 });
    expect(batchSizes).toEqual([100, 100, 50]);
    expect(new Set(transport.sent.map((e) => e.to)).size).toBe(250);
    const first = transport.sent[0]!;
    expect(first.subject).toBe('Lesson 1');
    const unsubscribe = /^<http:\/\/nurture\.test\/u\/([^>]+)>$/.exec(first.headers!['List-Unsubscribe']!);
    expect(unsubscribe).not.toBeNull();
    expect(verifyToken(TEST_SECRET, unsubscribe![1]!, 'unsubscribe', at(NOW))?.subscriberId).toBe(ids[0]);
    expect(first.headers!['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(first.tags).toContainEqual({ name: 'step', value: '1' });
    // Each batch has its own content-derived key.
    expect(new Set(transport.sent.map((e) => e.idempotencyKey)).size).toBe(3);

    const deliveries = rows<{ status: string; providerId: string; step: number }>(db, 'SELECT status, provider_id AS providerId, step FROM deliveries');
    expect(deliveries).toHaveLength(250);
    expect(deliveries.every((d) => d.status === 'sent' && d.providerId.startsWith('mem-') && d.step === 1)).toBe(true);
    // Step 2 two days later at 09:00 UTC (the seeded subscribers live in UTC); batches are cleared.
    const sub = one<{ nextStep: number; nextSendAt: number; last: number }>(db, `SELECT next_step AS nextStep, next_send_at AS nextSendAt, e.last_sent_at AS last FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' WHERE s.id = ?`, ids[0]);
    expect(sub).toEqual({ nextStep: 2, nextSendAt: at('2026-03-04T09:00:00Z'), last: at(NOW) });
    expect(rows(db, "SELECT id FROM batches WHERE status != 'sent' OR payload IS NOT NULL")).toEqual([]);
  });

  it('reads only due rows: a second tick at the same time sends nothing', async () => {
    seedDue(db, 5, { at: at(NOW) });
    seedDue(db, 5, { at: at('2026-03-03T09:00:00Z'), startId: 100 });
    const transport = memoryTransport();
    const h = tickHarness(db, transport, { now: NOW });
    expect((await h.tick()).sent).toBe(5);
    expect(await h.tick()).toMatchObject({ due: 0, sent: 0 });
    expect(transport.sent).toHaveLength(5);
  });

  it('moves a due step that may not go now (outside the window) without sending it', async () => {
    // Step 2 due at 03:00 New York time: rescheduled to 09:00 the same day.
    const [id] = seedDue(db, 1, { at: at('2026-03-04T08:00:00Z'), step: 2, timezone: 'America/New_York', lastSentAt: at('2026-03-02T14:00:00Z') });
    const transport = memoryTransport();
    const summary = await tickHarness(db, transport, { now: '2026-03-04T08:00:00Z' }).tick();
    expect(summary).toMatchObject({ due: 1, sent: 0, rescheduled: 1 });
    expect(transport.sent).toHaveLength(0);
    expect(one(db, `SELECT next_send_at AS t FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' WHERE s.id = ?`, id)).toEqual({ t: at('2026-03-04T14:00:00Z') });
  });

  it('completes the sequence after the last step and records it', async () => {
    const [id] = seedDue(db, 1, { at: at(NOW), step: 8, timezone: 'America/New_York', lastSentAt: at('2026-02-27T14:00:00Z') });
    const summary = await tickHarness(db, memoryTransport(), { now: NOW }).tick();
    expect(summary).toMatchObject({ sent: 1, completed: 1 });
    expect(one(db, `SELECT status, next_step AS s, next_send_at AS t FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' WHERE s.id = ?`, id)).toEqual({ status: 'completed', s: null, t: null });
    expect(rows(db, "SELECT type FROM activity WHERE subscriber_id = ? AND type = 'completed'", id)).toHaveLength(1);
  });

  it('never mails a suppressed address', async () => {
    const [a, b] = seedDue(db, 2, { at: at(NOW) });
    db.$client.prepare("INSERT INTO suppressions (email_hash, reason, created_at) VALUES (?, 'bounced', 0)").run(emailHash(TEST_SECRET, 'person1@example.org'));
    const transport = memoryTransport();
    await tickHarness(db, transport, { now: NOW }).tick();
    expect(transport.sent.map((e) => e.to)).toEqual(['person0@example.org']);
    expect(one(db, `SELECT status, next_send_at AS t FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' WHERE s.id = ?`, b)).toEqual({ status: 'suppressed', t: null });
    expect(one(db, 'SELECT status FROM subscribers WHERE id = ?', a)).toEqual({ status: 'active' });
  });

  it('drops subscribers who unsubscribed, converted or were erased between the claim and the first attempt', async () => {
    const ids = seedDue(db, 5, { at: at(NOW) });
    const transport = memoryTransport();
    const h = tickHarness(db, transport, { now: NOW });
    let changed = false;
    // The claim has happened when the first email is rendered: change three subscribers then.
    const summary = await h.tick({
      render: (step, props) => {
        if (!changed) {
          changed = true;
          db.$client.prepare("UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?").run(ids[1]);
          db.$client.prepare("UPDATE subscribers SET status = 'converted' WHERE id = ?").run(ids[2]);
          db.$client.prepare("UPDATE subscribers SET status = 'erased', email = NULL WHERE id = ?").run(ids[3]);
        }
        return stubRender(step, props);
      },
    });
    expect(summary).toMatchObject({ sent: 2, dropped: 3 });
    expect(transport.sent.map((e) => e.to).sort()).toEqual(['person0@example.org', 'person4@example.org']);
    expect(rows<{ status: string; error: string }>(db, "SELECT status, error FROM deliveries WHERE status = 'dropped' ORDER BY id")).toEqual([
      { status: 'dropped', error: 'dropped: unsubscribed' },
      { status: 'dropped', error: 'dropped: converted' },
      { status: 'dropped', error: 'dropped: erased' },
    ]);
  });

  it('repeats the identical request after a failed attempt, even if a subscriber unsubscribed meanwhile', async () => {
    // The first attempt may have been accepted (its answer was lost): only the identical
    // request with the same key is safe to repeat, so nobody is taken out of it.
    const ids = seedDue(db, 3, { at: at(NOW) });
    const transport = memoryTransport();
    const keys: string[] = [];
    let calls = 0;
    const flaky: Transport = {
      ...transport,
      async sendBatch(emails, o) {
        keys.push(o!.idempotencyKey!);
        if (calls++ === 0) {
          db.$client.prepare("UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?").run(ids[0]);
          throw new SendError('transient', 'socket hang up');
        }
        return transport.sendBatch(emails, o);
      },
    };
    const h = tickHarness(db, flaky, { now: NOW });
    const summary = await h.tick();
    expect(summary).toMatchObject({ sent: 3, retried: 1, dropped: 0 });
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(h.sleeps.length).toBeGreaterThan(0);
  });

  it('takes over a batch left by a crash and repeats the identical request with the same key', async () => {
    seedDue(db, 3, { at: at(NOW) });
    const transport = memoryTransport();
    const keys: string[] = [];
    const bodies: string[] = [];
    const sent: string[] = [];
    const dying: Transport = {
      ...transport,
      async sendBatch(emails, o) {
        keys.push(o!.idempotencyKey!);
        bodies.push(Buffer.concat(o!.body!).toString());
        sent.push(JSON.stringify(emails));
        return new Promise(() => {}); // the process dies with the request in flight: nothing settles the batch
      },
    };
    const h = tickHarness(db, dying, { now: NOW });
    void h.tick();
    await vi.waitFor(() => expect(bodies).toHaveLength(1));
    const batch = one<{ status: string; attempts: number; payload: string }>(db, 'SELECT status, attempts, payload FROM batches');
    expect(batch.status).toBe('ready');
    expect(batch.attempts).toBe(1);
    expect(Buffer.concat(openRequest(batch.payload).body).toString()).toBe(bodies[0]);
    expect(JSON.stringify(emailsOfBatchBody(bodies[0]!))).toBe(sent[0]);

    // Before the lease expires nobody touches it; afterwards the next tick repeats it.
    const recorder: Transport = { ...transport, sendBatch: (emails, o) => (keys.push(o!.idempotencyKey!), bodies.push(Buffer.concat(o!.body!).toString()), sent.push(JSON.stringify(emails)), transport.sendBatch(emails, o)) };
    h.clock.advance(20_000);
    expect(await h.tick({ transport: recorder })).toMatchObject({ sent: 0 });
    h.clock.advance(DEFAULT_LEASE_MS);
    expect(await h.tick({ transport: recorder })).toMatchObject({ sent: 3 });
    expect(keys[1]).toBe(keys[0]);
    expect(bodies[1]).toBe(bodies[0]);
    expect(sent[1]).toBe(sent[0]);
    expect(rows(db, "SELECT id FROM deliveries WHERE status = 'sent'")).toHaveLength(3);
  });

  it('prepares again a batch claimed but never persisted (crash before the payload was saved)', async () => {
    seedDue(db, 2, { at: at(NOW) });
    const transport = memoryTransport();
    const h = tickHarness(db, transport, { now: NOW });
    const queue = storesOf(db).sendQueue;
    const claim = await queue.claimDue(at(NOW), 100, 'dead-worker', at(NOW) + 60_000, stubSchedule(h.deps.config));
    expect(claim.batchId).not.toBeNull();
    h.clock.advance(2 * 60_000);
    expect(await h.tick()).toMatchObject({ sent: 2 });
    expect(transport.sent).toHaveLength(2);
  });

  it('a permanent error fails that delivery only; the rest of the batch goes', async () => {
    seedDue(db, 7, { at: at(NOW) });
    const transport = memoryTransport();
    // Strict batch validation: one bad address refuses the whole request.
    const strict: Transport = {
      ...transport,
      async sendBatch(emails, o) {
        if (emails.some((e) => e.to === 'person3@example.org')) throw new SendError('permanent', 'validation_error: invalid `to`', { statusCode: 422 });
        return transport.sendBatch(emails, o);
      },
    };
    const summary = await tickHarness(db, strict, { now: NOW }).tick();
    expect(summary).toMatchObject({ sent: 6, failed: 1 });
    expect(transport.sent.map((e) => e.to).sort()).toEqual(['person0', 'person1', 'person2', 'person4', 'person5', 'person6'].map((p) => `${p}@example.org`));
    const failed = one<{ error: string; subscriber: number }>(db, "SELECT error, subscriber_id AS subscriber FROM deliveries WHERE status = 'failed'");
    expect(failed.error).toContain('invalid');
    // The failed subscriber still moves on to the next step.
    expect(one(db, `SELECT next_step AS s FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' WHERE s.id = ?`, failed.subscriber)).toEqual({ s: 2 });
  });

  it('a per-email error in a batch answer fails only that delivery', async () => {
    seedDue(db, 3, { at: at(NOW) });
    const transport = memoryTransport();
    const permissive: Transport = {
      ...transport,
      async sendBatch(emails, o) {
        const sent = await transport.sendBatch(emails, o);
        return sent.map((s, i) => (i === 1 ? { id: '', error: new SendError('permanent', 'validation_error: bad address') } : s));
      },
    };
    const summary = await tickHarness(db, permissive, { now: NOW }).tick();
    expect(summary).toMatchObject({ sent: 2, failed: 1 });
  });

  it('a batch that keeps failing transiently is left for a later tick and does not block the others', async () => {
    seedDue(db, 150, { at: at(NOW) });
    const transport = memoryTransport();
    const firstKey: string[] = [];
    const failing: Transport = {
      ...transport,
      async sendBatch(emails, o) {
        firstKey[0] ??= o!.idempotencyKey!;
        if (o!.idempotencyKey === firstKey[0]) throw new SendError('transient', '503 service unavailable', { statusCode: 503 });
        return transport.sendBatch(emails, o);
      },
    };
    const h = tickHarness(db, failing, { now: NOW });
    const summary = await h.tick();
    expect(summary).toMatchObject({ sent: 50, retried: 4 });
    const deferred = one<{ status: string; nextAttemptAt: number; lease: string | null }>(db, 'SELECT status, next_attempt_at AS nextAttemptAt, lease_owner AS lease FROM batches WHERE id = 1');
    expect(deferred.status).toBe('ready');
    expect(deferred.lease).toBeNull();
    expect(deferred.nextAttemptAt).toBeGreaterThan(h.clock.now());
    // The next tick after that time sends it.
    h.clock.set(deferred.nextAttemptAt);
    expect(await h.tick({ transport })).toMatchObject({ sent: 100 });
  });

  it('a daily quota error pauses sending until the quota resets, with a clear log line', async () => {
    seedDue(db, 3, { at: at(NOW) });
    const transport = memoryTransport();
    transport.failNext(new SendError('quota', 'daily_quota_exceeded: You have reached your daily email sending quota.', { statusCode: 429 }));
    const h = tickHarness(db, transport, { now: NOW });
    const first = await h.tick();
    expect(first.sent).toBe(0);
    const line = h.logs.find((l) => String(l.msg).startsWith('daily quota reached'));
    expect(line?.msg).toBe('daily quota reached, sending paused until 2026-03-03T00:00:00.000Z');
    expect((await h.tick()).pausedUntil).toBe('2026-03-03T00:00:00.000Z');
    expect(transport.sent).toHaveLength(0);
    h.clock.set('2026-03-03T00:00:01Z');
    expect(await h.tick()).toMatchObject({ sent: 3 });
  });

  it('a daily quota met by a tick run as if later pauses on the machine clock, which every worker reads', async () => {
    const tenDaysLater = '2026-03-12T14:00:00Z';
    seedDue(db, 3, { at: at(tenDaysLater) });
    const transport = memoryTransport();
    transport.failNext(new SendError('quota', 'daily_quota_exceeded: You have reached your daily email sending quota.', { statusCode: 429 }));
    const h = tickHarness(db, transport, { now: tenDaysLater });
    expect((await h.tick({ realNow: () => at(NOW) })).sent).toBe(0);
    // Until the provider's next midnight: ten hours of the machine's time, not ten days and ten hours.
    expect(Number(await h.deps.stores.settings.get(QUOTA_KEY))).toBe(at(NOW) + 10 * 3_600_000);
  });

  it('obeys retry-after on a 429 and sends everything once', async () => {
    seedDue(db, 3, { at: at(NOW) });
    const transport = memoryTransport();
    transport.failNext(new SendError('rate_limited', 'rate_limit_exceeded', { statusCode: 429, retryAfterMs: 1000 }));
    const h = tickHarness(db, transport, { now: NOW });
    expect(await h.tick()).toMatchObject({ sent: 3, retried: 1 });
    expect(h.sleeps.some((ms) => ms >= 999)).toBe(true);
    expect(transport.sent).toHaveLength(3);
  });
});

describe('two workers on one database', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-race-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('send each step once when their ticks race', async () => {
    const file = path.join(dir, 'race.db');
    const a = openDb(file);
    const b = openDb(file);
    seedDue(a, 1000, { at: at(NOW) });
    // One provider shared by both, slow enough that the ticks interleave.
    const transport = memoryTransport();
    const slow: Transport = { ...transport, sendBatch: async (emails, o) => (await new Promise((r) => setTimeout(r, 2)), transport.sendBatch(emails, o)) };
    const ha = tickHarness(a, slow, { now: NOW });
    const hb = tickHarness(b, slow, { now: NOW });
    const [sa, sb] = await Promise.all([ha.tick({ owner: 'a', concurrency: 2 }), hb.tick({ owner: 'b', concurrency: 2 })]);
    expect(sa.sent + sb.sent).toBe(1000);
    expect(sa.sent).toBeGreaterThan(0);
    expect(sb.sent).toBeGreaterThan(0);
    const perAddress = countBy(transport.sent, (e) => e.to);
    expect(perAddress.size).toBe(1000);
    expect([...perAddress.values()].every((n) => n === 1)).toBe(true);
    a.$client.close();
    b.$client.close();
  });
});

// The sequence stub is shared with the other worker tests; keep it honest.
it('the stub sequence follows the brief days', () => {
  expect(STUB_SEQUENCE.map((s) => s.dayOffset)).toEqual([0, 2, 4, 7, 10, 14, 18, 21]);
});
