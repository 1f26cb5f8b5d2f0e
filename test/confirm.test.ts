import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity, deliveries, subscribers } from '../db/sqlite/schema.js';
import { signToken } from '../src/mail/tokens.js';
import { consentFor } from '../src/subscribers/consent.js';
import { firstNotReceived } from '../src/nurture/schedule.js';
import { FIRST_VERSION } from '../src/nurture/sequence.js';
import { TEST_SECRET, testApp, testConfig } from './helpers/app.js';
import { fromIp, linkToken, postForm, signupForm } from './helpers/public.js';
import { viewOf } from './helpers/staff.js';

// The wording as the test app's clinic shows it.
const CONSENT = consentFor(testConfig().clinicName);

async function pendingSubscriber(opts: Parameters<typeof testApp>[0] = {}) {
  let kicks = 0;
  const t = testApp({ worker: { kick: () => void kicks++ }, ...opts });
  await postForm(t.app, '/subscribe', signupForm('reader@example.org', { firstName: 'Ria' }));
  await t.drain();
  // The signup's own kick (its confirmation email) is not what these tests count.
  kicks = 0;
  const mail = t.transport.sent[0]!;
  const row = () => viewOf(t.db);
  return { ...t, token: linkToken(mail, 'confirm'), unsubscribeToken: linkToken(mail, 'u'), row, kicks: () => kicks };
}

function confirm(t: { app: ReturnType<typeof testApp>['app'] }, token: string, init: RequestInit = {}, ip = '198.51.100.7') {
  return t.app.request(`/confirm/${token}`, { method: 'POST', ...init }, fromIp(ip));
}

describe('GET /confirm/:token', () => {
  it('shows a Confirm button and the consent wording, and confirms nothing', async () => {
    const t = await pendingSubscriber();
    const res = await t.app.request(`/confirm/${t.token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-robots-tag')).toBe('noindex');
    const body = await res.text();
    expect(body).toMatch(/<form method="post">\s*<button type="submit">Confirm my subscription<\/button>/);
    expect(body).toContain(CONSENT.text);
    // Link scanners follow GETs: still pending, however often it is fetched.
    await t.app.request(`/confirm/${t.token}`);
    expect(t.row().status).toBe('pending');
    expect(t.kicks()).toBe(0);
  });

  it('says so when the subscription is already confirmed', async () => {
    const t = await pendingSubscriber();
    await confirm(t, t.token);
    const res = await t.app.request(`/confirm/${t.token}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are confirmed');
  });
});

describe('POST /confirm/:token', () => {
  it('activates the subscriber, records the consent and schedules email 1 now', async () => {
    const t = await pendingSubscriber();
    t.clock.advance(5 * 60_000);
    const res = await confirm(t, t.token, { headers: { 'user-agent': 'Mozilla/5.0 (Phone)' } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('You are confirmed');
    expect(page).toContain('Your first email is on its way now');
    expect(page).toContain('between 09:00 and 11:00, Europe/Berlin time');

    const now = t.clock.now();
    expect(t.row()).toMatchObject({
      status: 'active',
      confirmedAt: now,
      consentText: CONSENT.text,
      consentVersion: CONSENT.version,
      consentIp: '198.51.100.7',
      consentUserAgent: 'Mozilla/5.0 (Phone)',
      consentSource: 'signup-form',
      nextStep: 1,
      nextSendAt: now,
      updatedAt: now,
    });
    expect(t.kicks()).toBe(1);
    const confirmed = t.db.select().from(activity).where(eq(activity.type, 'confirmed')).all();
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]).toMatchObject({ at: now, subscriberId: t.row().id });
  });

  it('records the api source for a signup that came as JSON', async () => {
    const t = testApp();
    await t.app.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'j@example.org', consent: true }) });
    await t.drain();
    await confirm(t, linkToken(t.transport.sent[0]!, 'confirm'));
    expect(t.db.select().from(subscribers).get()!.consentSource).toBe('api');
  });

  it('is idempotent: a second confirmation changes nothing and kicks nothing', async () => {
    const t = await pendingSubscriber();
    await confirm(t, t.token);
    const first = t.row();
    t.clock.advance(60_000);
    const res = await confirm(t, t.token, {}, '192.0.2.99');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are confirmed');
    expect(t.row()).toEqual(first);
    expect(t.kicks()).toBe(1);
    expect(t.db.select().from(activity).where(eq(activity.type, 'confirmed')).all()).toHaveLength(1);
  });

  it('ignores the request body and its content type', async () => {
    const t = await pendingSubscriber();
    const res = await confirm(t, t.token, { headers: { 'content-type': 'application/x-shockwave-flash' }, body: '\u0000\u0001' });
    expect(res.status).toBe(200);
    expect(t.row().status).toBe('active');
  });

  it('resumes at the first step not yet delivered after a re-subscribe', async () => {
    const t = await pendingSubscriber();
    const id = t.row().id;
    for (const step of [1, 2, 4]) {
      t.db.insert(deliveries).values({ subscriberId: id, kind: 'sequence', sequence: 'education', step, templateId: `step-${step}`, subject: 's', status: 'sent', createdAt: 0 }).run();
    }
    await confirm(t, t.token);
    expect(t.row()).toMatchObject({ status: 'active', nextStep: 3, nextSendAt: t.clock.now() });
  });

  it('completes at once, scheduling nothing, when every step was already delivered', async () => {
    const t = await pendingSubscriber();
    const id = t.row().id;
    for (let step = 1; step <= 8; step++) {
      t.db.insert(deliveries).values({ subscriberId: id, kind: 'sequence', sequence: 'education', step, templateId: `step-${step}`, subject: 's', status: 'sent', createdAt: 0 }).run();
    }
    const res = await confirm(t, t.token);
    expect(await res.text()).toContain('already received all eight emails');
    expect(t.row()).toMatchObject({ status: 'completed', nextStep: null, nextSendAt: null, consentVersion: CONSENT.version });
    expect(t.kicks()).toBe(0);
  });

  it('does not restart a subscriber who unsubscribed, even with their valid link', async () => {
    const t = await pendingSubscriber();
    await t.app.request(`/u/${t.unsubscribeToken}`, { method: 'POST' });
    const res = await confirm(t, t.token);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You have unsubscribed');
    expect(t.row()).toMatchObject({ status: 'unsubscribed', confirmedAt: null, nextStep: null });
  });

  it('does not confirm a suppressed subscriber', async () => {
    const t = await pendingSubscriber();
    t.db.update(subscribers).set({ status: 'suppressed' }).run();
    expect((await confirm(t, t.token)).status).toBe(404);
    expect(t.row().status).toBe('suppressed');
  });
});

