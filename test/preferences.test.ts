import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOutboxTransport } from '../src/mail/outbox.js';
import { verifyToken } from '../src/mail/tokens.js';
import { enrolIn } from '../src/subscribers/sequences.js';
import { confirmUrl, preferencesUrl } from '../src/mail/links.js';
import { TEST_SECRET, testApp } from './helpers/app.js';
import { linkToken, postForm, postJson, signupForm } from './helpers/public.js';

const DAY = 24 * 60 * 60 * 1000;
const EMAIL = 'reader@example.org';

/** Signed up (Europe/Berlin), confirmed and sent email 1 on Monday 2026-03-02 at 14:00 UTC. */
async function activeReader(opts: Parameters<typeof testApp>[0] = {}) {
  const t = testApp(opts);
  await postForm(t.app, '/subscribe', signupForm(EMAIL, { firstName: 'Ria' }));
  await t.drain();
  const confirmation = t.transport.sent[0]!;
  expect((await t.app.request(`/confirm/${linkToken(confirmation, 'confirm')}`, { method: 'POST' })).status).toBe(200);
  await t.drain();
  const row = async () => (await t.stores.subscribers.record(1))!;
  const sequence = () => t.transport.sent.filter((m) => m.tags?.some((x) => x.name === 'category' && x.value === 'sequence'));
  expect(sequence()).toHaveLength(1);
  return { ...t, token: linkToken(sequence()[0]!, 'p'), confirmation, row, sequence };
}

const form = (t: { app: ReturnType<typeof testApp>['app'] }, token: string, fields: Record<string, string>) => postForm(t.app, `/p/${token}`, fields);
const json = (t: { app: ReturnType<typeof testApp>['app'] }, token: string, body: unknown) => postJson(t.app, `/p/${token}`, body);

/** The token with one character of its signature changed. */
function tampered(token: string): string {
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  return token.slice(0, -1) + last;
}

describe('the preference link', () => {
  it('is in the footer of the confirmation email and of every sequence email, html and text, signed for preferences', async () => {
    const t = await activeReader();
    for (const mail of [t.confirmation, t.sequence()[0]!]) {
      const token = linkToken(mail, 'p');
      expect(mail.html).toContain(`http://nurture.test/p/${token}`);
      expect(mail.html).toContain('Manage your email preferences');
      expect(verifyToken(TEST_SECRET, token, 'preferences', t.clock.now())).toMatchObject({ subscriberId: 1, generation: 0 });
      // Not an unsubscribe link, and an unsubscribe link is not one.
      expect(verifyToken(TEST_SECRET, token, 'unsubscribe', t.clock.now())).toBeNull();
    }
  });
});

