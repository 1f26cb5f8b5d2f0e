import { describe, expect, it } from 'vitest';
import { plannedSendTimes } from '../../src/nurture/schedule.js';
import { FIRST_VERSION } from '../../src/nurture/sequence.js';
import { scheduleOptions } from '../../src/nurture/schedule.js';
import { linkWithoutTokens } from '../../src/mail/links.js';
import { testApp, testConfig } from '../helpers/app.js';
import { addActivity, addDelivery, addEvent, addSubscriber, asStaff } from '../helpers/staff.js';

// Resend with its webhook: deliveries, opens and clicks are reported.
const tracked = (over: Parameters<typeof testConfig>[0] = {}) => testConfig({ resendApiKey: 're_test_key', resendWebhookSecret: 'whsec_dGVzdA==', ...over });

const SEQUENCE = FIRST_VERSION.steps;

describe('sequence at a glance', () => {
  it('counts per step: waiting (active only), sent, delivered, opened, clicked', async () => {
    const { app, db } = testApp({ config: tracked() });
    for (let i = 0; i < 3; i++) addSubscriber(db, { nextStep: 2, nextSendAt: 1 });
    addSubscriber(db, { status: 'unsubscribed', nextStep: 2, nextSendAt: null });
    const readers = [addSubscriber(db), addSubscriber(db), addSubscriber(db)];
    addDelivery(db, { subscriberId: readers[0]!.id, step: 1, deliveredAt: 1, openedAt: 2, clickedAt: 3 });
    addDelivery(db, { subscriberId: readers[1]!.id, step: 1, deliveredAt: 1, openedAt: 2 });
    addDelivery(db, { subscriberId: readers[2]!.id, step: 1, status: 'failed' });
    addDelivery(db, { subscriberId: null, kind: 'test', step: 0 });
    const body = await (await app.request('/api/sequence', asStaff())).json();
    expect(body.steps).toHaveLength(SEQUENCE.length);
    expect(body.steps[0]).toMatchObject({ step: 1, dayOffset: 0, subject: SEQUENCE[0]!.subject, waiting: 0, sent: 2, delivered: 2, opened: 2, clicked: 1 });
    expect(body.steps[1]).toMatchObject({ step: 2, dayOffset: SEQUENCE[1]!.dayOffset, waiting: 3, sent: 0 });
    const html = await (await app.request('/staff/sequence', asStaff())).text();
    expect(html).toContain('<h1>Education series at a glance</h1>');
    expect(html).toContain(`href="/staff/templates/${SEQUENCE[0]!.templateId}"`);
    expect(html).toMatch(/<td class="num">2 \(100% of sent\)<\/td><td class="num">2 \(100% of sent\)<\/td><td class="num">1 \(50% of sent\)<\/td>/);
  });
});

describe('consult clicks per step', () => {
  function seedClicks(db: ReturnType<typeof testApp>['db']) {
    let n = 0;
    const click = (deliveryId: number, link: string, type = 'email.clicked') =>
      addEvent(db, { id: `evt_${++n}`, type, deliveryId, detail: JSON.stringify({ link: linkWithoutTokens(link) }) });
    const [a, b] = [addSubscriber(db), addSubscriber(db)];
    const a5 = addDelivery(db, { subscriberId: a.id, step: 5 }).id;
    const b5 = addDelivery(db, { subscriberId: b.id, step: 5 }).id;
    const a8 = addDelivery(db, { subscriberId: a.id, step: 8 }).id;
    const test = addDelivery(db, { subscriberId: null, kind: 'test', step: 0 }).id;
    click(a5, 'https://clinic.example/book?utm_source=email');
    click(b5, 'https://clinic.example/book');
    click(a8, 'https://clinic.example/book/slot/tuesday');
    // Not the booking page: another page, a neighbour sharing its start, an open, a staff test.
    click(a5, 'https://doi.org/10.1038/s41591-021-01336-3');
    click(b5, 'https://clinic.example/bookshop');
    click(a8, 'https://clinic.example/book', 'email.opened');
    click(test, 'https://clinic.example/book');
  }

  it('counts clicks on BOOKING_URL (its origin and path) per step, on the page and in the API', async () => {
    const { app, db } = testApp({ config: tracked({ bookingUrl: 'https://clinic.example/book?from=series' }) });
    seedClicks(db);
    const { steps } = await (await app.request('/api/sequence', asStaff())).json();
    expect(steps.map((s: { step: number; consultClicks: number | null }) => [s.step, s.consultClicks])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 2],
      [6, 0],
      [7, 0],
      [8, 1],
    ]);
    const html = await (await app.request('/staff/sequence', asStaff())).text();
    expect(html).toContain('<th scope="col" class="num">Consult clicks</th>');
    expect(html).toMatch(/<td class="num">2<\/td><\/tr>/);
    expect(html).not.toContain('not tracked');
  });

  it('says "not tracked" when BOOKING_URL is unset', async () => {
    const { app, db } = testApp({ config: tracked() });
    seedClicks(db);
    const { steps } = await (await app.request('/api/sequence', asStaff())).json();
    expect(steps.every((s: { consultClicks: number | null }) => s.consultClicks === null)).toBe(true);
    const html = await (await app.request('/staff/sequence', asStaff())).text();
    expect(html.match(/<td class="num">not tracked<\/td>/g)).toHaveLength(SEQUENCE.length);
  });
});

