// The send pipeline's faults, each found by review of the previous release:
// a request is replayed byte for byte only while its outcome is unknown and
// young enough for the provider to recognise the repeat; after a known
// failure it is rebuilt without anyone who left meanwhile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SqliteDb as Db } from '../db/sqlite/client.js';
import { fixedClock } from '../src/clock.js';
import { createOutboxTransport } from '../src/mail/outbox.js';
import { SendError, type OutgoingEmail, type Transport } from '../src/mail/transport.js';
import { REPLAY_WINDOW_MS } from '../src/nurture/decide.js';
import { eraseSubscriber } from '../src/subscribers/erase.js';
import { storesOf, testApp, testDb } from './helpers/app.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { asStaff, csrfFrom, staffForm } from './helpers/staff.js';
import { until } from './helpers/process.js';
import { seedDue, tickHarness } from './helpers/worker.js';

const NOW = '2026-03-02T14:00:00Z';
const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

let db: Db;
beforeEach(() => {
  db = testDb();
});

function batchRow(id?: number, on: Db = db) {
  const sql = 'SELECT id, status, attempts, in_doubt AS inDoubt, payload FROM batches' + (id ? ' WHERE id = ?' : ' ORDER BY id DESC LIMIT 1');
  return (id ? on.$client.prepare(sql).get(id) : on.$client.prepare(sql).get()) as { id: number; status: string; attempts: number; inDoubt: number; payload: string | null };
}

/** Records each request; the first `failures` answer with `failure()` after running `during` (what happens meanwhile). */
function scripted(failures: number, failure: () => Error, during: () => Promise<void> | void = () => {}) {
  const inner = memoryTransport();
  const requests: { emails: OutgoingEmail[]; key: string }[] = [];
  const transport: Transport = {
    name: 'memory',
    async sendBatch(emails, o) {
      requests.push({ emails, key: o!.idempotencyKey! });
      if (requests.length <= failures) {
        await during();
        throw failure();
      }
      return inner.sendBatch(emails, o);
    },
  };
  return { transport, requests, sent: inner.sent };
}

