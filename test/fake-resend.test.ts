import { Resend } from 'resend';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FAKE_API_KEY, startFakeResend, type FakeResend, type FakeResendOptions } from './fake-resend/server.js';

// The fake is exercised through the real SDK, so a change in either shows here.

const from = 'Harbor Clinic <education@example.org>';
const mail = (to: string, n = 1) => ({ from, to: [to], subject: `Subject ${n}`, html: `<p>Hello ${n}</p>`, text: `Hello ${n}` });

let fake: FakeResend | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(options: FakeResendOptions = {}) {
  fake = await startFakeResend(options);
  return { fake, resend: new Resend(FAKE_API_KEY, { baseUrl: fake.url }) };
}

function manualClock(start = Date.UTC(2026, 2, 2, 12)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('fake Resend: sending', () => {
  it('accepts a single email and records what was sent', async () => {
    const { fake, resend } = await setup();
    const { data, error } = await resend.emails.send({ ...mail('reader@example.org'), headers: { 'List-Unsubscribe': '<https://x.test/u/t>' } });
    expect(error).toBeNull();
    expect(data!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.emails).toHaveLength(1);
    expect(fake.emails[0]).toMatchObject({
      id: data!.id,
      from,
      to: ['reader@example.org'],
      subject: 'Subject 1',
      html: '<p>Hello 1</p>',
      text: 'Hello 1',
      headers: { 'List-Unsubscribe': '<https://x.test/u/t>' },
    });
    expect(fake.sentTo('reader@example.org')).toHaveLength(1);
    expect(fake.statusCounts()).toEqual({ '200': 1 });
  });

  it('sends a batch and answers the ids in request order', async () => {
    const { fake, resend } = await setup();
    const { data, error } = await resend.batch.send([mail('a@example.org', 1), mail('b@example.org', 2), mail('c@example.org', 3)]);
    expect(error).toBeNull();
    expect(data!.data.map((d) => d.id)).toEqual(fake.emails.map((e) => e.id));
    expect(fake.emails.map((e) => [e.to[0], e.batchIndex])).toEqual([
      ['a@example.org', 0],
      ['b@example.org', 1],
      ['c@example.org', 2],
    ]);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ path: '/emails/batch', emailCount: 3, batchValidation: 'strict' });
  });

  it('rejects a batch of more than 100 emails and an empty one', async () => {
    const { fake, resend } = await setup();
    const big = Array.from({ length: 101 }, (_, i) => mail(`r${i}@example.org`, i));
    const over = await resend.batch.send(big);
    expect(over.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    const exactly = await resend.batch.send(big.slice(0, 100));
    expect(exactly.data!.data).toHaveLength(100);
    const empty = await resend.batch.send([]);
    expect(empty.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    expect(fake.emails).toHaveLength(100);
  });

  it('validates required fields, addresses and the recipient limit', async () => {
    const { fake, resend } = await setup();
    const noSubject = await resend.emails.send({ from, to: 'a@example.org', subject: '', html: '<p>x</p>' });
    expect(noSubject.error).toMatchObject({ statusCode: 422, name: 'missing_required_field' });
    const noBody = await resend.emails.send({ from, to: 'a@example.org', subject: 's', text: '' });
    expect(noBody.error).toMatchObject({ statusCode: 422, name: 'missing_required_field' });
    const badTo = await resend.emails.send({ from, to: 'not-an-address', subject: 's', text: 'x' });
    expect(badTo.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    const badFrom = await resend.emails.send({ from: 'nobody', to: 'a@example.org', subject: 's', text: 'x' });
    expect(badFrom.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    const many = Array.from({ length: 51 }, (_, i) => `r${i}@example.org`);
    const tooMany = await resend.emails.send({ from, to: many, subject: 's', text: 'x' });
    expect(tooMany.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    const fifty = await resend.emails.send({ from, to: many.slice(0, 50), subject: 's', text: 'x' });
    expect(fifty.error).toBeNull();
    const named = await resend.emails.send({ from, to: 'Reader <reader@example.org>', subject: 's', text: 'x' });
    expect(named.error).toBeNull();
    expect(fake.emails).toHaveLength(2);
  });

  it('refuses scheduled_at in a batch', async () => {
    const { fake, resend } = await setup();
    const { error } = await resend.batch.send([{ ...mail('a@example.org'), scheduledAt: '2026-03-03T09:00:00Z' }]);
    expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    expect(fake.emails).toHaveLength(0);
  });

  it('answers 404 in the error shape for an unknown endpoint and finds a sent email by id', async () => {
    const { fake, resend } = await setup();
    const sent = await resend.emails.send(mail('a@example.org'));
    const got = await resend.emails.get(sent.data!.id);
    expect(got.data).toMatchObject({ id: sent.data!.id, subject: 'Subject 1', to: ['a@example.org'] });
    const res = await fetch(`${fake.url}/nope`, { headers: { Authorization: `Bearer ${FAKE_API_KEY}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ statusCode: 404, name: 'not_found', message: expect.any(String) });
  });
});

describe('fake Resend: auth', () => {
  it('answers 401 without a key and 403 with a wrong one, sending nothing', async () => {
    const { fake } = await setup();
    const res = await fetch(`${fake.url}/emails`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(mail('a@example.org')) });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ statusCode: 401, name: 'missing_api_key', message: expect.any(String) });
    const wrong = new Resend('re_wrong_key', { baseUrl: fake.url });
    const { error } = await wrong.emails.send(mail('a@example.org'));
    expect(error).toMatchObject({ statusCode: 403, name: 'invalid_api_key' });
    expect(fake.emails).toHaveLength(0);
  });
});

describe('fake Resend: idempotency', () => {
  it('replays the original answer for the same key and body without sending again', async () => {
    const { fake, resend } = await setup();
    const batch = [mail('a@example.org', 1), mail('b@example.org', 2)];
    const first = await resend.batch.send(batch, { idempotencyKey: 'batch-1' });
    const again = await resend.batch.send(batch, { idempotencyKey: 'batch-1' });
    expect(again.data).toEqual(first.data);
    expect(fake.emails).toHaveLength(2);
    expect(fake.emails[0]!.idempotencyKey).toBe('batch-1');
    expect(fake.requests.map((r) => r.replayed)).toEqual([false, true]);
  });

  it('answers 409 invalid_idempotent_request for the same key with a different body', async () => {
    const { fake, resend } = await setup();
    await resend.emails.send(mail('a@example.org', 1), { idempotencyKey: 'k' });
    const { error } = await resend.emails.send(mail('a@example.org', 2), { idempotencyKey: 'k' });
    expect(error).toMatchObject({ statusCode: 409, name: 'invalid_idempotent_request' });
    expect(fake.emails).toHaveLength(1);
  });

  it('answers 409 concurrent_idempotent_requests while the first request is in flight', async () => {
    const { fake, resend } = await setup();
    const release = fake.hold();
    const first = resend.emails.send(mail('a@example.org'), { idempotencyKey: 'same' });
    await vi.waitFor(() => expect(fake.heldCount()).toBe(1));
    const second = await resend.emails.send(mail('a@example.org'), { idempotencyKey: 'same' });
    expect(second.error).toMatchObject({ statusCode: 409, name: 'concurrent_idempotent_requests' });
    release();
    expect((await first).error).toBeNull();
    expect(fake.emails).toHaveLength(1);
  });

  it('forgets a key after 24 hours', async () => {
    const clock = manualClock();
    const { fake, resend } = await setup({ clock: clock.now });
    const first = await resend.emails.send(mail('a@example.org'), { idempotencyKey: 'k' });
    clock.advance(24 * 60 * 60 * 1000 - 1);
    const replay = await resend.emails.send(mail('a@example.org'), { idempotencyKey: 'k' });
    expect(replay.data!.id).toBe(first.data!.id);
    clock.advance(1);
    const fresh = await resend.emails.send(mail('a@example.org'), { idempotencyKey: 'k' });
    expect(fresh.data!.id).not.toBe(first.data!.id);
    expect(fake.emails).toHaveLength(2);
  });

  it('does not store a failed request, so its retry is processed', async () => {
    const { fake, resend } = await setup();
    fake.failNext(1);
    const failed = await resend.emails.send(mail('a@example.org'), { idempotencyKey: 'k' });
    expect(failed.error).toMatchObject({ statusCode: 500 });
    const retried = await resend.emails.send(mail('a@example.org'), { idempotencyKey: 'k' });
    expect(retried.error).toBeNull();
    expect(fake.emails).toHaveLength(1);
  });
});

describe('fake Resend: rate limit and quota', () => {
  it('sends ratelimit headers on every answer and 429 with retry-after beyond the limit', async () => {
    const clock = manualClock();
    const { fake, resend } = await setup({ rateLimit: 2, clock: clock.now });
    const one = await resend.emails.send(mail('a@example.org'));
    expect(one.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '1' });
    const two = await resend.emails.send(mail('a@example.org'));
    expect(two.headers).toMatchObject({ 'ratelimit-remaining': '0' });
    const three = await resend.emails.send(mail('a@example.org'));
    expect(three.error).toMatchObject({ statusCode: 429, name: 'rate_limit_exceeded' });
    expect(three.headers).toMatchObject({ 'retry-after': '1', 'ratelimit-remaining': '0' });
    clock.advance(1000);
    const four = await resend.emails.send(mail('a@example.org'));
    expect(four.error).toBeNull();
    expect(fake.emails).toHaveLength(3);
    expect(fake.statusCounts()).toEqual({ '200': 3, '429': 1 });
  });

  it('uses fractional seconds in the headers for a sub-second test window', async () => {
    const clock = manualClock();
    const { resend } = await setup({ rateLimit: 1, rateLimitWindowMs: 200, clock: clock.now });
    await resend.emails.send(mail('a@example.org'));
    clock.advance(50);
    const limited = await resend.emails.send(mail('a@example.org'));
    expect(limited.headers).toMatchObject({ 'retry-after': '0.15', 'ratelimit-reset': '0.15' });
  });

  it('answers 429 daily_quota_exceeded once the day quota is spent, until the next UTC day', async () => {
    const clock = manualClock(Date.UTC(2026, 2, 2, 23, 0));
    const { fake, resend } = await setup({ dailyQuota: 3, clock: clock.now });
    expect((await resend.batch.send([mail('a@example.org'), mail('b@example.org')])).error).toBeNull();
    const over = await resend.batch.send([mail('c@example.org'), mail('d@example.org')]);
    expect(over.error).toMatchObject({ statusCode: 429, name: 'daily_quota_exceeded' });
    clock.advance(60 * 60 * 1000);
    expect((await resend.batch.send([mail('c@example.org'), mail('d@example.org')])).error).toBeNull();
    expect(fake.emails).toHaveLength(4);
  });
});

describe('fake Resend: faults', () => {
  it('answers injected 500s for the next N requests, then recovers', async () => {
    const { fake, resend } = await setup();
    fake.failNext(2);
    const a = await resend.emails.send(mail('a@example.org'));
    const b = await resend.batch.send([mail('a@example.org')]);
    const c = await resend.emails.send(mail('a@example.org'));
    expect(a.error).toMatchObject({ statusCode: 500, name: 'internal_server_error' });
    expect(b.error).toMatchObject({ statusCode: 500 });
    expect(c.error).toBeNull();
    expect(fake.emails).toHaveLength(1);
  });

  it('with `replays`, answers the injected errors even to a request whose key is stored, then replays it', async () => {
    const { fake, resend } = await setup();
    const batch = [mail('a@example.org'), mail('b@example.org')];
    const first = await resend.batch.send(batch, { idempotencyKey: 'batch-5' });
    fake.failNext(2, { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.', headers: { 'retry-after': '1' } }, { replays: true });
    expect((await resend.batch.send(batch, { idempotencyKey: 'batch-5' })).error).toMatchObject({ statusCode: 429, name: 'rate_limit_exceeded' });
    expect((await resend.batch.send(batch, { idempotencyKey: 'batch-5' })).error).toMatchObject({ statusCode: 429 });
    expect((await resend.batch.send(batch, { idempotencyKey: 'batch-5' })).data).toEqual(first.data);
    expect(fake.emails).toHaveLength(2);
    expect(fake.requests.map((r) => [r.status, r.replayed])).toEqual([[200, false], [429, false], [429, false], [200, true]]);
  });

  it('forgetKeys: a repeat of a stored key is sent again, as 24 hours on', async () => {
    const { fake, resend } = await setup();
    const batch = [mail('a@example.org')];
    await resend.batch.send(batch, { idempotencyKey: 'batch-6' });
    fake.forgetKeys();
    await resend.batch.send(batch, { idempotencyKey: 'batch-6' });
    expect(fake.emails).toHaveLength(2);
    expect(fake.requests.map((r) => r.replayed)).toEqual([false, false]);
  });

  it('drops the connection before processing: the SDK sees a network error and nothing is sent', async () => {
    const { fake, resend } = await setup();
    fake.dropNext(1);
    const { error } = await resend.emails.send(mail('a@example.org'));
    expect(error).toMatchObject({ name: 'application_error', statusCode: null });
    expect(fake.emails).toHaveLength(0);
    expect(fake.statusCounts()).toEqual({ dropped: 1 });
  });

  it('drops the answer after sending: a retry with the same key gets the original ids', async () => {
    const { fake, resend } = await setup();
    fake.dropNext(1, 'after');
    const batch = [mail('a@example.org'), mail('b@example.org')];
    const lost = await resend.batch.send(batch, { idempotencyKey: 'batch-9' });
    expect(lost.error).toMatchObject({ statusCode: null });
    expect(fake.emails).toHaveLength(2);
    const retry = await resend.batch.send(batch, { idempotencyKey: 'batch-9' });
    expect(retry.data!.data.map((d) => d.id)).toEqual(fake.emails.map((e) => e.id));
    expect(fake.emails).toHaveLength(2);
  });

  it('delays answers by the configured latency', async () => {
    const { fake, resend } = await setup({ latencyMs: { min: 30, max: 60 } });
    const { error } = await resend.emails.send(mail('a@example.org'));
    expect(error).toBeNull();
    expect(fake.emails).toHaveLength(1);
  });
});

describe('fake Resend: one bad address in a batch', () => {
  it('strict (default): the whole batch is rejected with that address’s 422', async () => {
    const { fake, resend } = await setup({ rejectAddresses: /^bounce@/ });
    const { error } = await resend.batch.send([mail('a@example.org'), mail('bounce@example.org'), mail('c@example.org')]);
    expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    expect(error!.message).toMatch(/^emails\[1\]/);
    expect(fake.emails).toHaveLength(0);
  });

  it('permissive: the valid emails are sent and the bad one is reported by index', async () => {
    const { fake, resend } = await setup({ rejectAddresses: /^bounce@/ });
    const { data, error } = await resend.batch.send([mail('a@example.org'), mail('bounce@example.org'), mail('c@example.org')], {
      batchValidation: 'permissive',
    });
    expect(error).toBeNull();
    expect(data!.data).toHaveLength(2);
    expect(data!.errors).toEqual([{ index: 1, message: expect.stringContaining('bounce@example.org') }]);
    expect(fake.emails.map((e) => e.to[0])).toEqual(['a@example.org', 'c@example.org']);
  });

  it('a single send to a rejected address answers 422', async () => {
    const { resend } = await setup({ rejectAddresses: (a) => a.endsWith('@bounce.test') });
    const { error } = await resend.emails.send(mail('x@bounce.test'));
    expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' });
  });
});