describe('GET /p/:token', () => {
  it('shows every choice, is private (no-store, noindex, strict CSP) and never acts, however often it is fetched', async () => {
    const t = await activeReader();
    const before = await t.row();
    for (let i = 0; i < 3; i++) {
      const res = await t.app.request(`/p/${t.token}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-robots-tag')).toBe('noindex');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      const body = await res.text();
      for (const action of ['pause', 'reader', 'export', 'delete', 'unsubscribe']) expect(body).toContain(`name="action" value="${action}"`);
      expect(body).toContain('r***@example.org');
      expect(body).not.toContain(EMAIL);
      expect(body).toContain('Your next email arrives on <strong>Wednesday, March 4</strong>');
    }
    const after = await t.row();
    expect(after.subscriber).toEqual(before.subscriber);
    expect(after.activity).toEqual(before.activity);
  });

  it('refuses a tampered token, and a token of another purpose, with a readable page', async () => {
    const t = await activeReader();
    for (const token of [tampered(t.token), linkToken(t.sequence()[0]!, 'u'), 'nonsense']) {
      const res = await t.app.request(`/p/${token}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This link does not work');
    }
    // Nor does a preference token unsubscribe at /u/.
    expect((await t.app.request(`/u/${t.token}`)).status).toBe(400);
  });
});

describe('POST /p/:token', () => {
  it('refuses a tampered or foreign token without acting: the error shape for JSON, a page for a form', async () => {
    const t = await activeReader();
    const before = await t.row();
    for (const token of [tampered(t.token), linkToken(t.sequence()[0]!, 'u')]) {
      const res = await json(t, token, { action: 'unsubscribe' });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'invalid_token', message: expect.stringContaining('link') } });
      const page = await form(t, token, { action: 'delete', confirm: 'yes' });
      expect(page.status).toBe(400);
      expect(page.headers.get('content-type')).toContain('text/html');
    }
    expect((await t.row()).subscriber).toEqual(before.subscriber);
  });

  it('answers bad input with a clear 4xx, never acting', async () => {
    const t = await activeReader();
    const cases: [unknown, number, string][] = [
      [{ action: 'pause', weeks: 3 }, 400, 'invalid_input'],
      [{ action: 'pause' }, 400, 'invalid_input'],
      [{ action: 'reader', reader: 'nurse' }, 400, 'invalid_input'],
      [{ action: 'explode' }, 400, 'invalid_input'],
      [[1, 2], 400, 'invalid_input'],
    ];
    for (const [body, status, code] of cases) {
      const res = await json(t, t.token, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect((await res.json()).error.code).toBe(code);
    }
    const malformed = await t.app.request(`/p/${t.token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":' });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe('invalid_body');
    const text = await t.app.request(`/p/${t.token}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'action=pause' });
    expect(text.status).toBe(415);
    expect((await t.row()).subscriber.pausedUntil).toBeNull();
  });

  it('pause (form): two weeks, recorded, and the next email moves to the first window moment after it', async () => {
    const t = await activeReader();
    const res = await form(t, t.token, { action: 'pause', weeks: '2' });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('Paused. No emails until Monday, March 16');
    expect(body).toContain('name="action" value="resume"');
    const { subscriber, activity } = await t.row();
    expect(subscriber.pausedUntil).toBe(t.clock.now() + 14 * DAY);
    // Monday 16 March 15:00 UTC is 16:00 in Berlin, after the window: Tuesday 09:00 Berlin.
    expect(new Date(subscriber.nextSendAt!).toISOString()).toBe('2026-03-17T08:00:00.000Z');
    expect(activity.filter((a) => a.type === 'paused').map((a) => JSON.parse(a.detail!))).toEqual([{ via: 'preferences', weeks: 2, until: t.clock.now() + 14 * DAY }]);
  });

  it('pause (JSON): four weeks', async () => {
    const t = await activeReader();
    const res = await json(t, t.token, { action: 'pause', weeks: 4 });
    expect(res.status).toBe(200);
    // Berlin is on summer time by then: 09:00 there is 07:00 UTC.
    expect(await res.json()).toEqual({ status: 'paused', pausedUntil: new Date(t.clock.now() + 28 * DAY).toISOString(), nextSendAt: '2026-03-31T07:00:00.000Z' });
  });

  it('pausing someone pending or finished changes nothing and says why', async () => {
    const t = testApp();
    await postForm(t.app, '/subscribe', signupForm(EMAIL));
    await t.drain();
    const token = linkToken(t.transport.sent[0]!, 'p');
    const res = await form(t, token, { action: 'pause', weeks: '2' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('You have not confirmed this subscription');
    const finished = await activeReader();
    await finished.stores.subscribers.markConverted(1, finished.clock.now());
    const j = await json(finished, finished.token, { action: 'pause', weeks: 2 });
    expect(j.status).toBe(409);
    expect(await j.json()).toEqual({ error: { code: 'not_active', message: expect.stringContaining('nothing to pause') } });
    expect((await t.stores.subscribers.byId(1))!.pausedUntil).toBeNull();
    expect((await finished.stores.subscribers.byId(1))!.pausedUntil).toBeNull();
    expect((await json(finished, finished.token, { action: 'resume' })).status).toBe(409);
  });

  it('resume with nothing paused says so and changes nothing', async () => {
    const t = await activeReader();
    const before = (await t.row()).subscriber;
    const res = await json(t, t.token, { action: 'resume' });
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('not_paused');
    expect((await t.row()).subscriber).toEqual(before);
  });

  it('reader: changes who they read for and records it (form and JSON)', async () => {
    const t = await activeReader();
    const page = await form(t, t.token, { action: 'reader', reader: 'supporter' });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/id="reader-supporter" value="supporter" checked/);
    expect((await t.row()).subscriber.reader).toBe('supporter');
    const res = await json(t, t.token, { action: 'reader', reader: '' });
    expect(await res.json()).toEqual({ reader: null });
    expect((await t.row()).activity.filter((a) => a.type === 'reader_changed').map((a) => JSON.parse(a.detail!))).toEqual([
      { from: null, to: 'supporter' },
      { from: 'supporter', to: null },
    ]);
  });

  it('profile: changes their first name and time zone (form and JSON); a new zone moves the next email into its morning', async () => {
    const t = await activeReader();
    const before = (await t.row()).subscriber;
    const page = await form(t, t.token, { action: 'profile', firstName: '  Maria ', timezone: 'america/los_angeles' });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Saved.');
    expect(html).toContain('value="Maria"');
    expect(html).toMatch(/<option value="America\/Los_Angeles" selected="">/);
    const after = (await t.row()).subscriber;
    expect(after).toMatchObject({ firstName: 'Maria', timezone: 'America/Los_Angeles' });
    // Email 2 keeps its day but goes in the Los Angeles morning window (09:00-11:00 there is 17:00-19:00 UTC in March).
    expect(after.nextSendAt).not.toBe(before.nextSendAt);
    expect(new Date(after.nextSendAt!).getUTCHours()).toBeGreaterThanOrEqual(16);

    const res = await json(t, t.token, { action: 'profile', firstName: '', timezone: 'Europe/Berlin' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ firstName: null, timezone: 'Europe/Berlin' });
    expect((await t.row()).subscriber).toMatchObject({ firstName: null, timezone: 'Europe/Berlin' });
  });

  it('profile: a zone that is not one, a name too long or with a line break, or nothing given, is refused with 400 and changes nothing', async () => {
    const t = await activeReader();
    const before = (await t.row()).subscriber;
    for (const body of [{ action: 'profile', timezone: 'Mars/Olympus' }, { action: 'profile', firstName: 'x'.repeat(61) }, { action: 'profile', firstName: 'Ria\nBcc: x' }, { action: 'profile' }]) {
      const res = await json(t, t.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_input');
    }
    const page = await form(t, t.token, { action: 'profile', firstName: 'Ria', timezone: 'Mars/Olympus' });
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('Mars/Olympus');
    expect((await t.row()).subscriber).toEqual(before);
  });

  it('export: everything held about them as a download (form and JSON), dates as ISO 8601, no internal fields', async () => {
    const t = await activeReader();
    const day = t.clock.now();
    await form(t, t.token, { action: 'pause', weeks: '2' });
    const responses = [await form(t, t.token, { action: 'export' }), await json(t, t.token, { action: 'export' })];
    const bodies = [];
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="my-data.json"');
      expect(res.headers.get('cache-control')).toBe('no-store');
      bodies.push(await res.json());
    }
    expect(bodies[1]).toEqual(bodies[0]);
    const data = bodies[0];
    const held = (await t.row()).subscriber;
    const iso = (ms: number | null) => new Date(ms!).toISOString();
    expect(data.exportedAt).toBe(iso(t.clock.now()));
    expect(data.you).toMatchObject({
      email: EMAIL,
      firstName: 'Ria',
      timezone: 'Europe/Berlin',
      readingFor: null,
      status: 'active',
      signedUpAt: iso(held.createdAt),
      pausedUntil: iso(held.pausedUntil),
      consent: expect.objectContaining({ givenAt: iso(held.consentGivenAt), text: expect.stringContaining('Yes, send me') }),
    });
    expect(held.pausedUntil! - day).toBeGreaterThanOrEqual(14 * DAY);
    expect(data.series).toEqual([expect.objectContaining({ sequence: 'education', startedAt: iso(held.confirmedAt), endedAt: null })]);
    expect(data.emails.map((e: { kind: string; step: number | null }) => [e.kind, e.step])).toEqual([
      ['confirmation', null],
      ['sequence', 1],
    ]);
    expect(data.history.map((h: { what: string }) => h.what)).toEqual(['signup', 'confirmation_sent', 'confirmed', 'paused']);
    expect(data.history.at(-1).detail.until).toBe(iso(held.pausedUntil));

    // Nothing internal: no ids, hashes, token generations, batches or provider ids; every time is an ISO 8601 string.
    const internal = /^(id|subscriberId|deliveryId|enrolmentId|emailHash|legacyHash|tokenGeneration|batchId|providerId|templateVersion|idempotencyKey|version|updatedAt|confirmationSentAt)$/;
    const walk = (value: unknown, key: string): void => {
      expect(key, key).not.toMatch(internal);
      if (/(At|until|Until)$/.test(key) && value !== null) expect(value, key).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, Array.isArray(value) ? key : k);
    };
    walk(data, '');
    const text = JSON.stringify(data);
    const stored = (await t.row()).subscriber;
    expect(text).not.toContain(stored.emailHash);
    expect(text).not.toMatch(/"batchId"|"tokenGeneration"|"emailHash"/);
  });

  it('delete asks again (a page with a confirm button; JSON needs confirm=yes) and only then erases, outbox files too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-prefs-'));
    try {
      const base = testApp();
      const t = testApp({ transport: createOutboxTransport(dir, base.clock), config: { ...base.config, outboxDir: dir }, clock: base.clock });
      await postForm(t.app, '/subscribe', signupForm(EMAIL));
      await t.drain();
      await t.app.request(new URL(confirmUrl(t.config, { id: 1, tokenGeneration: 0 }, t.clock.now())).pathname, { method: 'POST' });
      await t.drain();
      const token = new URL(preferencesUrl(t.config, { id: 1, tokenGeneration: 0 })).pathname.slice('/p/'.length);
      const row = async () => (await t.stores.subscribers.record(1))!;
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.eml'))).toHaveLength(2);

      const ask = await form(t, token, { action: 'delete' });
      expect(ask.status).toBe(200);
      const page = await ask.text();
      expect(page).toContain('Delete all your data?');
      expect(page).toMatch(/<input type="hidden" name="confirm" value="yes"\/>\s*<button type="submit" class="danger">Yes, delete my data<\/button>/);
      const askJson = await json(t, token, { action: 'delete' });
      expect(askJson.status).toBe(400);
      expect((await askJson.json()).error.code).toBe('confirmation_required');
      expect((await row()).subscriber.status).toBe('active');
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.eml'))).toHaveLength(2);

      const done = await form(t, token, { action: 'delete', confirm: 'yes' });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('Your data is deleted');
      const { subscriber } = await row();
      expect(subscriber).toMatchObject({ status: 'erased', email: null, firstName: null });
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.eml'))).toEqual([]);
      // The link now points nowhere.
      expect((await t.app.request(`/p/${token}`)).status).toBe(404);
      expect((await json(t, token, { action: 'delete', confirm: 'yes' })).status).toBe(404);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unsubscribe (form and JSON): stops all mail; the page stays for the data choices', async () => {
    const t = await activeReader();
    const page = await form(t, t.token, { action: 'unsubscribe' });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain('You are unsubscribed');
    expect(body).toContain('name="action" value="export"');
    expect(body).not.toContain('name="action" value="unsubscribe"');
    expect((await t.row()).subscriber).toMatchObject({ status: 'unsubscribed', nextSendAt: null });
    const again = await json(t, t.token, { action: 'unsubscribe' });
    expect(await again.json()).toEqual({ status: 'unsubscribed' });
    expect((await t.row()).activity.filter((a) => a.type === 'unsubscribed').map((a) => JSON.parse(a.detail!))).toEqual([{ method: 'preferences', from: 'active' }]);
  });

  it('a link from before a re-subscribe may only unsubscribe', async () => {
    const t = await activeReader();
    const old = t.token;
    await json(t, old, { action: 'unsubscribe' });
    t.clock.advance(DAY);
    await postForm(t.app, '/subscribe', signupForm(EMAIL));
    await t.drain();
    const fresh = linkToken(t.transport.sent.at(-1)!, 'p');
    expect(fresh).not.toBe(old);

    const get = await t.app.request(`/p/${old}`);
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('This link is from an older email');
    for (const action of [{ action: 'export' }, { action: 'delete', confirm: 'yes' }, { action: 'reader', reader: 'self' }]) {
      const res = await json(t, old, action);
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('outdated_link');
    }
    expect((await t.row()).subscriber.status).toBe('pending');
    expect((await json(t, old, { action: 'unsubscribe' })).status).toBe(200);
    expect((await t.row()).subscriber.status).toBe('unsubscribed');
    expect((await t.app.request(`/p/${fresh}`)).status).toBe(200);
  });
});

