import { describe, expect, it } from 'vitest';
import { funnelByDay, lastLocalDays, startOfLocalDay } from '../../src/subscribers/funnel.js';
import { testApp, testConfig } from '../helpers/app.js';
import { addActivity, addDelivery, addEvent, addSubscriber, asStaff } from '../helpers/staff.js';

// The test clock is 2026-03-02T14:00:00Z, 09:00 in New York (the default zone).
function seed(db: ReturnType<typeof testApp>['db']) {
  const s = addSubscriber(db);
  addActivity(db, addSubscriber(db).id, 'signup', '2026-03-02T13:00:00Z'); // 08:00 NY, today
  addActivity(db, s.id, 'signup', '2026-03-02T04:59:00Z'); // 23:59 NY, yesterday (03-01)
  addActivity(db, addSubscriber(db).id, 'signup', '2026-03-02T05:00:00Z'); // 00:00 NY, today
  addActivity(db, s.id, 'confirmed', '2026-03-01T18:00:00Z');
  addActivity(db, s.id, 'converted', '2026-02-01T05:00:00Z'); // first day of the window (00:00 NY)
  addActivity(db, s.id, 'complained', '2026-01-31T12:00:00Z'); // before the window
  addActivity(db, addSubscriber(db).id, 'signup', '2026-03-02T15:00:00Z'); // after now but still today
  addActivity(db, s.id, 'confirmation_sent', '2026-03-02T13:00:00Z'); // not a funnel stage
}

