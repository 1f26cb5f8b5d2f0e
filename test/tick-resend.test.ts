// The tick against the fake Resend through the real SDK: rate limits, server
// errors, timeouts, lost answers and refused addresses end with every email
// sent exactly once.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteDb as Db } from '../db/sqlite/client.js';
import { createResendTransport } from '../src/mail/resend.js';
import { startFakeResend, type FakeResend } from './fake-resend/server.js';
import { testDb } from './helpers/app.js';
import { countBy, seedDue, tickHarness } from './helpers/worker.js';

const NOW = '2026-03-02T14:00:00Z';

describe('tick against the fake Resend', () => {
  let fake: FakeResend;
  let db: Db;
  let fakeNow = Date.parse(NOW);
  beforeAll(async () => {
    fake = await startFakeResend({ clock: () => fakeNow });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    fake.setRateLimit(undefined);
    fake.setLatency(0);
    fake.rejectAddresses(undefined);
    fake.setDailyQuota(undefined);
    db = testDb();
  });

  /** A harness whose clock is also the fake's, and a transport reporting rate limits to its pacer. */
  function setup(options: { timeoutMs?: number; batchValidation?: 'strict' | 'permissive' } = {}) {
    let observe: (info: object) => void = () => {};
    const transport = createResendTransport(fake.apiKey, { baseUrl: fake.url, timeoutMs: options.timeoutMs ?? 5_000, batchValidation: options.batchValidation, onRateLimit: (i) => observe(i) });
    const h = tickHarness(db, transport, { now: NOW, config: { mailFrom: 'Harbor Clinic <education@example.org>' } });
    observe = (i) => h.deps.pacer.observe(i);
    fakeNow = h.clock.now();
    h.clock.advance = ((orig) => (ms: number) => {
      orig(ms);
      fakeNow = h.clock.now();
    })(h.clock.advance);
    return h;
  }

  function expectEachOnce(count: number) {
    const perAddress = countBy(fake.emails, (e) => e.to[0]!);
    expect(perAddress.size).toBe(count);
    expect([...perAddress.values()].every((n) => n === 1)).toBe(true);
    const sent = db.$client.prepare("SELECT count(*) AS n, count(DISTINCT provider_id) AS ids FROM deliveries WHERE status = 'sent'").get();
    expect(sent).toEqual({ n: count, ids: count });
  }

  it('sends through the batch endpoint with the idempotency key and the one-click headers', async () => {
    seedDue(db, 120, { at: Date.parse(NOW) });
    const h = setup();
    expect(await h.tick()).toMatchObject({ sent: 120, batches: 2 });
    expect(fake.requests.map((r) => [r.path, r.emailCount, r.status])).toEqual([
      ['/emails/batch', 100, 200],
      ['/emails/batch', 20, 200],
    ]);
    expect(fake.requests[0]!.idempotencyKey).toMatch(/^batch-[0-9a-f]{64}$/);
    expect(fake.emails[0]!.headers).toMatchObject({ 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    expectEachOnce(120);
  });

  it('obeys 429 retry-after and the rate-limit headers, and sends everything once', async () => {
    seedDue(db, 1000, { at: Date.parse(NOW) });
    fake.setRateLimit(2, 1000);
    const h = setup();
    const summary = await h.tick();
    expect(summary.sent).toBe(1000);
    expectEachOnce(1000);
    // The limit header lowered the pacer to the provider's rate.
    expect(h.deps.pacer.rate).toBe(2);
    expect(fake.requests.filter((r) => r.status === 200)).toHaveLength(10);
  });

  it('retries 500s with backoff and sends everything once', async () => {
    seedDue(db, 250, { at: Date.parse(NOW) });
    fake.failNext(3);
    const h = setup();
    expect(await h.tick()).toMatchObject({ sent: 250, retried: 3 });
    expectEachOnce(250);
    expect(h.sleeps.filter((ms) => ms > 0).length).toBeGreaterThanOrEqual(3);
  });

  it('a lost answer (the send went through) is retried with the same key and answered from the idempotency store', async () => {
    seedDue(db, 150, { at: Date.parse(NOW) });
    fake.dropNext(1, 'after');
    const h = setup();
    expect(await h.tick()).toMatchObject({ sent: 150, retried: 1 });
    expect(fake.requests.filter((r) => r.replayed)).toHaveLength(1);
    expectEachOnce(150);
  });

  it('a timed-out request that the provider accepted later is not sent twice', async () => {
    seedDue(db, 10, { at: Date.parse(NOW) });
    const open = fake.hold();
    const h = setup({ timeoutMs: 100 });
    const released = (async () => {
      while (!fake.requests.some((r) => r.status === 0)) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 150)); // past our timeout
      open();
    })();
    // Retries while the first request is still held get a 409 (in flight) and the
    // batch is left for later; the next tick's retry is answered from the store.
    const first = await h.tick();
    await released;
    while (fake.emails.length < 10) await new Promise((r) => setTimeout(r, 5));
    h.clock.advance(30 * 60_000);
    const second = await h.tick();
    expect(first.sent + second.sent).toBe(10);
    expect(fake.requests.some((r) => r.status === 409)).toBe(true);
    expect(fake.requests.at(-1)!.replayed).toBe(true);
    expectEachOnce(10);
  });

  it('one refused address (strict batch: the whole request is a 422) does not stop the others', async () => {
    seedDue(db, 100, { at: Date.parse(NOW) });
    fake.rejectAddresses(/^person37@/);
    const h = setup({ batchValidation: 'strict' });
    expect(await h.tick()).toMatchObject({ sent: 99, failed: 1 });
    expectEachOnce(99);
    expect(db.$client.prepare("SELECT s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.status = 'failed'").all()).toEqual([{ email: 'person37@example.org' }]);
  });

  it('one refused address (permissive batch: a per-email error) does not stop the others', async () => {
    seedDue(db, 100, { at: Date.parse(NOW) });
    fake.rejectAddresses(/^person37@/);
    const h = setup();
    expect(await h.tick()).toMatchObject({ sent: 99, failed: 1, batches: 1 });
    expectEachOnce(99);
  });

  it('pauses on the daily quota and resumes after it resets', async () => {
    seedDue(db, 150, { at: Date.parse(NOW) });
    fake.setDailyQuota(100);
    const h = setup();
    const first = await h.tick();
    expect(first.sent).toBe(100);
    expect(h.logs.some((l) => l.msg === 'daily quota reached, sending paused until 2026-03-03T00:00:00.000Z')).toBe(true);
    h.clock.set('2026-03-03T00:00:30Z');
    fakeNow = h.clock.now();
    expect(await h.tick()).toMatchObject({ sent: 50 });
    expectEachOnce(150);
  });
});
