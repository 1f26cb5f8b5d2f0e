import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { SqliteDb as Db } from '../db/sqlite/client.js';
import { activity, deliveries, providerEvents, subscribers, suppressions } from '../db/sqlite/schema.js';
import type { SubscriberStatus } from '../db/types.js';
import { emailHash } from '../src/address.js';
import { eventEffect } from '../src/subscribers/provider-events.js';
import { TEST_SECRET, testApp, testConfig } from './helpers/app.js';
import { newWebhookSecret, svixHeaders } from './helpers/webhook-signing.js';
import { addSubscriber as addSubscriberRow, viewOf } from './helpers/staff.js';

const SECRET = newWebhookSecret();
// Signatures are checked against the real time, so the app's clock starts there too.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const EVENT_AT = '2026-03-02T09:00:05.000Z';

function setup(secret: string | null = SECRET) {
  const t = testApp({ now: NOW, config: testConfig({ resendWebhookSecret: secret ?? undefined }) });
  const sub = addSubscriber(t.db, 'reader@example.org');
  const delivery = t.db
    .insert(deliveries)
    .values({ subscriberId: sub.id, kind: 'sequence', sequence: 'education', step: 2, templateId: 'step-2', subject: 'Step 2', status: 'sent', providerId: 'em_1', createdAt: 1, sentAt: 1 })
    .returning()
    .get();
  const post = (body: string, headers: Record<string, string> = svixHeaders(SECRET, body)) =>
    t.app.request('/webhooks/resend', { method: 'POST', headers, body });
  const send = (event: unknown, opts?: Parameters<typeof svixHeaders>[2]) => {
    const body = JSON.stringify(event);
    return post(body, svixHeaders(SECRET, body, opts));
  };
  const subscriber = () => viewOf(t.db, sub.id);
  const delivered = () => t.db.select().from(deliveries).where(eq(deliveries.id, delivery.id)).get()!;
  return { ...t, sub, delivery, post, send, subscriber, delivered };
}

function addSubscriber(db: Db, email: string, status: SubscriberStatus = 'active') {
  return addSubscriberRow(db, {
    email: status === 'erased' ? null : email,
    emailHash: emailHash(TEST_SECRET, email),
    timezone: 'America/New_York',
    status,
    createdAt: 1,
    updatedAt: 1,
    nextStep: status === 'active' ? 3 : null,
    nextSendAt: status === 'active' ? Date.parse('2026-03-05T14:00:00Z') : null,
  });
}

const event = (type: string, data: Record<string, unknown> = {}, emailId = 'em_1') => ({
  type,
  created_at: EVENT_AT,
  data: { email_id: emailId, created_at: '2026-03-02T09:00:00.000Z', from: 'Harbor Clinic <education@example.org>', to: ['reader@example.org'], subject: 'Step 2', ...data },
});

describe('POST /webhooks/resend: signatures', () => {
  it('answers 503 when RESEND_WEBHOOK_SECRET is unset', async () => {
    const { send, db } = setup(null);
    const res = await send(event('email.delivered'));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'webhooks_disabled', message: expect.stringContaining('RESEND_WEBHOOK_SECRET') } });
    expect(db.select().from(providerEvents).all()).toEqual([]);
  });

  it('accepts a correctly signed event', async () => {
    const { send } = setup();
    const res = await send(event('email.delivered'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'recorded' });
  });

  it('refuses missing signature headers with 400', async () => {
    const { post } = setup();
    const body = JSON.stringify(event('email.delivered'));
    const { 'svix-signature': _omit, ...headers } = svixHeaders(SECRET, body);
    const res = await post(body, headers);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('missing_signature');
  });

  it('refuses a wrong signature, a tampered body and another secret with 401, recording nothing', async () => {
    const { post, db, logs } = setup();
    const body = JSON.stringify(event('email.bounced', { bounce: { type: 'Permanent', subType: 'General', message: 'x' } }));
    const other = JSON.stringify(event('email.delivered'));
    for (const headers of [
      { ...svixHeaders(SECRET, body), 'svix-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      svixHeaders(SECRET, other),
      svixHeaders(newWebhookSecret(), body),
    ]) {
      const res = await post(body, headers);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('invalid_signature');
    }
    expect(db.select().from(providerEvents).all()).toEqual([]);
    expect(db.select().from(suppressions).all()).toEqual([]);
    expect(logs.filter((l) => l.msg === 'webhook refused')).toHaveLength(3);
  });

  it('refuses timestamps more than 5 minutes old or ahead with 401', async () => {
    const { send } = setup();
    const now = Math.floor(Date.now() / 1000);
    for (const timestampSeconds of [now - 6 * 60, now + 6 * 60]) {
      const res = await send(event('email.delivered'), { timestampSeconds });
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('stale_signature');
    }
    expect((await send(event('email.delivered'), { timestampSeconds: now - 4 * 60 })).status).toBe(200);
  });

  it('answers 400 for malformed JSON or a non-event with a valid signature', async () => {
    const { post, db } = setup();
    const bad = await post('{"type": "email.delivered", ');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_json');
    const notEvent = await post(JSON.stringify({ hello: 'world' }));
    expect(notEvent.status).toBe(400);
    expect((await notEvent.json()).error.code).toBe('invalid_event');
    expect(db.select().from(providerEvents).all()).toEqual([]);
  });

  it('answers 413 for an oversized body', async () => {
    const { post } = setup();
    const body = JSON.stringify(event('email.delivered', { subject: 'x'.repeat(300 * 1024) }));
    const res = await post(body);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });
});

