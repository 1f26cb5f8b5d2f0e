import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity, deliveries, subscribers, suppressions } from '../db/sqlite/schema.js';
import { SendError } from '../src/mail/transport.js';
import { emailHash } from '../src/address.js';
import { verifyToken } from '../src/mail/tokens.js';
import { consentFor } from '../src/subscribers/consent.js';
import { TEST_SECRET, testApp, testDb, testConfig } from './helpers/app.js';
import { headerLines, linkToken, pageWithoutNonce, postForm, postJson, signupForm } from './helpers/public.js';
import { viewOf } from './helpers/staff.js';

// The wording as the test app's clinic shows it.
const CONSENT = consentFor(testConfig().clinicName);

type T = ReturnType<typeof testApp>;

async function signUp(t: T, email: string, extra: Record<string, string> = {}) {
  const res = await postForm(t.app, '/subscribe', signupForm(email, extra));
  await t.drain();
  return res;
}

function rowFor(t: T, email: string) {
  const row = t.db.select({ id: subscribers.id }).from(subscribers).where(eq(subscribers.emailHash, emailHash(TEST_SECRET, email))).get();
  return row && viewOf(t.db, row.id);
}

describe('GET /', () => {
  it('serves the signup form with its consent wording, a nonce-only CSP and the timezone script', async () => {
    const { app } = testApp();
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const body = await res.text();
    expect(body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    expect(body).toContain('8 short emails over 3 weeks');
    expect(body).toMatch(/<form method="post" action="subscribe#signup"/);
    expect(body).toMatch(/<input id="firstName" name="firstName"/);
    expect(body).toMatch(/<input id="email" name="email" type="email"/);
    expect(body).toMatch(/<input id="consent" name="consent" type="checkbox" value="yes"/);
    expect(body).toContain(`<label for="consent">${CONSENT.text}</label>`);
    expect(body).toMatch(/<input type="hidden" name="timezone" id="timezone" value=""\/>/);
    expect(body).toContain('Your privacy');

    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(body).toContain(`<script nonce="${nonce}">`);
    expect(body).toContain('Intl.DateTimeFormat().resolvedOptions().timeZone');
    expect(body).toContain(`<style nonce="${nonce}">`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('gets a fresh nonce per response', async () => {
    const { app } = testApp();
    const a = (await app.request('/')).headers.get('content-security-policy');
    const b = (await app.request('/')).headers.get('content-security-policy');
    expect(a).not.toBe(b);
  });

  it('tells script-less browsers which time zone the emails will follow', async () => {
    const { app } = testApp();
    expect(await (await app.request('/')).text()).toMatch(/<noscript>.*America\/New_York.*<\/noscript>/s);
  });
});

describe('POST /subscribe: a new address', () => {
  it('creates a pending subscriber, redirects the form to the sent page and sends one confirmation email', async () => {
    const t = testApp();
    const res = await postForm(t.app, '/subscribe', signupForm('  Jane.Doe@Example.ORG ', { firstName: '  Jane ' }), { ip: '203.0.113.9', headers: { 'user-agent': 'TestBrowser/1' } });
    // POST-redirect-GET, with nothing personal in the address it redirects to.
    expect(res.status).toBe(303);
    // Only the country of the crisis lines and the sealed address travel with the redirect, never the address in clear.
    expect(res.headers.get('location')).toMatch(/^subscribe\/sent\?crisis=[A-Z]+&to=[A-Za-z0-9_-]+$/);
    expect(res.headers.get('location')).not.toMatch(/jane|doe|example/i);
    await t.drain();

    const row = rowFor(t, 'Jane.Doe@example.org')!;
    expect(row).toMatchObject({
      email: 'Jane.Doe@example.org',
      firstName: 'Jane',
      timezone: 'Europe/Berlin',
      status: 'pending',
      tokenGeneration: 0,
      source: 'signup-form',
      signupIp: '203.0.113.9',
      signupUserAgent: 'TestBrowser/1',
      confirmationSentAt: t.clock.now(),
      confirmedAt: null,
      nextStep: null,
      nextSendAt: null,
    });

    expect(t.transport.sent).toHaveLength(1);
    const mail = t.transport.sent[0]!;
    expect(mail).toMatchObject({ to: 'Jane.Doe@example.org', from: t.config.mailFrom, subject: 'Please confirm your subscription' });
    expect(mail.html).toContain('<html');
    expect(mail.text).toContain(t.config.postalAddress);
    const confirm = verifyToken(TEST_SECRET, linkToken(mail, 'confirm'), 'confirm', t.clock.now());
    expect(confirm).toMatchObject({ subscriberId: row.id, generation: 0 });
    expect(confirm!.expiresAt).toBeGreaterThan(t.clock.now());
    expect(verifyToken(TEST_SECRET, linkToken(mail, 'u'), 'unsubscribe', t.clock.now())).toMatchObject({ subscriberId: row.id, generation: 0 });

    const [delivery] = t.db.select().from(deliveries).all();
    expect(delivery).toMatchObject({ subscriberId: row.id, kind: 'confirmation', step: 0, status: 'sent', providerId: mail.id, subject: mail.subject, sentAt: t.clock.now() });
    const types = t.db.select().from(activity).all().map((a) => a.type);
    expect(types).toEqual(['signup', 'confirmation_sent']);
  });

  it('answers JSON with 202 {"status":"pending"} and records the source as api', async () => {
    const t = testApp();
    const res = await postJson(t.app, '/subscribe', { email: 'api@example.org', consent: true });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'pending' });
    await t.drain();
    expect(rowFor(t, 'api@example.org')).toMatchObject({ source: 'api', firstName: null, timezone: 'America/New_York' });
    expect(t.transport.sent.map((m) => m.to)).toEqual(['api@example.org']);
  });

  it('accepts multipart form posts too', async () => {
    const t = testApp();
    const fd = new FormData();
    for (const [k, v] of Object.entries(signupForm('multi@example.org'))) fd.set(k, v);
    const res = await t.app.request('/subscribe', { method: 'POST', body: fd });
    expect(res.status).toBe(303);
    await t.drain();
    expect(t.transport.sent).toHaveLength(1);
  });

  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['europe/berlin', 'Europe/Berlin'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['Mars/Olympus_Mons', 'America/New_York'],
    ['', 'America/New_York'],
    ['x'.repeat(500), 'America/New_York'],
  ])('stores time zone %j as %j', async (tz, stored) => {
    const t = testApp();
    await signUp(t, 'tz@example.org', { timezone: tz });
    expect(rowFor(t, 'tz@example.org')!.timezone).toBe(stored);
  });

  it('falls back to DEFAULT_TIMEZONE from the config', async () => {
    const t = testApp({ config: { ...testApp().config, defaultTimezone: 'Australia/Adelaide' } });
    await postJson(t.app, '/subscribe', { email: 'a@example.org', consent: true, timezone: 42 });
    expect(rowFor(t, 'a@example.org')!.timezone).toBe('Australia/Adelaide');
  });

  it('never logs a full address at info', async () => {
    const t = testApp();
    await signUp(t, 'private.person@example.org');
    expect(t.logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(t.logs)).not.toContain('private.person@example.org');
    expect(JSON.stringify(t.logs)).toContain('p***@example.org');
  });
});

describe('POST /subscribe: who they read for', () => {
  it.each([
    ['form', 'supporter', 'supporter'],
    ['form', 'professional', 'professional'],
    ['form', 'self', 'self'],
    ['form', '', null],
    ['form', undefined, null],
    ['json', 'professional', 'professional'],
    ['json', null, null],
    ['json', undefined, null],
  ])('%s with reader %j stores %j', async (kind, reader, stored) => {
    const t = testApp();
    const res =
      kind === 'form'
        ? await postForm(t.app, '/subscribe', signupForm('who@example.org', reader === undefined ? {} : { reader: reader! }))
        : await postJson(t.app, '/subscribe', { email: 'who@example.org', consent: true, ...(reader === undefined ? {} : { reader }) });
    expect(res.status).toBe(kind === 'form' ? 303 : 202);
    await t.drain();
    expect(rowFor(t, 'who@example.org')!.reader).toBe(stored);
  });

  it('answers an unknown reader from the form with the form again, its error and what was typed', async () => {
    const t = testApp();
    const res = await postForm(t.app, '/subscribe', signupForm('who@example.org', { reader: 'doctor', firstName: 'Wen' }));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const body = await res.text();
    expect(body).toContain('Who you read for must be one of');
    expect(body).toContain('value="who@example.org"');
    expect(body).toContain('value="Wen"');
    expect(t.db.select().from(subscribers).all()).toEqual([]);
  });
});

describe('POST /subscribe: bad input', () => {
  it.each([
    ['no email', { consent: true }, /email address/],
    ['not an address', { email: 'not-an-address', consent: true }, /does not look like an email/],
    ['CR/LF in the address', { email: 'a@example.org\r\nBcc: b@example.org', consent: true }, /email/],
    ['an address too long', { email: `${'a'.repeat(300)}@example.org`, consent: true }, /at most 254/],
    ['no consent', { email: 'a@example.org' }, /Tick the box/],
    ['consent false', { email: 'a@example.org', consent: false }, /Tick the box/],
    ['a newline in the name', { email: 'a@example.org', consent: true, firstName: 'Jo\nBcc: x' }, /line breaks/],
    ['a control character in the name', { email: 'a@example.org', consent: true, firstName: 'Jo\u0007' }, /control/],
    ['a name too long', { email: 'a@example.org', consent: true, firstName: 'J'.repeat(61) }, /60 characters/],
    ['a name that is not text', { email: 'a@example.org', consent: true, firstName: { a: 1 } }, /must be text/],
    ['an unknown reader', { email: 'a@example.org', consent: true, reader: 'doctor' }, /Who you read for must be one of: self, supporter, professional/],
    ['a reader that is not text', { email: 'a@example.org', consent: true, reader: ['self'] }, /Who you read for/],
    ['an array body', [1, 2], /email/],
    ['a null body', null, /email/],
  ])('JSON with %s: 422 in the error shape, nothing stored or sent', async (_name, body, message) => {
    const t = testApp();
    const res = await postJson(t.app, '/subscribe', body);
    expect(res.status).toBe(422);
    const json = await res.json();
    expect(json).toEqual({ error: { code: 'invalid_input', message: expect.stringMatching(message) } });
    await t.drain();
    expect(t.db.select().from(subscribers).all()).toEqual([]);
    expect(t.transport.sent).toEqual([]);
  });

  it('re-renders the form with the errors and keeps what was typed (escaped)', async () => {
    const t = testApp();
    const res = await postForm(t.app, '/subscribe', { email: 'jo@', firstName: '<b>Jo</b>', timezone: 'Europe/Paris' });
    expect(res.status).toBe(422);
    const body = await res.text();
    expect(body).toContain('role="alert"');
    expect(body).toContain('That does not look like an email address');
    expect(body).toContain('Tick the box to agree');
    expect(body).toMatch(/<input id="email"[^>]*value="jo@"[^>]*aria-invalid="true" aria-describedby="email-error"\/>/);
    expect(body).toContain('value="&lt;b&gt;Jo&lt;/b&gt;"');
    expect(body).not.toContain('<b>Jo</b>');
    expect(body).toContain('name="timezone" id="timezone" value="Europe/Paris"');
    expect(body).not.toMatch(/id="consent"[^>]*checked/);
    expect(t.db.select().from(subscribers).all()).toEqual([]);
  });

  it('keeps the consent box ticked when only the address was wrong', async () => {
    const t = testApp();
    const body = await (await postForm(t.app, '/subscribe', { email: 'nope', consent: 'yes' })).text();
    expect(body).toMatch(/id="consent"[^>]*checked/);
    expect(body).not.toContain('Tick the box');
  });

  it('refuses a CR/LF in a form field with a 4xx page', async () => {
    const t = testApp();
    const res = await postForm(t.app, '/subscribe', signupForm('a@example.org\nX-Injected: 1'));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    await t.drain();
    expect(t.transport.sent).toEqual([]);
  });

  it('answers malformed JSON with 400 in the error shape', async () => {
    const { app } = testApp();
    const res = await app.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid_body', message: expect.any(String) } });
  });

  it('answers a broken multipart body with a 400 page', async () => {
    const { app } = testApp();
    const res = await app.request('/subscribe', { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'garbage' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('We could not read that form');
  });

  it.each([undefined, 'text/plain', 'application/xml', 'image/png'])('answers content type %s with 415', async (type) => {
    const t = testApp();
    const res = await t.app.request('/subscribe', { method: 'POST', headers: type ? { 'content-type': type } : {}, body: 'email=a@example.org&consent=yes' });
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe('unsupported_media_type');
    expect(t.db.select().from(subscribers).all()).toEqual([]);
  });

  it('refuses a body over 16 KB with 413: JSON in the error shape, a form with a page', async () => {
    const t = testApp();
    const big = 'x'.repeat(17 * 1024);
    const json = await postJson(t.app, '/subscribe', { email: 'a@example.org', consent: true, pad: big });
    expect(json.status).toBe(413);
    expect(await json.json()).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
    const form = await postForm(t.app, '/subscribe', { ...signupForm('a@example.org'), pad: big });
    expect(form.status).toBe(413);
    expect(await form.text()).toContain('too much');
    expect(t.db.select().from(subscribers).all()).toEqual([]);
  });
});

describe('POST /subscribe: the address already known', () => {
  it('resends the confirmation to a pending address at most once per 10 minutes', async () => {
    const t = testApp();
    await signUp(t, 'pending@example.org');
    t.clock.advance(9 * 60_000 + 59_000);
    await signUp(t, 'pending@example.org');
    expect(t.transport.sent).toHaveLength(1);

    t.clock.advance(1_000);
    await signUp(t, 'pending@example.org', { firstName: 'Pat' });
    expect(t.transport.sent).toHaveLength(2);
    // Same round of links: the first email's link still works.
    expect(linkToken(t.transport.sent[1]!, 'u')).toBe(linkToken(t.transport.sent[0]!, 'u'));
    // The name typed this time is theirs once they confirm, not before.
    expect(rowFor(t, 'pending@example.org')).toMatchObject({ firstName: null, confirmationSentAt: t.clock.now(), tokenGeneration: 0 });
    expect(t.db.select().from(deliveries).all()).toHaveLength(2);
    expect((await t.app.request(`/confirm/${linkToken(t.transport.sent[0]!, 'confirm')}`, { method: 'POST' })).status).toBe(200);
    expect(rowFor(t, 'pending@example.org')).toMatchObject({ firstName: 'Pat', status: 'active' });
  });

  it('sends nothing to an active, completed or converted subscriber and changes nothing', async () => {
    for (const status of ['active', 'completed', 'converted'] as const) {
      const t = testApp();
      await signUp(t, 'known@example.org');
      t.db.update(subscribers).set({ status }).run();
      const before = rowFor(t, 'known@example.org');
      t.clock.advance(60 * 60_000);
      await signUp(t, 'known@example.org', { firstName: 'Mallory', timezone: 'Asia/Tokyo' });
      expect(t.transport.sent).toHaveLength(1);
      expect(rowFor(t, 'known@example.org')).toEqual(before);
    }
  });

  it('never mails an address in the suppressions table, and stores nothing for it', async () => {
    const t = testApp();
    t.db.insert(suppressions).values({ emailHash: emailHash(TEST_SECRET, 'bounced@example.org'), reason: 'bounced', createdAt: 0 }).run();
    const res = await signUp(t, 'Bounced@EXAMPLE.org'.replace('Bounced', 'bounced'));
    expect(res.status).toBe(303);
    expect(t.transport.sent).toEqual([]);
    expect(t.db.select().from(subscribers).all()).toEqual([]);
  });

  it('never mails a suppressed or erased subscriber', async () => {
    for (const status of ['suppressed', 'erased'] as const) {
      const t = testApp();
      await signUp(t, 'gone@example.org');
      t.db.update(subscribers).set({ status, ...(status === 'erased' ? { email: null } : {}) }).run();
      t.clock.advance(24 * 60 * 60_000);
      await signUp(t, 'gone@example.org');
      expect(t.transport.sent).toHaveLength(1);
      expect(rowFor(t, 'gone@example.org')!.status).toBe(status);
    }
  });

  it('gives the same answer for a new, pending, active, unsubscribed and suppressed address (no enumeration)', async () => {
    const t = testApp({ subscribeRateLimit: { max: 100, windowMs: 60_000 } });
    const states = { new: 'a1@example.org', pending: 'a2@example.org', active: 'a3@example.org', unsubscribed: 'a4@example.org', suppressed: 'a5@example.org' };
    for (const [state, email] of Object.entries(states)) {
      if (state === 'new') continue;
      await signUp(t, email);
      if (state !== 'pending') t.db.update(subscribers).set({ status: state as 'active' }).where(eq(subscribers.emailHash, emailHash(TEST_SECRET, email))).run();
    }
    const answers = new Set<string>();
    const sentPages = new Set<string>();
    const jsonAnswers = new Set<string>();
    for (const email of Object.values(states)) {
      const res = await postForm(t.app, '/subscribe', signupForm(email));
      // The sealed address in the redirect differs every time, whatever the state; the page it leads to names the address typed.
      const location = res.headers.get('location')!;
      const headers = headerLines(res).replace(/&to=[A-Za-z0-9_-]+/, '&to=SEALED');
      answers.add(`${res.status}\n${headers}\n${(await pageWithoutNonce(res)).replace(email, 'ADDRESS')}`);
      const sent = await t.app.request(`/${location}`);
      expect(await sent.clone().text()).toContain(`<strong>${email}</strong>`);
      sentPages.add(`${sent.status}\n${headerLines(sent)}\n${(await pageWithoutNonce(sent)).replace(email, 'ADDRESS')}`);
      const j = await postJson(t.app, '/subscribe', { email, consent: true });
      const jsonHeaders = headerLines(j);
      jsonAnswers.add(`${j.status}\n${jsonHeaders}\n${await j.text()}`);
    }
    expect(answers.size).toBe(1);
    expect(sentPages.size).toBe(1);
    expect(jsonAnswers.size).toBe(1);
  });

  it('re-subscribing after unsubscribing starts a fresh double opt-in with new links', async () => {
    const t = testApp();
    await signUp(t, 'back@example.org');
    const first = t.transport.sent[0]!;
    await t.app.request(`/confirm/${linkToken(first, 'confirm')}`, { method: 'POST' });
    await t.app.request(`/u/${linkToken(first, 'u')}`, { method: 'POST' });
    expect(rowFor(t, 'back@example.org')!.status).toBe('unsubscribed');

    t.clock.advance(11 * 60_000);
    const res = await signUp(t, 'back@example.org', { timezone: 'Asia/Tokyo' });
    expect(res.status).toBe(303);
    const row = rowFor(t, 'back@example.org')!;
    // Until they confirm, the stored details stay as they were (a signup anyone can make changes nothing of theirs).
    expect(row).toMatchObject({ status: 'pending', tokenGeneration: 1, timezone: 'Europe/Berlin', confirmationSentAt: t.clock.now(), nextStep: null });
    expect(t.transport.sent).toHaveLength(2);
    const second = t.transport.sent[1]!;
    expect(verifyToken(TEST_SECRET, linkToken(second, 'confirm'), 'confirm', t.clock.now())!.generation).toBe(1);

    // The old confirmation link is dead; the new one confirms.
    expect((await t.app.request(`/confirm/${linkToken(first, 'confirm')}`, { method: 'POST' })).status).toBe(404);
    expect(rowFor(t, 'back@example.org')!.status).toBe('pending');
    expect((await t.app.request(`/confirm/${linkToken(second, 'confirm')}`, { method: 'POST' })).status).toBe(200);
    expect(rowFor(t, 'back@example.org')).toMatchObject({ status: 'active', timezone: 'Asia/Tokyo' });

    const signups = t.db.select().from(activity).where(eq(activity.type, 'signup')).all();
    expect(signups.map((a) => JSON.parse(a.detail!))).toEqual([{ source: 'signup-form' }, { source: 'signup-form', resubscribe: true }]);
  });

  it('re-subscribing within 10 minutes of the last confirmation email reopens but waits to send', async () => {
    const t = testApp();
    await signUp(t, 'quick@example.org');
    await t.app.request(`/u/${linkToken(t.transport.sent[0]!, 'u')}`, { method: 'POST' });
    t.clock.advance(60_000);
    await signUp(t, 'quick@example.org');
    expect(rowFor(t, 'quick@example.org')).toMatchObject({ status: 'pending', tokenGeneration: 1 });
    expect(t.transport.sent).toHaveLength(1);
    t.clock.advance(10 * 60_000);
    await signUp(t, 'quick@example.org');
    expect(t.transport.sent).toHaveLength(2);
    expect(verifyToken(TEST_SECRET, linkToken(t.transport.sent[1]!, 'confirm'), 'confirm', t.clock.now())!.generation).toBe(1);
  });

  it('when the provider refuses the confirmation: the delivery is marked failed and the person may ask again at once', async () => {
    const t = testApp();
    t.transport.failNext(new SendError('permanent', 'validation_error: refused'));
    const res = await signUp(t, 'retry@example.org');
    expect(res.status).toBe(303);
    await t.drain();
    expect(t.db.select().from(deliveries).get()).toMatchObject({ status: 'failed', error: 'validation_error: refused' });
    expect(rowFor(t, 'retry@example.org')!.confirmationSentAt).toBeNull();
    expect(t.db.select().from(activity).all().map((a) => a.type)).toEqual(['signup']);

    await signUp(t, 'retry@example.org');
    await t.drain();
    expect(t.transport.sent).toHaveLength(1);
    expect(t.db.select().from(activity).all().map((a) => a.type)).toEqual(['signup', 'confirmation_sent']);
  });

  it('when the provider is down: the confirmation is retried by the worker, not lost', async () => {
    const t = testApp();
    t.transport.failNext(new SendError('transient', 'provider down', { statusCode: 503 }));
    expect((await signUp(t, 'later@example.org')).status).toBe(303);
    await t.drain();
    expect(t.transport.sent.map((m) => m.to)).toEqual(['later@example.org']);
    expect(t.db.select().from(deliveries).get()).toMatchObject({ status: 'sent', subject: 'Please confirm your subscription' });
  });

});

describe('the daily cap on confirmation emails per address', () => {
  it('sends at most three confirmations a day to one address, whatever the interval, and again the next day', async () => {
    const t = testApp();
    for (let i = 0; i < 5; i++) {
      expect((await postJson(t.app, '/subscribe', { email: 'target@example.org', consent: true })).status).toBe(202);
      t.clock.advance(11 * 60_000);
    }
    await t.drain();
    expect(t.transport.sent.filter((m) => m.to === 'target@example.org')).toHaveLength(3);
    t.clock.advance(24 * 60 * 60_000);
    await postJson(t.app, '/subscribe', { email: 'target@example.org', consent: true });
    await t.drain();
    expect(t.transport.sent.filter((m) => m.to === 'target@example.org')).toHaveLength(4);
  });

  it('is counted in the database, so two servers share it', async () => {
    const db = testDb();
    const a = testApp({ db });
    const b = testApp({ db });
    for (let i = 0; i < 4; i++) {
      const t = i % 2 ? b : a;
      t.clock.set(Date.parse('2026-03-02T14:00:00Z') + i * 11 * 60_000);
      await postJson(t.app, '/subscribe', { email: 'shared@example.org', consent: true });
    }
    await a.drain();
    expect(a.transport.sent.filter((m) => m.to === 'shared@example.org')).toHaveLength(3);
  });
});