describe('two series on the preference page', () => {
  it('lists both with their next email; a person leaves one and keeps the other; their last one only by unsubscribing', async () => {
    const t = await activeReader();
    expect(await (await t.app.request(`/p/${t.token}`)).text()).not.toContain('Your series');
    const deps = { stores: t.stores, config: t.config, clock: t.clock, logger: t.logger };
    expect((await enrolIn(deps, 1, 'consult-follow-up', 'staff')).kind).toBe('enrolled');
    const page = await (await t.app.request(`/p/${t.token}`)).text();
    expect(page).toContain('<h2 id="series">Your series</h2>');
    expect(page).toContain('The education series (eight emails over three weeks): next email on <strong>Wednesday, March 4</strong>');
    // Both planned for Wednesday: when the day comes, one goes and the other waits for the next morning.
    expect(page).toContain('The consult follow-up (three emails before a consult): next email on <strong>Wednesday, March 4</strong>');
    expect(page).toContain('Stop the consult follow-up only');

    const left = await form(t, t.token, { action: 'leave', sequence: 'consult-follow-up' });
    expect(left.status).toBe(200);
    const after = await left.text();
    expect(after).toContain('Done: you will get no more of the consult follow-up');
    expect(after).not.toContain('Your series');
    expect((await t.row()).enrolments.map((e) => [e.sequence, e.endedReason])).toEqual([
      ['education', null],
      ['consult-follow-up', 'left'],
    ]);
    expect((await t.row()).subscriber.status).toBe('active');
    const last = await json(t, t.token, { action: 'leave', sequence: 'education' });
    expect(last.status).toBe(409);
    expect(await last.json()).toEqual({ error: { code: 'last_sequence', message: expect.stringContaining('unsubscribe') } });
    expect((await json(t, t.token, { action: 'leave', sequence: 'consult-follow-up' })).status).toBe(409);
    expect((await json(t, t.token, { action: 'leave', sequence: 'nope' })).status).toBe(400);
    expect((await t.row()).enrolments.find((e) => e.sequence === 'education')!.endedAt).toBeNull();
  });
});