describe('honest numbers', () => {
  const PROVIDER_FIGURES = ['delivered', 'opened', 'clicked', 'opensLeftOut', 'clicksLeftOut', 'consultClicks'] as const;

  function seedReaders(db: ReturnType<typeof testApp>['db']) {
    const people = [addSubscriber(db), addSubscriber(db), addSubscriber(db), addSubscriber(db)];
    const step1 = people.map((p, i) => addDelivery(db, { subscriberId: p.id, step: 1, sentAt: 1, deliveredAt: 2, openedAt: i < 2 ? 50_000 : null, clickedAt: i === 0 ? 60_000 : null }));
    let n = 0;
    const flagged = (deliveryId: number, type: string, flag: 'link_scanner' | 'privacy_proxy', flagReason: 'scanner_user_agent' | 'soon_after_delivery' | 'all_links_at_once') =>
      addEvent(db, { id: `evt_${++n}`, type, deliveryId, flag, flagReason, detail: JSON.stringify(type === 'email.clicked' ? { link: 'https://clinic.example/book' } : {}) });
    // Apple's proxy fetched three of the four at once; a scanner clicked two of them, and all the links of one.
    for (const d of step1.slice(1)) flagged(d.id, 'email.opened', 'privacy_proxy', 'soon_after_delivery');
    flagged(step1[1]!.id, 'email.clicked', 'link_scanner', 'scanner_user_agent');
    flagged(step1[2]!.id, 'email.clicked', 'link_scanner', 'scanner_user_agent');
    flagged(step1[3]!.id, 'email.clicked', 'link_scanner', 'all_links_at_once');
    return people;
  }

  it('in outbox mode, delivered, opened, clicked and what was left out are "not tracked" (null in the JSON, with why)', async () => {
    const { app, db } = testApp({ config: testConfig({ bookingUrl: 'https://clinic.example/book' }) });
    seedReaders(db);
    const body = await (await app.request('/api/sequence', asStaff())).json();
    expect(body.tracking).toEqual({ tracked: false, transport: 'outbox', note: expect.stringContaining('RESEND_API_KEY') });
    expect(body.leftOut).toBeNull();
    expect(body.totals).toEqual({ sent: 4, delivered: null, opened: null, clicked: null, unsubscribed: 0 });
    for (const step of body.steps) for (const k of PROVIDER_FIGURES) expect(step[k], `${k} of step ${step.step}`).toBeNull();
    expect(body.steps[0]).toMatchObject({ sent: 4, unsubscribed: 0 });
    const html = await (await app.request('/staff/sequence', asStaff())).text();
    expect(html).toContain('Delivered, opened and clicked are not tracked: without RESEND_API_KEY');
    // Delivered, opened, clicked and consult clicks in each of the eight rows.
    expect(html.match(/<td class="num">not tracked<\/td>/g)).toHaveLength(4 * SEQUENCE.length);
    expect(html).not.toContain('left out</span>');
  });

  it('with Resend but no webhook secret, nothing is reported either', async () => {
    const { app } = testApp({ config: testConfig({ resendApiKey: 're_test_key' }) });
    const body = await (await app.request('/api/sequence', asStaff())).json();
    expect(body.tracking).toEqual({ tracked: false, transport: 'resend', note: expect.stringContaining('RESEND_WEBHOOK_SECRET') });
    expect(body.steps[0].opened).toBeNull();
  });

  it('opens and clicks by machines are left out of the rates, and the page says how many and why', async () => {
    const { app, db } = testApp({ config: tracked({ bookingUrl: 'https://clinic.example/book' }) });
    seedReaders(db);
    const body = await (await app.request('/api/sequence', asStaff())).json();
    expect(body.tracking).toMatchObject({ tracked: true, transport: 'resend' });
    expect(body.steps[0]).toMatchObject({ sent: 4, delivered: 4, opened: 2, clicked: 1, opensLeftOut: 3, clicksLeftOut: 3, consultClicks: 0 });
    expect(body.steps[1]).toMatchObject({ sent: 0, opened: 0, opensLeftOut: 0, clicksLeftOut: 0 });
    expect(body.totals).toEqual({ sent: 4, delivered: 4, opened: 2, clicked: 1, unsubscribed: 0 });
    expect(body.leftOut).toEqual({
      opens: { total: 3, byReason: { scanner_user_agent: 0, proxy_user_agent: 0, soon_after_delivery: 3, all_links_at_once: 0 } },
      clicks: { total: 3, byReason: { scanner_user_agent: 2, proxy_user_agent: 0, soon_after_delivery: 0, all_links_at_once: 1 } },
    });
    const html = await (await app.request('/staff/sequence', asStaff())).text();
    expect(html).toContain(
      "Left out of the open and click rates: 3 opens by mail-privacy proxies left out (3 less than 10 s after delivery); 3 clicks by link scanners left out (2 by a scanner&#39;s user agent, 1 among several links clicked within 5 s).",
    );
    expect(html).toContain('<td class="num">2 (50% of sent)<br/><span class="muted">3 by proxies left out</span></td>');
    expect(html).toContain('<td class="num">1 (25% of sent)<br/><span class="muted">3 by scanners left out</span></td>');
    expect(html).not.toContain('not tracked');
  });

  it("the subscriber's page marks each flagged event and why it is left out", async () => {
    const { app, db } = testApp({ config: tracked() });
    const [person] = seedReaders(db).slice(1);
    const html = await (await app.request(`/staff/subscribers/${person!.id}`, asStaff())).text();
    expect(html).toMatch(/email\.opened · [^<]+ · left out of the rates: mail-privacy proxy, less than 10 s after delivery/);
    expect(html).toMatch(/email\.clicked · [^<]+ · left out of the rates: link scanner, by a scanner&#39;s user agent/);
  });

  it('with nothing left out, the page says so', async () => {
    const { app } = testApp({ config: tracked() });
    const html = await (await app.request('/staff/sequence', asStaff())).text();
    expect(html).toContain('No opens by mail-privacy proxies or clicks by link scanners so far.');
  });

  it('unsubscribes per step: each under the last sequence email before it', async () => {
    const { app, db } = testApp();
    const at = (iso: string) => Date.parse(iso);
    const [a, b, c, d] = [addSubscriber(db, { status: 'unsubscribed' }), addSubscriber(db, { status: 'unsubscribed' }), addSubscriber(db, { status: 'unsubscribed' }), addSubscriber(db)];
    for (const [who, steps] of [[a, [1, 2, 3]], [b, [1]], [c, [1, 2, 3]], [d, [1, 2, 3]]] as const) {
      for (const step of steps) addDelivery(db, { subscriberId: who.id, step, sentAt: at(`2026-02-0${step}T14:00:00Z`) });
    }
    addActivity(db, a.id, 'unsubscribed', '2026-02-03T15:00:00Z');
    addActivity(db, b.id, 'unsubscribed', '2026-02-01T14:30:00Z');
    addActivity(db, c.id, 'unsubscribed', '2026-02-02T20:00:00Z'); // before step 3 went
    const { steps } = await (await app.request('/api/sequence', asStaff())).json();
    expect(steps.map((s: { unsubscribed: number }) => s.unsubscribed)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
    const html = await (await app.request('/staff/sequence', asStaff())).text();
    expect(html).toContain('<th scope="col" class="num">Unsubscribed</th>');
    expect(html).toMatch(/<th scope="row">2<\/th>.*?<td class="num">1 \(33% of sent\)<\/td><td class="num">not tracked<\/td><\/tr>/);
  });
});

describe('subscriber timeline and time travel', () => {
  function active(db: ReturnType<typeof testApp>['db']) {
    const confirmedAt = Date.parse('2026-03-01T15:00:00Z');
    const s = addSubscriber(db, { email: 'tt@example.org', firstName: 'Tova', timezone: 'Europe/Berlin', confirmedAt, nextStep: 2, nextSendAt: Date.parse('2026-03-03T08:00:00Z'), lastSequenceSentAt: confirmedAt });
    addDelivery(db, { subscriberId: s.id, step: 1, sentAt: confirmedAt });
    return s;
  }

  it("plans the remaining steps in the subscriber's zone with the worker's schedule", async () => {
    const { app, db, clock, config } = testApp();
    const s = active(db);
    const body = await (await app.request(`/api/subscribers/${s.id}`, asStaff())).json();
    expect(body.planned.map((p: { step: number }) => p.step)).toEqual(SEQUENCE.slice(1).map((x) => x.step));
    expect(body.planned[0].at).toBe('2026-03-03T08:00:00.000Z');
    const expected = plannedSendTimes(
      { confirmedAt: s.confirmedAt!, timezone: 'Europe/Berlin', last: { step: 2, sentAt: Date.parse('2026-03-03T08:00:00Z') } },
      SEQUENCE,
      Date.parse('2026-03-03T08:00:00Z'),
      scheduleOptions(config),
    );
    expect(body.planned.slice(1)).toEqual(expected.map((p) => ({ step: p.step, at: new Date(p.at).toISOString() })));
    expect(clock.now()).toBeLessThan(Date.parse('2026-03-03T08:00:00Z'));
    const html = await (await app.request(`/staff/subscribers/${s.id}`, asStaff())).text();
    expect(html).toContain(`Email 2 of 8, “${SEQUENCE[1]!.subject.replace(/'/g, '&#39;')}”: 2026-03-03 03:00 (America/New_York); 2026-03-03 09:00 their time (Europe/Berlin)`);
    expect(html).not.toContain('(step 2)');
    expect(html).toContain(`href="/staff/subscribers/${s.id}/next"`);
  });

  it("time travel renders the next email with their name and the placeholder links, at its planned time", async () => {
    const { app, db } = testApp();
    const s = active(db);
    const res = await app.request(`/staff/subscribers/${s.id}/next`, asStaff());
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`Next email: Education series, email 2 of 8, “${SEQUENCE[1]!.subject.replace(/'/g, '&#39;')}”`);
    expect(html).toContain('Goes 2026-03-03 03:00 (America/New_York), 2026-03-03 09:00 their time (Europe/Berlin)');
    expect(html).toContain('tt@example.org');
    expect(html).toContain('List-Unsubscribe</dt><dd>&lt;http://nurture.test/u/test-email&gt;</dd>');
    const frame = await app.request(`/staff/subscribers/${s.id}/next/html`, asStaff());
    expect(frame.headers.get('content-security-policy')).toMatch(/sandbox$/);
    const email = await frame.text();
    expect(email).toContain('Tova');
    expect(email).toContain('http://nurture.test/u/test-email');
  });

  it('nothing planned for a subscriber who is not active', async () => {
    const { app, db } = testApp();
    const s = addSubscriber(db, { status: 'unsubscribed' });
    expect((await app.request(`/staff/subscribers/${s.id}/next`, asStaff())).status).toBe(404);
    expect(await (await app.request(`/staff/subscribers/${s.id}`, asStaff())).text()).toContain('Nothing planned: the subscriber is unsubscribed.');
    expect((await app.request('/staff/subscribers/abc/next', asStaff())).status).toBe(404);
  });
});

describe('GET /staff/sequences', () => {
  it('lists both sequences with their running version and people in them; each has its own page with its own steps', async () => {
    const t = testApp();
    addSubscriber(t.db, { confirmedAt: t.clock.now(), nextStep: 2, nextSendAt: t.clock.now() + 86_400_000, sequenceVersion: 1 });
    const index = await (await t.app.request('/staff/sequences', asStaff({}, 'viewer'))).text();
    expect(index).toContain('<a href="/staff/sequences/education">Education series</a>');
    expect(index).toContain('<a href="/staff/sequences/consult-follow-up">Consult follow-up</a>');
    expect(index).toMatch(/Education series<\/a><\/th><td class="num">1<\/td><td class="num">8<\/td><td class="num">1<\/td>/);
    expect(index).toMatch(/Consult follow-up<\/a><\/th><td class="num">1<\/td><td class="num">3<\/td><td class="num">0<\/td>/);
    const consult = await t.app.request('/staff/sequences/consult-follow-up', asStaff({}, 'viewer'));
    expect(consult.status).toBe(200);
    const html = await consult.text();
    expect(html).toContain('<h1>Consult follow-up at a glance</h1>');
    expect((html.match(/<th scope="row">\d+<\/th>/g) ?? []).length).toBe(3);
    expect((await t.app.request('/staff/sequences/nope', asStaff({}, 'viewer'))).status).toBe(404);
  });
});

describe('why people unsubscribed', () => {
  it('counts the reasons given on the unsubscribe page per step of each sequence, with none of it tied to a person', async () => {
    const { app, db, stores } = testApp();
    const day = Date.parse('2026-03-02T00:00:00Z');
    const readers = [addSubscriber(db), addSubscriber(db), addSubscriber(db)];
    for (const r of readers) addDelivery(db, { subscriberId: r.id, step: 1, sentAt: 1 });
    await stores.subscribers.unsubscribe(readers[0]!.id, 10, {}, { reason: 'too-many', day });
    await stores.subscribers.unsubscribe(readers[1]!.id, 10, {}, { reason: 'too-many', day });
    await stores.subscribers.unsubscribe(readers[2]!.id, 10, {}, { reason: 'too-hard', day });
    await stores.subscribers.unsubscribe(addSubscriber(db, { status: 'pending' }).id, 10, {}, { reason: 'not-signed-up', day });

    for (const path of ['/staff/sequence', '/staff/sequences/education']) {
      const html = await (await app.request(path, asStaff({}, 'viewer'))).text();
      expect(html).toContain('Why people unsubscribed');
      expect(html).toContain('The emails come too often');
      expect(html).toMatch(/<th scope="row">Before email 1<\/th><td class="num">0<\/td><td class="num">0<\/td><td class="num">0<\/td><td class="num">1<\/td><td class="num">0<\/td><td class="num">1<\/td>/);
      expect(html).toContain(`<th scope="row">1: ${SEQUENCE[0]!.subject.replaceAll("'", '&#39;')}</th><td class="num">2</td><td class="num">0</td><td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">3</td>`);
    }
    const consult = await (await app.request('/staff/sequences/consult-follow-up', asStaff({}, 'viewer'))).text();
    expect(consult).toContain('No reasons given yet.');

    const none = { 'too-many': 0, 'not-relevant': 0, 'too-hard': 0, 'not-signed-up': 0, other: 0 };
    for (const path of ['/api/sequence', '/api/sequences/education']) {
      const body = await (await app.request(path, asStaff({}, 'viewer'))).json();
      expect(body.unsubscribeReasons).toEqual([
        { step: 0, byReason: { ...none, 'not-signed-up': 1 }, total: 1 },
        { step: 1, byReason: { ...none, 'too-many': 2, 'too-hard': 1 }, total: 3 },
      ]);
    }
    expect((await (await app.request('/api/sequences/consult-follow-up', asStaff({}, 'viewer'))).json()).unsubscribeReasons).toEqual([]);
  });
});
