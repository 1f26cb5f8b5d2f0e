import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity, deliveries, subscribers } from '../db/sqlite/schema.js';
import { SendError, type OutgoingEmail, type SentEmail, type Transport } from '../src/mail/transport.js';
import { resolveTimeZone } from '../src/subscribers/signup-input.js';
import { testApp } from './helpers/app.js';
import { postJson } from './helpers/public.js';

function signUpAll(t: ReturnType<typeof testApp>, emails: string[]) {
  return Promise.all(emails.map((email) => postJson(t.app, '/subscribe', { email, consent: true })));
}

/** A transport that records each batch and answers with the given per-email results. */
function scriptedTransport(answer: (emails: OutgoingEmail[], call: number) => SentEmail[] | Error) {
  const batches: { emails: OutgoingEmail[]; key?: string }[] = [];
  const transport: Transport & { batches: typeof batches } = {
    name: 'memory',
    batches,
    async sendBatch(emails, options) {
      batches.push({ emails, key: options?.idempotencyKey });
      const r = answer(emails, batches.length);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  return transport;
}

describe('confirmation emails in batches', () => {
  it('sends the signups of one moment in one provider request, recorded each on its own delivery', async () => {
    const t = testApp();
    const emails = ['b1@example.org', 'b2@example.org', 'b3@example.org', 'b4@example.org'];
    const answers = await signUpAll(t, emails);
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    await t.drain();

    expect(t.transport.sent.map((m) => m.to).sort()).toEqual(emails);
    expect(new Set(t.transport.sent.map((m) => m.idempotencyKey)).size).toBe(1);
    const rows = t.db.select().from(deliveries).all();
    expect(rows.map((d) => d.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(new Set(rows.map((d) => d.providerId)).size).toBe(4);
    expect(t.db.select().from(activity).where(eq(activity.type, 'confirmation_sent')).all()).toHaveLength(4);
  });

  it('fails only the email the provider refused within a batch', async () => {
    const transport = scriptedTransport((emails) =>
      emails.map((e, i) => (e.to.startsWith('bad') ? { id: '', error: new SendError('permanent', 'invalid address') } : { id: `ok-${i}` })),
    );
    const t = testApp({ transport });
    await signUpAll(t, ['good1@example.org', 'bad@example.org', 'good2@example.org']);
    await t.drain();
    expect(transport.batches).toHaveLength(1);

    const byEmail = Object.fromEntries(
      t.db
        .select({ email: subscribers.email, status: deliveries.status, error: deliveries.error, sentAt: subscribers.confirmationSentAt })
        .from(deliveries)
        .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
        .all()
        .map((r) => [r.email, r]),
    );
    expect(byEmail['good1@example.org']).toMatchObject({ status: 'sent', error: null, sentAt: t.clock.now() });
    expect(byEmail['good2@example.org']).toMatchObject({ status: 'sent', error: null });
    // Refused: failed, and the person may ask again at once.
    expect(byEmail['bad@example.org']).toMatchObject({ status: 'failed', error: 'invalid address', sentAt: null });
  });

  it('retries a rate-limited batch with the same idempotency key, after the time the provider asked for', async () => {
    const transport = scriptedTransport((emails, call) =>
      call === 1 ? new SendError('rate_limited', 'slow down', { retryAfterMs: 5 }) : emails.map((_, i) => ({ id: `id-${call}-${i}` })),
    );
    const t = testApp({ transport });
    await signUpAll(t, ['r1@example.org', 'r2@example.org']);
    await t.drain();
    expect(transport.batches).toHaveLength(2);
    expect(transport.batches[1]!.key).toBe(transport.batches[0]!.key);
    expect(transport.batches[1]!.emails).toEqual(transport.batches[0]!.emails);
    expect(t.db.select().from(deliveries).all().map((d) => d.status)).toEqual(['sent', 'sent']);
  });

  it('does not retry a permanent failure of the whole request', async () => {
    const transport = scriptedTransport(() => new SendError('permanent', 'bad request'));
    const t = testApp({ transport });
    await signUpAll(t, ['p1@example.org']);
    await t.drain();
    expect(transport.batches).toHaveLength(1);
    expect(t.db.select().from(deliveries).get()).toMatchObject({ status: 'failed', error: 'bad request' });
    expect(t.logs.some((l) => l.msg === 'delivery failed permanently' && l.error === 'bad request')).toBe(true);
  });
});

describe('signups committed in groups', () => {
  it('stores every one of many signups arriving at once, and the same address only once', async () => {
    const t = testApp({ subscribeRateLimit: { max: 1000, windowMs: 60_000 } });
    const emails = Array.from({ length: 30 }, (_, i) => `g${i % 20}@example.org`);
    const answers = await signUpAll(t, emails);
    expect(answers.every((r) => r.status === 202)).toBe(true);
    await t.drain();
    expect(t.db.select().from(subscribers).all()).toHaveLength(20);
    // The repeats came within 10 minutes: one confirmation per address.
    expect(t.transport.sent).toHaveLength(20);
  });
});

describe('resolveTimeZone', () => {
  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['  europe/BERLIN ', 'Europe/Berlin'],
    ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
    ['US/Eastern', 'US/Eastern'],
    ['UTC', 'UTC'],
    ['Not/AZone', 'Etc/UTC'],
    ['', 'Etc/UTC'],
    ['Europe/Berlin\n', 'Europe/Berlin'],
  ])('%j -> %j', (input, out) => {
    expect(resolveTimeZone(input, 'Etc/UTC')).toBe(out);
  });

  it('falls back for anything that is not a string', () => {
    for (const v of [undefined, null, 5, {}, ['Europe/Berlin']]) expect(resolveTimeZone(v, 'Etc/UTC')).toBe('Etc/UTC');
  });
});