describe('confirmation links that do not work', () => {
  const cases: [string, (t: Awaited<ReturnType<typeof pendingSubscriber>>) => string, number][] = [
    ['garbage', () => 'not-a-token', 400],
    ['empty MAC', (t) => t.token.split('.')[0] + '.', 400],
    ['a tampered MAC', (t) => t.token.slice(0, -2) + (t.token.endsWith('AA') ? 'BB' : 'AA'), 400],
    ['a tampered body', (t) => 'x' + t.token.slice(1), 400],
    ['an unsubscribe token', (t) => t.unsubscribeToken, 400],
    ['a token signed with another key', (t) => signToken('another-secret-key-0123456789abcdef', { purpose: 'confirm', subscriberId: t.row().id, generation: 0 }), 400],
    ['a very long token', () => 'a'.repeat(5000), 400],
    ['an unknown subscriber', () => signToken(TEST_SECRET, { purpose: 'confirm', subscriberId: 999, generation: 0 }), 404],
    ['a later generation', (t) => signToken(TEST_SECRET, { purpose: 'confirm', subscriberId: t.row().id, generation: 5 }), 404],
  ];

  it.each(cases)('%s: GET and POST answer a readable %i page and change nothing', async (_name, make, status) => {
    const t = await pendingSubscriber();
    const token = encodeURIComponent(make(t));
    for (const method of ['GET', 'POST']) {
      const res = await t.app.request(`/confirm/${token}`, { method });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toMatch(/<h1>This link (does not work|is no longer valid)<\/h1>/);
    }
    expect(t.row().status).toBe('pending');
    expect(t.kicks()).toBe(0);
  });

  it('an expired link (older than 7 days) answers 400 and asks to sign up again', async () => {
    const t = await pendingSubscriber();
    t.clock.advance(7 * 24 * 60 * 60_000 + 1);
    const res = await confirm(t, t.token);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('sign up again');
    expect(t.row().status).toBe('pending');
  });

  it('a link for an erased subscriber answers 404', async () => {
    const t = await pendingSubscriber();
    t.db.update(subscribers).set({ status: 'erased', email: null }).run();
    expect((await t.app.request(`/confirm/${t.token}`)).status).toBe(404);
  });
});

describe('where someone confirming starts: the first step of the running version not received', () => {
  it.each([
    [[], 1],
    [[1], 2],
    [[1, 2, 3], 4],
    [[2, 3], 1],
    [[1, 3], 2],
    [[1, 2, 3, 4, 5, 6, 7, 8], null],
    [[8, 7, 6, 5, 4, 3, 2, 1, 1], null],
  ] as [number[], number | null][])('%j -> %j', (sent, next) => {
    expect(firstNotReceived(FIRST_VERSION.steps, new Set(sent))?.step ?? null).toBe(next);
  });
});