describe('POST /webhooks/resend: events', () => {
  it('records delivered on the delivery the first time only, with the event id as key', async () => {
    const { send, db, delivered } = setup();
    await send(event('email.delivered'), { id: 'msg_a' });
    expect(delivered().deliveredAt).toBe(Date.parse(EVENT_AT));
    await send({ ...event('email.delivered'), created_at: '2026-03-02T10:00:00.000Z' }, { id: 'msg_b' });
    expect(delivered().deliveredAt).toBe(Date.parse(EVENT_AT));
    expect(db.select().from(providerEvents).all()).toEqual([
      expect.objectContaining({ id: 'msg_a', type: 'email.delivered', providerId: 'em_1', deliveryId: delivered().id, occurredAt: Date.parse(EVENT_AT), receivedAt: Date.parse(NOW) }),
      expect.objectContaining({ id: 'msg_b' }),
    ]);
  });

  it('a replayed event id is a no-op answering 200', async () => {
    const { send, db, subscriber } = setup();
    const complaint = event('email.complained');
    expect(await (await send(complaint, { id: 'msg_same' })).json()).toEqual({ status: 'recorded' });
    const replay = await send(complaint, { id: 'msg_same' });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ status: 'duplicate' });
    expect(db.select().from(providerEvents).all()).toHaveLength(1);
    expect(db.select().from(activity).where(eq(activity.subscriberId, subscriber().id)).all()).toHaveLength(1);
  });

  it.each([
    ['email.opened', 'openedAt'],
    ['email.clicked', 'clickedAt'],
    ['email.delivery_delayed', 'delayedAt'],
  ] as const)('%s sets %s and leaves the subscriber alone', async (type, column) => {
    const { send, delivered, subscriber } = setup();
    const res = await send(event(type, type === 'email.clicked' ? { click: { link: 'https://nurture.test/x', ipAddress: '1.2.3.4', timestamp: EVENT_AT, userAgent: 'UA' } } : {}));
    expect(res.status).toBe(200);
    expect(delivered()[column]).toBe(Date.parse(EVENT_AT));
    expect(subscriber().status).toBe('active');
  });

  it('a hard bounce suppresses the address and ends the sequence', async () => {
    const { send, db, subscriber, delivered, sub } = setup();
    await send(event('email.bounced', { bounce: { type: 'Permanent', subType: 'General', message: '550 reader@example.org unknown' } }), { id: 'msg_bounce' });
    expect(subscriber()).toMatchObject({ status: 'suppressed', suppressedReason: 'bounced', suppressedAt: Date.parse(EVENT_AT), nextStep: null, nextSendAt: null });
    expect(db.select().from(suppressions).all()).toEqual([{ emailHash: sub.emailHash, reason: 'bounced', createdAt: Date.parse(EVENT_AT) }]);
    expect(delivered().bouncedAt).toBe(Date.parse(EVENT_AT));
    const rows = db.select().from(activity).all();
    expect(rows).toEqual([expect.objectContaining({ subscriberId: sub.id, type: 'bounced', at: Date.parse(EVENT_AT) })]);
    // No addresses or bounce texts are kept with the event.
    const stored = db.select().from(providerEvents).get()!;
    expect(stored.detail).not.toContain('reader@example.org');
    expect(JSON.parse(stored.detail!)).toEqual({ bounceType: 'Permanent', bounceSubType: 'General' });
  });

  it('a transient bounce is only recorded', async () => {
    const { send, db, subscriber, delivered } = setup();
    const res = await send(event('email.bounced', { bounce: { type: 'Transient', subType: 'MailboxFull', message: 'full' } }));
    expect(await res.json()).toEqual({ status: 'recorded' });
    expect(subscriber()).toMatchObject({ status: 'active', nextStep: 3 });
    expect(delivered().bouncedAt).toBeNull();
    expect(db.select().from(suppressions).all()).toEqual([]);
    expect(db.select().from(providerEvents).all()).toHaveLength(1);
  });

  it.each([
    ['email.complained', 'complained', {}],
    ['email.suppressed', 'suppressed', { suppressed: { type: 'OnAccountSuppressionList', message: 'suppressed' } }],
  ] as const)('%s suppresses with reason %s', async (type, reason, data) => {
    const { send, db, subscriber, sub } = setup();
    await send(event(type, data));
    expect(subscriber()).toMatchObject({ status: 'suppressed', suppressedReason: reason, nextStep: null, nextSendAt: null });
    expect(db.select().from(suppressions).all()).toEqual([expect.objectContaining({ emailHash: sub.emailHash, reason })]);
    expect(db.select().from(activity).all()).toEqual([expect.objectContaining({ subscriberId: sub.id, type: reason })]);
  });

  it('a complaint after a bounce keeps the first reason but records the complaint', async () => {
    const { send, db, subscriber } = setup();
    await send(event('email.bounced', { bounce: { type: 'Permanent', subType: 'General', message: '' } }));
    await send(event('email.complained'));
    expect(subscriber()).toMatchObject({ status: 'suppressed', suppressedReason: 'bounced' });
    expect(db.select().from(activity).all().map((a) => a.type)).toEqual(['bounced', 'complained']);
  });

  it('records an event for an unknown email id without a delivery, suppressing by its address', async () => {
    const { send, db, subscriber } = setup();
    const res = await send(event('email.delivered', {}, 'em_unknown'), { id: 'msg_u1' });
    expect(res.status).toBe(200);
    expect(db.select().from(providerEvents).where(eq(providerEvents.id, 'msg_u1')).get()).toMatchObject({ providerId: 'em_unknown', deliveryId: null });
    // A bounce for an email we cannot match still protects the address.
    await send(event('email.bounced', { bounce: { type: 'Permanent', subType: 'General', message: '' }, to: ['Reader <reader@EXAMPLE.org>'] }, 'em_unknown'));
    expect(subscriber().status).toBe('suppressed');
    await send(event('email.complained', { to: ['stranger@example.net'] }, 'em_other'));
    expect(db.select().from(suppressions).all().map((s) => s.emailHash)).toContain(emailHash(TEST_SECRET, 'stranger@example.net'));
  });

  it('an erased subscriber stays erased; the hash is suppressed', async () => {
    const { send, db } = setup();
    const erased = addSubscriber(db, 'gone@example.org', 'erased');
    await send(event('email.complained', { to: ['gone@example.org'] }, 'em_gone'));
    expect(db.select().from(subscribers).where(eq(subscribers.id, erased.id)).get()!.status).toBe('erased');
    expect(db.select().from(suppressions).all()).toEqual([expect.objectContaining({ emailHash: erased.emailHash, reason: 'complained' })]);
  });

  it('ignores event types it does not track, answering 200', async () => {
    const { send, db, logs } = setup();
    const res = await send({ type: 'contact.created', created_at: EVENT_AT, data: { id: 'c1', email: 'reader@example.org' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ignored' });
    expect(db.select().from(providerEvents).all()).toEqual([]);
    const line = logs.find((l) => l.msg === 'webhook event type not tracked; ignored');
    expect(line).toMatchObject({ type: 'contact.created' });
    expect(JSON.stringify(logs)).not.toContain('reader@example.org');
  });
});

describe('POST /webhooks/resend: scanner and proxy events are kept, flagged and left out', () => {
  const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
  const T = Date.parse('2026-03-02T15:00:00.000Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  const click = (at: number, link: string, userAgent = SAFARI) => ({ ...event('email.clicked', { click: { ipAddress: '122.115.53.11', link, timestamp: iso(at), userAgent } }), created_at: iso(at + 120) });
  const flags = (db: Db) => Object.fromEntries(db.select().from(providerEvents).all().map((e) => [e.id, [e.flag, e.flagReason]]));

  it('a click by a scanner user agent is recorded with its flag and sets no click time', async () => {
    const { send, db, delivered } = setup();
    expect(await (await send(click(T, 'https://doi.org/10.1/x', 'Mozilla/5.0 (compatible; Barracuda Sentinel)'), { id: 'msg_scan' })).json()).toEqual({ status: 'recorded' });
    expect(flags(db)).toEqual({ msg_scan: ['link_scanner', 'scanner_user_agent'] });
    expect(delivered().clickedAt).toBeNull();
    // The user agent decided the flag and is not kept.
    expect(JSON.stringify(db.select().from(providerEvents).all())).not.toContain('Barracuda');
  });

  it('three links clicked within two seconds are flagged together, whatever order the webhooks come in', async () => {
    const { send, db, delivered } = setup();
    await send(click(T + 1000, 'https://nurture.test/learn/safety'), { id: 'msg_2' });
    await send(click(T + 2000, 'https://nurture.test/p/7f3c1a9e0b4d4c2a8e6f5b1d9c0a3e7f2b4d6c8a'), { id: 'msg_3' });
    expect(delivered().clickedAt).toBe(T + 1000);
    expect(flags(db)).toEqual({ msg_2: [null, null], msg_3: [null, null] });
    await send(click(T, 'https://doi.org/10.1038/s41591-021-01336-3'), { id: 'msg_1' });
    expect(flags(db)).toEqual({ msg_1: ['link_scanner', 'all_links_at_once'], msg_2: ['link_scanner', 'all_links_at_once'], msg_3: ['link_scanner', 'all_links_at_once'] });
    expect(delivered().clickedAt).toBeNull();
    // A reader's click a minute later counts.
    await send(click(T + 60_000, 'https://doi.org/10.1038/s41591-021-01336-3'), { id: 'msg_reader' });
    expect(flags(db).msg_reader).toEqual([null, null]);
    expect(delivered().clickedAt).toBe(T + 60_000);
  });

  it('an open reported before its delivered event is left out once the delivered event shows it came 3 s after', async () => {
    const { send, db, delivered } = setup();
    await send({ ...event('email.opened'), created_at: iso(T + 3000) }, { id: 'msg_open' });
    expect(delivered().openedAt).toBe(T + 3000);
    await send({ ...event('email.delivered'), created_at: iso(T) }, { id: 'msg_delivered' });
    expect(flags(db)).toEqual({ msg_open: ['privacy_proxy', 'soon_after_delivery'], msg_delivered: [null, null] });
    expect(delivered()).toMatchObject({ deliveredAt: T, openedAt: null });
    // The next open within seconds of delivery is flagged as it arrives; a later one counts.
    await send({ ...event('email.opened'), created_at: iso(T + 5000) }, { id: 'msg_open2' });
    await send({ ...event('email.opened'), created_at: iso(T + 3_600_000) }, { id: 'msg_open3' });
    expect(flags(db)).toMatchObject({ msg_open2: ['privacy_proxy', 'soon_after_delivery'], msg_open3: [null, null] });
    expect(delivered().openedAt).toBe(T + 3_600_000);
  });
});

describe('event effects', () => {
  it('keeps which page was clicked but no token, query or fragment', () => {
    const effect = eventEffect({ type: 'email.clicked', data: { click: { link: 'https://nurture.test/u/Y29uZmlybS4xLjAuMTc5NjE3MTM0NjQyMw.co_YgJvyt?utm=x#top' } } });
    expect(effect!.detail).toEqual({ link: 'https://nurture.test/u/…' });
    expect(eventEffect({ type: 'email.clicked', data: { click: { link: 'not a url' } } })!.detail).toEqual({ link: undefined });
  });

  it('only a Permanent bounce suppresses', () => {
    const bounce = (type: string) => eventEffect({ type: 'email.bounced', data: { bounce: { type } } })!.suppress;
    expect(bounce('Permanent')).toBe('bounced');
    expect(bounce('Transient')).toBeNull();
    expect(bounce('Undetermined')).toBeNull();
    expect(eventEffect({ type: 'email.sent', data: {} })).toBeNull();
  });
});
