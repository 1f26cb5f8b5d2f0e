import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity, enrolments, subscribers } from '../db/sqlite/schema.js';
import { viewOf } from './helpers/staff.js';
import { signToken } from '../src/mail/tokens.js';
import { TEST_SECRET, testApp } from './helpers/app.js';
import { linkToken, postForm, signupForm } from './helpers/public.js';

async function activeSubscriber() {
  const t = testApp();
  await postForm(t.app, '/subscribe', signupForm('leaver@example.org'));
  await t.drain();
  const mail = t.transport.sent[0]!;
  await t.app.request(`/confirm/${linkToken(mail, 'confirm')}`, { method: 'POST' });
  const row = () => viewOf(t.db);
  const unsubscribes = () => t.db.select().from(activity).where(eq(activity.type, 'unsubscribed')).all();
  return { ...t, token: linkToken(mail, 'u'), confirmToken: linkToken(mail, 'confirm'), row, unsubscribes };
}

const oneClick = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' };

describe('GET /u/:token', () => {
  it('shows an Unsubscribe button with the masked address and unsubscribes nobody', async () => {
    const t = await activeSubscriber();
    const res = await t.app.request(`/u/${t.token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    expect(body).toMatch(/<form method="post">[\s\S]*<button type="submit">Unsubscribe<\/button>\s*<\/form>/);
    expect(body).toContain('l***@example.org');
    expect(body).not.toContain('leaver@example.org');
    expect(t.row().status).toBe('active');
  });

  it('says so when already unsubscribed', async () => {
    const t = await activeSubscriber();
    await t.app.request(`/u/${t.token}`, { method: 'POST' });
    const res = await t.app.request(`/u/${t.token}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are unsubscribed');
  });
});

describe('POST /u/:token', () => {
  it('unsubscribes from the page button and clears the schedule', async () => {
    const t = await activeSubscriber();
    expect(t.row().nextSendAt).not.toBeNull();
    t.clock.advance(3_600_000);
    const res = await t.app.request(`/u/${t.token}`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are unsubscribed');
    expect(t.row()).toMatchObject({ status: 'unsubscribed', unsubscribedAt: t.clock.now(), nextStep: null, nextSendAt: null });
    expect(t.unsubscribes().map((a) => JSON.parse(a.detail!))).toEqual([{ method: 'page', from: 'active' }]);
  });

  it('honours RFC 8058 one-click: 200, no redirect, no cookie, no auth', async () => {
    const t = await activeSubscriber();
    const res = await t.app.request(`/u/${t.token}`, oneClick);
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(t.row().status).toBe('unsubscribed');
    expect(t.unsubscribes().map((a) => JSON.parse(a.detail!).method)).toEqual(['one-click']);
  });

  it('accepts one-click as multipart form data too', async () => {
    const t = await activeSubscriber();
    const fd = new FormData();
    fd.set('List-Unsubscribe', 'One-Click');
    expect((await t.app.request(`/u/${t.token}`, { method: 'POST', body: fd })).status).toBe(200);
    expect(t.row().status).toBe('unsubscribed');
  });

  it('is idempotent', async () => {
    const t = await activeSubscriber();
    await t.app.request(`/u/${t.token}`, oneClick);
    const first = t.row();
    t.clock.advance(60_000);
    const again = await t.app.request(`/u/${t.token}`, oneClick);
    expect(again.status).toBe(200);
    expect(t.row()).toEqual(first);
    expect(t.unsubscribes()).toHaveLength(1);
  });

  it('unsubscribes a pending subscriber from the confirmation email, so the confirm link stops working', async () => {
    const t = testApp();
    await postForm(t.app, '/subscribe', signupForm('p@example.org'));
    await t.drain();
    const mail = t.transport.sent[0]!;
    expect((await t.app.request(`/u/${linkToken(mail, 'u')}`, { method: 'POST' })).status).toBe(200);
    await t.app.request(`/confirm/${linkToken(mail, 'confirm')}`, { method: 'POST' });
    expect(t.db.select().from(subscribers).get()!.status).toBe('unsubscribed');
  });

  it('keeps working for links in emails from before a re-subscribe', async () => {
    const t = await activeSubscriber();
    await t.app.request(`/u/${t.token}`, { method: 'POST' });
    t.clock.advance(11 * 60_000);
    await postForm(t.app, '/subscribe', signupForm('leaver@example.org'));
    await t.drain();
    const fresh = t.transport.sent[1]!;
    await t.app.request(`/confirm/${linkToken(fresh, 'confirm')}`, { method: 'POST' });
    expect(t.row()).toMatchObject({ status: 'active', tokenGeneration: 1 });
    // The first email's link (generation 0) still unsubscribes.
    expect((await t.app.request(`/u/${t.token}`, oneClick)).status).toBe(200);
    expect(t.row().status).toBe('unsubscribed');
  });

  it('leaves a suppressed subscriber suppressed and answers that no mail goes there', async () => {
    const t = await activeSubscriber();
    t.db.update(subscribers).set({ status: 'suppressed' }).run();
    t.db.update(enrolments).set({ nextStep: null, nextSendAt: null, endedAt: t.clock.now(), endedReason: 'suppressed' }).run();
    const res = await t.app.request(`/u/${t.token}`, oneClick);
    expect(res.status).toBe(200);
    expect(t.row().status).toBe('suppressed');
    expect(t.unsubscribes()).toEqual([]);
  });

  it('accepts a body of up to 16 KB, refuses more with 413', async () => {
    const t = await activeSubscriber();
    const big = { ...oneClick, body: `List-Unsubscribe=One-Click&pad=${'x'.repeat(17 * 1024)}` };
    expect((await t.app.request(`/u/${t.token}`, big)).status).toBe(413);
    expect(t.row().status).toBe('active');
  });
});

describe('unsubscribe links that do not work', () => {
  const cases: [string, (t: Awaited<ReturnType<typeof activeSubscriber>>) => string, number][] = [
    ['garbage', () => 'nope', 400],
    ['a tampered MAC', (t) => t.token.slice(0, -2) + (t.token.endsWith('AA') ? 'BB' : 'AA'), 400],
    ['a confirm token', (t) => t.confirmToken, 400],
    ['an unknown subscriber', () => signToken(TEST_SECRET, { purpose: 'unsubscribe', subscriberId: 4242, generation: 0 }), 404],
    ['a generation not issued yet', (t) => signToken(TEST_SECRET, { purpose: 'unsubscribe', subscriberId: t.row().id, generation: 3 }), 404],
  ];

  it.each(cases)('%s: GET, POST and one-click answer a readable %i page and change nothing', async (_name, make, status) => {
    const t = await activeSubscriber();
    const token = encodeURIComponent(make(t));
    for (const init of [{ method: 'GET' }, { method: 'POST' }, oneClick]) {
      const res = await t.app.request(`/u/${token}`, init);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
    }
    expect(t.row().status).toBe('active');
  });
});

const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const WEEK = 7 * 24 * 3_600_000;

describe('the unsubscribe page: a reason, or a pause instead', () => {
  it('offers an optional reason from a short list, and a pause of 2 or 4 weeks to someone receiving the series', async () => {
    const t = await activeSubscriber();
    const body = await (await t.app.request(`/u/${t.token}`)).text();
    for (const reason of ['too-many', 'not-relevant', 'too-hard', 'not-signed-up', 'other']) expect(body).toMatch(new RegExp(`<input type="radio" name="reason"[^>]*value="${reason}"`));
    expect(body).not.toMatch(/name="reason"[^>]*checked/);
    expect(body).not.toContain('<textarea');
    expect(body).toMatch(/name="action" value="pause"[\s\S]*name="weeks" value="4"/);
    expect(body).toMatch(/name="weeks" value="2"/);
  });

  it('offers no pause to someone not yet confirmed: there is nothing to pause', async () => {
    const t = testApp();
    await postForm(t.app, '/subscribe', signupForm('p@example.org'));
    await t.drain();
    const body = await (await t.app.request(`/u/${linkToken(t.transport.sent[0]!, 'u')}`)).text();
    expect(body).toContain('name="reason"');
    expect(body).not.toContain('value="pause"');
  });

  it('counts the reason under the email they last had, and keeps it out of their record', async () => {
    const t = await activeSubscriber();
    await t.drain();
    t.clock.advance(3_600_000);
    const res = await t.app.request(`/u/${t.token}`, form({ action: 'unsubscribe', reason: 'too-many' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are unsubscribed');
    expect(t.row().status).toBe('unsubscribed');
    expect(await t.stores.subscribers.unsubscribeReasons('education')).toEqual([{ sequence: 'education', step: 1, reason: 'too-many', count: 1 }]);
    expect(t.unsubscribes().map((a) => JSON.parse(a.detail!))).toEqual([{ method: 'page', from: 'active' }]);
  });

  it('unsubscribes without a reason when none is picked; an unknown reason is refused with 422 and changes nothing', async () => {
    const t = await activeSubscriber();
    const bad = await t.app.request(`/u/${t.token}`, form({ action: 'unsubscribe', reason: 'because I said so' }));
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Unsubscribe');
    expect(t.row().status).toBe('active');
    expect((await t.app.request(`/u/${t.token}`, form({ action: 'unsubscribe', reason: '' }))).status).toBe(200);
    expect(t.row().status).toBe('unsubscribed');
    expect(await t.stores.subscribers.unsubscribeReasons('education')).toEqual([]);
  });

  it('pauses instead: nothing is unsubscribed, the emails stop until then', async () => {
    const t = await activeSubscriber();
    const res = await t.app.request(`/u/${t.token}`, form({ action: 'pause', weeks: '4' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Paused');
    expect(t.row()).toMatchObject({ status: 'active', pausedUntil: t.clock.now() + 4 * WEEK });
    expect(t.unsubscribes()).toEqual([]);
  });

  it('refuses a pause it cannot make: a bad length (422), someone not receiving the series (409), a link from before a re-subscribe (403)', async () => {
    const t = await activeSubscriber();
    expect((await t.app.request(`/u/${t.token}`, form({ action: 'pause', weeks: '52' }))).status).toBe(422);
    expect(t.row().pausedUntil).toBeNull();

    const p = testApp();
    await postForm(p.app, '/subscribe', signupForm('p@example.org'));
    await p.drain();
    expect((await p.app.request(`/u/${linkToken(p.transport.sent[0]!, 'u')}`, form({ action: 'pause', weeks: '2' }))).status).toBe(409);

    await t.app.request(`/u/${t.token}`, { method: 'POST' });
    t.clock.advance(11 * 60_000);
    await postForm(t.app, '/subscribe', signupForm('leaver@example.org'));
    await t.drain();
    await t.app.request(`/confirm/${linkToken(t.transport.sent[1]!, 'confirm')}`, { method: 'POST' });
    expect(t.row()).toMatchObject({ status: 'active', tokenGeneration: 1 });
    expect((await t.app.request(`/u/${t.token}`, form({ action: 'pause', weeks: '2' }))).status).toBe(403);
    expect(t.row().pausedUntil).toBeNull();
  });
});