describe('after a known failure the batch is rebuilt without people who left', () => {
  const knownFailures: [string, () => Error][] = [
    ['an error answer (503)', () => new SendError('transient', 'service unavailable', { statusCode: 503 })],
    ['a rate limit (429)', () => new SendError('rate_limited', 'slow down', { statusCode: 429, retryAfterMs: 10 })],
  ];
  it.each(knownFailures)('%s: an erased person is not mailed by the retry', async (_name, failure) => {
    const [a, b, c] = seedDue(db, 3, { at: at(NOW) });
    const stores = storesOf(db);
    const s = scripted(1, failure, async () => {
      await eraseSubscriber(stores, b!, at(NOW));
    });
    const h = tickHarness(db, s.transport, { now: NOW });
    const summary = await h.tick();
    expect(summary).toMatchObject({ sent: 2, dropped: 1 });
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0]!.emails.map((e) => e.to)).toEqual(['person0@example.org', 'person1@example.org', 'person2@example.org']);
    expect(s.requests[1]!.emails.map((e) => e.to)).toEqual(['person0@example.org', 'person2@example.org']);
    // A new body is a new request: it must not reuse the key of the refused one.
    expect(s.requests[1]!.key).not.toBe(s.requests[0]!.key);
    expect(JSON.stringify(s.sent)).not.toContain('person1@example.org');
    const statuses = db.$client.prepare('SELECT subscriber_id AS id, status FROM deliveries ORDER BY subscriber_id').all();
    expect(statuses).toEqual([
      { id: a, status: 'sent' },
      { id: b, status: 'dropped' },
      { id: c, status: 'sent' },
    ]);
  });

  it('an outbox write that failed (nothing left the machine) is rebuilt without someone who unsubscribed meanwhile', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-outbox-fault-'));
    try {
      const [, b] = seedDue(db, 2, { at: at(NOW) });
      const clock = fixedClock(NOW);
      // A file where the outbox directory should be: the write fails with ENOTDIR.
      const blocked = path.join(dir, 'blocked');
      fs.writeFileSync(blocked, '');
      const broken = createOutboxTransport(path.join(blocked, 'outbox'), clock);
      const good = createOutboxTransport(path.join(dir, 'outbox'), clock);
      let calls = 0;
      const transport: Transport = {
        name: 'outbox',
        async sendBatch(emails, o) {
          if (++calls > 1) return good.sendBatch(emails, o);
          db.$client.prepare("UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?").run(b);
          return broken.sendBatch(emails, o);
        },
      };
      const h = tickHarness(db, transport, { now: NOW });
      expect(await h.tick()).toMatchObject({ sent: 1, dropped: 1 });
      const files = fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'));
      expect(files).toHaveLength(1);
      expect(fs.readFileSync(path.join(dir, 'outbox', files[0]!), 'utf8')).toContain('To: person0@example.org');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an unknown outcome is replayed byte for byte, only inside the idempotency window', () => {
  it('a timeout: the retry repeats the identical request and key, even if someone unsubscribed meanwhile', async () => {
    const [, b] = seedDue(db, 2, { at: at(NOW) });
    const s = scripted(
      1,
      () => new SendError('transient', 'timed out after 10000 ms', { providerCode: 'timeout' }),
      () => {
        db.$client.prepare("UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?").run(b);
      },
    );
    const h = tickHarness(db, s.transport, { now: NOW });
    await h.tick();
    expect(s.requests).toHaveLength(2);
    // The provider may hold the first: only the identical request is recognised as its repeat.
    expect(s.requests[1]!.key).toBe(s.requests[0]!.key);
    expect(JSON.stringify(s.requests[1]!.emails)).toBe(JSON.stringify(s.requests[0]!.emails));
  });

  it('a batch whose outcome is unknown and whose first attempt is older than 23 hours is held for staff, never resent', async () => {
    seedDue(db, 2, { at: at(NOW) });
    const requests: string[] = [];
    const hanging: Transport = {
      name: 'memory',
     
      sendBatch: (_emails, o) => (requests.push(o!.idempotencyKey!), new Promise(() => {})), // the process dies here
    };
    void tickHarness(db, hanging, { now: NOW }).tick();
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    expect(batchRow()).toMatchObject({ status: 'ready', attempts: 1, inDoubt: 1 });

    // Restarted a day later: the provider has forgotten the key, so a repeat could deliver twice.
    const later = new Date(at(NOW) + REPLAY_WINDOW_MS + HOUR).toISOString();
    const transport = memoryTransport();
    const summary = await tickHarness(db, transport, { now: later }).tick();
    expect(summary).toMatchObject({ sent: 0, held: 1 });
    expect(transport.sent).toEqual([]);
    expect(batchRow()).toMatchObject({ status: 'held' });
    expect(await storesOf(db).sendQueue.held()).toEqual([expect.objectContaining({ deliveries: 2, kinds: 'sequence' })]);
    // Nothing is sent by later ticks either.
    expect(await tickHarness(db, transport, { now: later }).tick()).toMatchObject({ sent: 0 });
    expect(transport.sent).toEqual([]);
  });

  it('inside the window the same batch is replayed with its key', async () => {
    seedDue(db, 2, { at: at(NOW) });
    const requests: string[] = [];
    const hanging: Transport = { name: 'memory', sendBatch: (_e, o) => (requests.push(o!.idempotencyKey!), new Promise(() => {})) };
    void tickHarness(db, hanging, { now: NOW }).tick();
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    const transport = memoryTransport();
    const later = new Date(at(NOW) + REPLAY_WINDOW_MS - HOUR).toISOString();
    expect(await tickHarness(db, transport, { now: later }).tick()).toMatchObject({ sent: 2, held: 0 });
    expect(new Set(transport.sent.map((m) => m.idempotencyKey))).toEqual(new Set(requests));
  });
});