describe('funnel', () => {
  it('counts activity per local day for the last 30 days, with window and all-time totals', async () => {
    const { db, stores, clock, config } = testApp();
    seed(db);
    const f = await funnelByDay(stores, { now: clock.now(), timeZone: config.defaultTimezone });
    expect(f.days).toHaveLength(30);
    expect(f.days[0]!.date).toBe('2026-02-01');
    expect(f.days[29]!.date).toBe('2026-03-02');
    expect(f.days[29]!.counts.signup).toBe(3);
    expect(f.days[28]!.counts).toMatchObject({ signup: 1, confirmed: 1 });
    expect(f.days[0]!.counts.converted).toBe(1);
    expect(f.totals).toEqual({ signup: 4, confirmed: 1, completed: 0, unsubscribed: 0, bounced: 0, complained: 0, converted: 1 });
    expect(f.allTime.complained).toBe(1);
  });

  it('finds local midnights across DST changes', () => {
    expect(new Date(startOfLocalDay('2026-03-08', 'America/New_York')).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(new Date(startOfLocalDay('2026-03-09', 'America/New_York')).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(new Date(startOfLocalDay('2026-10-25', 'Europe/Berlin')).toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(new Date(startOfLocalDay('2026-03-02', 'Asia/Kolkata')).toISOString()).toBe('2026-03-01T18:30:00.000Z');
    const { days, end } = lastLocalDays(Date.parse('2026-03-10T12:00:00Z'), 'America/New_York', 3);
    expect(days.map((d) => d.date)).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    expect(days[1]!.start - days[0]!.start).toBe(23 * 3600_000);
    expect(new Date(end).toISOString()).toBe('2026-03-11T04:00:00.000Z');
  });

  it('shows the funnel as accessible SVG charts, totals and a table', async () => {
    const { app, db } = testApp();
    seed(db);
    const res = await app.request('/staff', asStaff());
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Dashboard</h1>');
    expect(html.match(/<svg /g)).toHaveLength(7);
    expect(html).toContain('<title id="chart-signup-title">Signups per day</title>');
    expect(html).toContain('4 in total from 2026-02-01 to 2026-03-02; the busiest day was 2026-03-02 with 3.');
    expect(html).toContain('No complained from 2026-02-01 to 2026-03-02.');
    expect(html).toMatch(/aria-labelledby="chart-signup-title chart-signup-desc"/);
    expect(html).toMatch(/<th scope="row">2026-03-02<\/th><td class="num">3<\/td><td class="num">0<\/td>/);
    expect(html).toMatch(/<th scope="row">2026-03-01<\/th><td class="num">1<\/td><td class="num">1<\/td>/);
    expect(html).toContain('Completed the sequence');
    expect(html).toContain('1 by email: 25% of those asked to confirm'); // 1 confirmed of 4 form signups
    expect(html).toContain('100% of confirmed'); // 1 converted of 1 confirmed
  });

  it('GET /api/funnel answers the same numbers as JSON', async () => {
    const { app, db } = testApp();
    seed(db);
    const res = await app.request('/api/funnel', asStaff());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.json();
    expect(body.timeZone).toBe('America/New_York');
    expect(body.days).toHaveLength(30);
    expect(body.days[29]).toEqual({ date: '2026-03-02', signup: 3, confirmed: 0, completed: 0, unsubscribed: 0, bounced: 0, complained: 0, converted: 0 });
    expect(body.totals.signup).toBe(4);
    expect(body.stages.map((s: { type: string }) => s.type)).toEqual(['signup', 'confirmed', 'completed', 'unsubscribed', 'bounced', 'complained', 'converted']);
  });
});

describe('sequence emails on the dashboard', () => {
  function seedSent(db: ReturnType<typeof testApp>['db']) {
    const [a, b] = [addSubscriber(db), addSubscriber(db, { status: 'unsubscribed' })];
    const da = addDelivery(db, { subscriberId: a.id, step: 1, sentAt: 1, deliveredAt: 2, openedAt: 60_000, clickedAt: 70_000 });
    const db1 = addDelivery(db, { subscriberId: b.id, step: 1, sentAt: 1, deliveredAt: 2 });
    addDelivery(db, { subscriberId: a.id, step: 2, sentAt: 100, deliveredAt: 200 });
    addActivity(db, b.id, 'unsubscribed', 5_000);
    addEvent(db, { id: 'evt_proxy', type: 'email.opened', deliveryId: db1.id, flag: 'privacy_proxy', flagReason: 'soon_after_delivery' });
    addEvent(db, { id: 'evt_scan', type: 'email.clicked', deliveryId: da.id, flag: 'link_scanner', flagReason: 'scanner_user_agent' });
  }

  it('in outbox mode: sent and unsubscribes, delivered, opened and clicked "not tracked" with why; the same in /api/funnel', async () => {
    const { app, db } = testApp();
    seedSent(db);
    const html = await (await app.request('/staff', asStaff())).text();
    expect(html).toContain('<h2 id="engagement">Sequence emails, all time</h2>');
    expect(html).toContain('<span class="n">3</span><span class="l">Sequence emails sent</span>');
    expect(html.match(/<span class="n">—<\/span><span class="l">(Delivered|Opened|Clicked)<\/span><span class="l">not tracked<\/span>/g)).toHaveLength(3);
    // One definition of unsubscribed on the page: people who left, of confirmed (in the funnel), never a share of emails sent.
    expect(html).not.toContain('Unsubscribed after one');
    expect(html).toContain('<span class="n">0</span><span class="l">Unsubscribed</span><span class="l">— of confirmed</span><span class="l">1 all time</span>');
    expect(html).toContain('Delivered, opened and clicked are not tracked: without RESEND_API_KEY');
    const body = await (await app.request('/api/funnel', asStaff())).json();
    expect(body.engagement).toMatchObject({ tracking: { tracked: false, transport: 'outbox' }, sent: 3, delivered: null, opened: null, clicked: null, leftOut: null, unsubscribed: 1 });
  });

  it('with Resend and its webhook: rates of people only, and how many opens and clicks by machines were left out', async () => {
    const { app, db } = testApp({ config: testConfig({ resendApiKey: 're_test_key', resendWebhookSecret: 'whsec_dGVzdA==' }) });
    seedSent(db);
    const html = await (await app.request('/staff', asStaff())).text();
    expect(html).toContain('<span class="n">1</span><span class="l">Opened</span><span class="l">33% of sent</span>');
    expect(html).toContain('<span class="n">1</span><span class="l">Clicked</span><span class="l">33% of sent</span>');
    expect(html).toContain('1 open by a mail-privacy proxy left out (1 less than 10 s after delivery); 1 click by a link scanner left out (1 by a scanner&#39;s user agent).');
    expect(html).not.toContain('not tracked');
    const body = await (await app.request('/api/funnel', asStaff())).json();
    expect(body.engagement).toMatchObject({ tracking: { tracked: true }, sent: 3, delivered: 3, opened: 1, clicked: 1, unsubscribed: 1, leftOut: { opens: { total: 1 }, clicks: { total: 1 } } });
  });
});

describe('signups by source, through the real paths', () => {
  it('the form, an import with consent, an import invited; a re-signup is not a second signup; every rate names its base', async () => {
    const t = testApp();
    const { postForm, signupForm, linkToken } = await import('../helpers/public.js');
    expect((await postForm(t.app, '/subscribe', signupForm('form.person@example.org'), { ip: '198.51.100.20' })).status).toBe(303);
    await t.drain();
    const confirmation = t.transport.sent.at(-1)!;
    expect((await t.app.request(`/confirm/${linkToken(confirmation, 'confirm')}`, { method: 'POST' })).status).toBe(200);
    await t.drain();
    const welcome = t.transport.sent.at(-1)!;
    const csv = 'email,first_name,timezone,reader,consent_source,consent_date,consent_text\nann@example.org,Ann,,,Clinic form,2025-11-20,I agree\nbob@example.org,Bob,,,,,\n';
    expect((await t.app.request('/api/imports', asStaff({ method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv }))).status).toBe(200);
    // The form person leaves and signs up again: the same person, not a new signup.
    expect((await t.app.request(`/u/${linkToken(welcome, 'u')}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })).status).toBe(200);
    t.clock.advance(11 * 60_000);
    expect((await postForm(t.app, '/subscribe', signupForm('form.person@example.org'), { ip: '198.51.100.20' })).status).toBe(303);

    const body = await (await t.app.request('/api/funnel', asStaff())).json();
    expect(body.sources.totals).toEqual({ form: 1, importConsent: 1, importInvited: 1, again: 1, confirmedAgain: 0 });
    expect(body.totals).toMatchObject({ signup: 3, confirmed: 2, unsubscribed: 1 });
    const html = await (await t.app.request('/staff', asStaff())).text();
    const tiles = html.slice(html.indexOf('<h2 id="totals"'), html.indexOf('</ul>', html.indexOf('<h2 id="totals"')));
    expect(tiles).toContain(
      '<span class="n">3</span><span class="l">Signups</span><span class="l">1 on the form</span><span class="l">1 imported with a recorded consent</span><span class="l">1 imported, invited to opt in</span><span class="l">1 signed up again (not counted twice)</span>',
    );
    expect(tiles).toContain('<span class="n">2</span><span class="l">Confirmed</span><span class="l">1 by email: 50% of those asked to confirm</span><span class="l">1 by an import&#39;s recorded consent</span>');
    expect(tiles).toContain('<span class="n">1</span><span class="l">Unsubscribed</span><span class="l">50% of confirmed</span>');
    // Every percentage on the page says what it is a share of.
    const main = html.slice(html.indexOf('<main>'));
    const shares = [...main.matchAll(/\d+%/g)];
    expect(shares.length).toBeGreaterThan(2);
    for (const m of shares) expect(main.slice(m.index!, m.index! + 40), main.slice(m.index! - 40, m.index! + 40)).toMatch(/^\d+% of \w/);
  });
});
