import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Resend } from 'resend';
import { fixedClock } from '../src/clock.js';
import { batchBody } from '../src/mail/batch-body.js';
import { createTransport } from '../src/mail/index.js';
import { alignBatchResults, classifyResendError, createResendTransport, rateLimitInfo, retryAfterMs, type ResendTransportOptions } from '../src/mail/resend.js';
import { SendError, type OutgoingEmail, type RateLimitInfo } from '../src/mail/transport.js';
import { FAKE_API_KEY, startFakeResend, type FakeResend, type FakeResendOptions } from './fake-resend/server.js';

const email = (to: string, n = 1): OutgoingEmail => ({
  from: 'Harbor Clinic <education@example.org>',
  to,
  subject: `Step ${n}`,
  html: `<p>Step ${n}</p>`,
  text: `Step ${n}`,
  headers: { 'List-Unsubscribe': '<https://x.test/u/t>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
});

let fake: FakeResend | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(fakeOptions: FakeResendOptions = {}, options: ResendTransportOptions = {}) {
  fake = await startFakeResend(fakeOptions);
  const seen: RateLimitInfo[] = [];
  const transport = createResendTransport(FAKE_API_KEY, { baseUrl: fake.url, onRateLimit: (i) => seen.push(i), ...options });
  return { fake, transport, seen };
}

/** The SendError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<SendError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SendError);
  return err as SendError;
}

describe('resend transport against the fake', () => {
  it('sends a batch of one with its headers and idempotency key', async () => {
    const { fake, transport } = await setup();
    const [{ id }] = (await transport.sendBatch([email('a@example.org')], { idempotencyKey: 'confirm-1' })) as [{ id: string }];
    expect(fake.emails).toEqual([
      expect.objectContaining({ id, to: ['a@example.org'], subject: 'Step 1', idempotencyKey: 'confirm-1', headers: email('a@example.org').headers }),
    ]);
  });

  it('sends the Reply-To as reply_to, and none when unset', async () => {
    const { fake, transport } = await setup();
    await transport.sendBatch([{ ...email('b@example.org'), replyTo: 'care@clinic.example' }, email('c@example.org')]);
    expect(fake.emails.map((e) => e.replyTo)).toEqual([['care@clinic.example'], undefined]);
  });

  it('sends a batch with its key and returns the ids in order', async () => {
    const { fake, transport } = await setup();
    const sent = await transport.sendBatch([email('a@example.org', 1), email('b@example.org', 2)], { idempotencyKey: 'batch-1' });
    expect(sent).toEqual(fake.emails.map((e) => ({ id: e.id })));
    expect(fake.emails.map((e) => [e.to[0], e.idempotencyKey])).toEqual([
      ['a@example.org', 'batch-1'],
      ['b@example.org', 'batch-1'],
    ]);
  });

  it('repeating a batch with the same key sends nothing new and returns the same ids', async () => {
    const { fake, transport } = await setup();
    const batch = [email('a@example.org'), email('b@example.org')];
    const first = await transport.sendBatch(batch, { idempotencyKey: 'b-7' });
    const again = await transport.sendBatch(batch, { idempotencyKey: 'b-7' });
    expect(again).toEqual(first);
    expect(fake.emails).toHaveLength(2);
  });

  it('sends the body it is given as it is, and a batch the resend SDK sent is repeated as the identical request', async () => {
    const { fake, transport } = await setup();
    const batch = [{ ...email('a@example.org', 1), replyTo: 'care@clinic.example', tags: [{ name: 'delivery', value: '1' }] }, email('b@example.org', 2)];
    // What the release before sent for these emails: the SDK's batch.send.
    const sdk = new Resend(FAKE_API_KEY, { baseUrl: fake.url });
    const before = await sdk.batch.send(
      batch.map((e) => ({ from: e.from, to: [e.to], ...(e.replyTo ? { replyTo: e.replyTo } : {}), subject: e.subject, html: e.html, text: e.text, ...(e.headers ? { headers: e.headers } : {}), ...(e.tags ? { tags: e.tags } : {}) })),
      { idempotencyKey: 'k-before', batchValidation: 'permissive' },
    );
    expect(before.error).toBeNull();
    // The fake compares bodies byte for byte: a different one would be a 409.
    expect(await transport.sendBatch(batch, { idempotencyKey: 'k-before' })).toEqual(before.data!.data);
    expect(await transport.sendBatch(batch, { idempotencyKey: 'k-before', body: batchBody(batch) })).toEqual(before.data!.data);
    expect(fake.requests.map((r) => [r.status, r.replayed])).toEqual([
      [200, false],
      [200, true],
      [200, true],
    ]);
    expect(fake.emails).toHaveLength(2);
  });

  it('fails only the bad address of a batch (permissive validation)', async () => {
    const { fake, transport } = await setup({ rejectAddresses: /^bad@/ });
    const sent = await transport.sendBatch([email('a@example.org'), email('bad@example.org'), email('c@example.org')]);
    expect(sent[0]).toEqual({ id: fake.emails[0]!.id });
    expect(sent[1]!.id).toBe('');
    expect(sent[1]!.error).toBeInstanceOf(SendError);
    expect(sent[1]!.error).toMatchObject({ kind: 'permanent', details: { statusCode: 422, providerCode: 'validation_error' } });
    expect(sent[2]).toEqual({ id: fake.emails[1]!.id });
    expect(fake.emails.map((e) => e.to[0])).toEqual(['a@example.org', 'c@example.org']);
  });

  it('with strict validation one bad address fails the whole batch as permanent', async () => {
    const { fake, transport } = await setup({ rejectAddresses: /^bad@/ }, { batchValidation: 'strict' });
    const err = await failure(transport.sendBatch([email('a@example.org'), email('bad@example.org')]));
    expect(err).toMatchObject({ kind: 'permanent', details: { statusCode: 422 } });
    expect(fake.emails).toHaveLength(0);
  });

  it('reports rate-limit headers on success and classifies a 429 as rate_limited with retry-after', async () => {
    let t = Date.UTC(2026, 2, 2);
    const { fake, transport, seen } = await setup({ rateLimit: 2, clock: () => t });
    await transport.sendBatch([email('a@example.org')]);
    await transport.sendBatch([email('b@example.org')]);
    const err = await failure(transport.sendBatch([email('c@example.org')]));
    expect(err).toMatchObject({ kind: 'rate_limited', details: { statusCode: 429, retryAfterMs: 1000, providerCode: 'rate_limit_exceeded' } });
    expect(seen).toEqual([
      { limit: 2, remaining: 1, resetMs: 1000 },
      { limit: 2, remaining: 0, resetMs: 1000 },
      { limit: 2, remaining: 0, resetMs: 1000, retryAfterMs: 1000 },
    ]);
    t += 1000;
    await transport.sendBatch([email('c@example.org')]);
    expect(fake.emails).toHaveLength(3);
  });

  it('classifies the daily quota as quota, not taking the rate window for its reset', async () => {
    const { transport } = await setup({ dailyQuota: 1, rateLimit: 10 });
    await transport.sendBatch([email('a@example.org')]);
    const err = await failure(transport.sendBatch([email('b@example.org')]));
    expect(err).toMatchObject({ kind: 'quota', details: { statusCode: 429, providerCode: 'daily_quota_exceeded' } });
    expect(err.details.retryAfterMs).toBeUndefined();
    const quota = { statusCode: 429, name: 'daily_quota_exceeded', message: 'm' };
    expect(classifyResendError(quota, { 'retry-after': '3600', 'ratelimit-reset': '1' }).details.retryAfterMs).toBe(3_600_000);
  });

  it('classifies 500s and dropped connections as transient', async () => {
    const { fake, transport } = await setup();
    fake.failNext(1);
    expect(await failure(transport.sendBatch([email('a@example.org')]))).toMatchObject({ kind: 'transient', details: { statusCode: 500 } });
    fake.dropNext(1);
    expect(await failure(transport.sendBatch([email('a@example.org')]))).toMatchObject({ kind: 'transient', details: { statusCode: undefined } });
    await transport.sendBatch([email('a@example.org')]);
    expect(fake.emails).toHaveLength(1);
  });

  it('an answer that is not JSON (an error page from a proxy, a cut success) is transient', async () => {
    const answers: [number, string][] = [
      [502, '<html>Bad gateway</html>'],
      [200, '{"data": ['],
    ];
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const [status, text] = answers.shift()!;
        res.writeHead(status, { 'content-type': 'text/html' }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const transport = createResendTransport(FAKE_API_KEY, { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      expect(await failure(transport.sendBatch([email('a@example.org')]))).toMatchObject({ kind: 'transient', details: { statusCode: 502 } });
      expect(await failure(transport.sendBatch([email('a@example.org')]))).toMatchObject({ kind: 'transient', details: { statusCode: undefined } });
    } finally {
      server.close();
    }
  });

  it('times out a hung request as transient; the retry with the same key is in flight (transient), then replayed', async () => {
    const { fake, transport } = await setup();
    // Generous enough that a loaded machine still delivers the request before it times out.
    const impatient = createResendTransport(FAKE_API_KEY, { baseUrl: fake.url, timeoutMs: 2000 });
    const release = fake.hold();
    const batch = [email('a@example.org'), email('b@example.org')];
    const pending = failure(impatient.sendBatch(batch, { idempotencyKey: 'slow' }));
    // The provider holds the first request (its key claimed) while the client gives up.
    await vi.waitFor(() => expect(fake!.heldCount()).toBe(1), { timeout: 10_000 });
    const timedOut = await pending;
    expect(timedOut.kind).toBe('transient');
    expect(timedOut.message).toMatch(/timed out after 2000 ms/);
    const concurrent = await failure(transport.sendBatch(batch, { idempotencyKey: 'slow' }));
    expect(concurrent).toMatchObject({ kind: 'transient', details: { statusCode: 409, providerCode: 'concurrent_idempotent_requests' } });
    release();
    // The provider finished the first request although nobody heard the answer.
    await vi.waitFor(() => expect(fake!.emails).toHaveLength(2));
    const replayed = await transport.sendBatch(batch, { idempotencyKey: 'slow' });
    expect(replayed).toEqual(fake.emails.map((e) => ({ id: e.id })));
    expect(fake.emails).toHaveLength(2);
  });

  it('classifies the same key with a different body as conflict', async () => {
    const { transport } = await setup();
    await transport.sendBatch([email('a@example.org', 1)], { idempotencyKey: 'k' });
    const err = await failure(transport.sendBatch([email('a@example.org', 2)], { idempotencyKey: 'k' }));
    expect(err).toMatchObject({ kind: 'conflict', details: { statusCode: 409, providerCode: 'invalid_idempotent_request' } });
  });

  it('treats a wrong API key as transient (an account problem, not the message)', async () => {
    const { fake } = await setup();
    const wrong = createResendTransport('re_wrong', { baseUrl: fake.url });
    const err = await failure(wrong.sendBatch([email('a@example.org')]));
    expect(err).toMatchObject({ kind: 'transient', details: { statusCode: 403, providerCode: 'invalid_api_key' } });
  });
});

describe('createTransport with RESEND_API_KEY', () => {
  it('reaches the provider named by RESEND_BASE_URL and reports rate limits', async () => {
    fake = await startFakeResend({ rateLimit: 5 });
    vi.stubEnv('RESEND_BASE_URL', fake.url);
    try {
      const seen: RateLimitInfo[] = [];
      const transport = await createTransport({ resendApiKey: FAKE_API_KEY, outboxDir: 'unused' }, fixedClock('2026-03-02T12:00:00Z'), { onRateLimit: (i) => seen.push(i) });
      expect(transport.name).toBe('resend');
      const [sent] = await transport.sendBatch([email('a@example.org')], { idempotencyKey: 'env-1' });
      expect(sent).toEqual({ id: fake.emails[0]!.id });
      expect(seen).toEqual([{ limit: 5, remaining: 4, resetMs: 1000 }]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('resend error classification', () => {
  const e = (statusCode: number | null, name: string) => ({ statusCode, name, message: 'm' });
  it.each([
    [429, 'rate_limit_exceeded', 'rate_limited'],
    [429, 'daily_quota_exceeded', 'quota'],
    [429, 'monthly_quota_exceeded', 'quota'],
    [500, 'internal_server_error', 'transient'],
    [503, 'application_error', 'transient'],
    [null, 'application_error', 'transient'],
    [409, 'concurrent_idempotent_requests', 'transient'],
    [409, 'invalid_idempotent_request', 'conflict'],
    [422, 'validation_error', 'permanent'],
    [422, 'missing_required_field', 'permanent'],
    [400, 'invalid_idempotency_key', 'permanent'],
    [401, 'missing_api_key', 'transient'],
    [403, 'invalid_api_key', 'transient'],
  ] as const)('%s %s -> %s', (status, name, kind) => {
    expect(classifyResendError(e(status, name), null).kind).toBe(kind);
  });

  it('reads retry-after as seconds or an HTTP date, else ratelimit-reset', () => {
    const now = () => Date.parse('2026-03-02T12:00:00Z');
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after': '0.25' })).toBe(250);
    expect(retryAfterMs({ 'retry-after': 'Mon, 02 Mar 2026 12:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMs({ 'ratelimit-reset': '3' })).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('reports rate-limit info only when a header is there', () => {
    expect(rateLimitInfo({ 'content-type': 'application/json' })).toBeNull();
    expect(rateLimitInfo({ 'ratelimit-remaining': '0', 'ratelimit-reset': '1' })).toEqual({ remaining: 0, resetMs: 1000 });
  });

  it('refuses a permissive answer that does not add up', () => {
    expect(alignBatchResults(3, [{ id: 'a' }, { id: 'c' }], [{ index: 1, message: 'bad' }]).map((r) => r.id)).toEqual(['a', '', 'c']);
    expect(() => alignBatchResults(3, [{ id: 'a' }], [{ index: 1, message: 'bad' }])).toThrow(SendError);
  });
});