describe('held batches on the dashboard', () => {
  async function heldApp() {
    const t = testApp({ now: NOW });
    seedDue(t.db, 2, { at: at(NOW) });
    const requests: string[] = [];
    const hanging: Transport = { name: 'memory', sendBatch: (_e, o) => (requests.push(o!.idempotencyKey!), new Promise(() => {})) };
    void tickHarness(t.db, hanging, { now: NOW }).tick();
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    t.clock.advance(REPLAY_WINDOW_MS + HOUR);
    await tickHarness(t.db, memoryTransport(), { now: new Date(t.clock.now()).toISOString() }).tick();
    return t;
  }

  it('says what is held and why, and staff can count it as sent', async () => {
    const t = await heldApp();
    const page = await (await t.app.request('/staff', asStaff())).text();
    expect(page).toContain('Sending held: 1 batch needs a decision');
    expect(page).toContain('2 (sequence)');
    const id = batchRow(undefined, t.db).id;
    const res = await t.app.request(`/staff/batches/${id}/sent`, staffForm({ _csrf: csrfFrom(page) }));
    expect(res.status).toBe(303);
    expect(batchRow(id, t.db)).toMatchObject({ status: 'sent' });
    expect(t.db.$client.prepare('SELECT actor, action, detail FROM audit_log').all()).toEqual([{ actor: 'staff', action: 'batch.resolved', detail: JSON.stringify({ batchId: id, decision: 'sent' }) }]);
    expect(t.db.$client.prepare("SELECT count(*) AS n FROM deliveries WHERE status = 'sent'").get()).toEqual({ n: 2 });
    // Each subscriber moved on to step 2.
    expect(t.db.$client.prepare(`SELECT next_step AS step FROM enrolments ORDER BY subscriber_id`).all()).toEqual([{ step: 2 }, { step: 2 }]);
    expect(await (await t.app.request('/staff', asStaff())).text()).not.toContain('Sending held');
  });

  it('or send it again as a new request, through the API', async () => {
    const t = await heldApp();
    const id = batchRow(undefined, t.db).id;
    const list = await (await t.app.request('/api/batches/held', asStaff())).json();
    expect(list.batches).toEqual([expect.objectContaining({ id, deliveries: 2 })]);
    expect((await t.app.request(`/api/batches/${id}/resend`, asStaff({ method: 'POST' }))).status).toBe(200);
    expect((await t.app.request(`/api/batches/${id}/resend`, asStaff({ method: 'POST' }))).status).toBe(404);
    expect(t.db.$client.prepare('SELECT actor, action, detail FROM audit_log').all()).toEqual([{ actor: 'staff', action: 'batch.resolved', detail: JSON.stringify({ batchId: id, decision: 'resend' }) }]);
    await t.drain();
    expect(t.transport.sent.map((m) => m.to).sort()).toEqual(['person0@example.org', 'person1@example.org']);
  });
});

describe('leases', () => {
  it('are never set beyond real time plus their length, whatever time a tick runs as', async () => {
    seedDue(db, 1, { at: Date.now() + 10 * 24 * HOUR });
    const requests: string[] = [];
    const hanging: Transport = { name: 'memory', sendBatch: (_e, o) => (requests.push(o!.idempotencyKey!), new Promise(() => {})) };
    // `npm run tick -- --now` ten days ahead: the harness's realNow is the machine's clock here.
    const h = tickHarness(db, hanging, { now: new Date(Date.now() + 10 * 24 * HOUR).toISOString() });
    void h.tick({ realNow: Date.now, leaseMs: 60_000 });
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    const { lease } = db.$client.prepare('SELECT lease_expires_at AS lease FROM batches').get() as { lease: number };
    expect(lease).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('are renewed while an attempt runs, so a long attempt keeps its batch from other processes', async () => {
    seedDue(db, 1, { at: at(NOW) });
    let answer: (() => void) | null = null;
    const slow: Transport = {
      name: 'memory',
     
      sendBatch: (emails) => new Promise((resolve) => (answer = () => resolve(emails.map((_, i) => ({ id: `slow-${i}` }))))),
    };
    const done = tickHarness(db, slow, { now: NOW }).tick({ realNow: Date.now, leaseMs: 300 });
    await vi.waitFor(() => expect(answer).not.toBeNull());
    const lease = () => (db.$client.prepare('SELECT lease_expires_at AS lease FROM batches').get() as { lease: number }).lease;
    const first = lease();
    await until(() => lease() > first + 300, 'the lease renewed past its first end');
    expect(await storesOf(db).sendQueue.claimStale(at(NOW), Date.now(), 'another-process', Date.now() + 300)).toBeNull();
    answer!();
    expect(await done).toMatchObject({ sent: 1 });
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});
