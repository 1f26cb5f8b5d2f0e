import { describe, expect, it } from 'vitest';
import { plannedSendTimes } from '../../src/nurture/schedule.js';
import { FIRST_VERSION } from '../../src/nurture/sequence.js';
import { scheduleOptions } from '../../src/nurture/schedule.js';
import { linkWithoutTokens } from '../../src/subscribers/provider-events.js';
import { testApp, testConfig } from '../helpers/app.js';
import { addDelivery, addEvent, addSubscriber, asStaff } from '../helpers/staff.js';

const SEQUENCE = FIRST_VERSION.steps;

describe('sequence at a glance', () => {
  it('counts per step: waiting (active only), sent, delivered, opened, clicked', async () => {
    const { app, db } = testApp();
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
    expect(html).toContain('<h1>The sequence at a glance</h1>');
    expect(html).toContain(`href="/staff/templates/${SEQUENCE[0]!.templateId}"`);
    expect(html).toMatch(/<td class="num">2 \(100%\)<\/td><td class="num">2 \(100%\)<\/td><td class="num">1 \(50%\)<\/td>/);
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
    const { app, db } = testApp({ config: testConfig({ bookingUrl: 'https://clinic.example/book?from=series' }) });
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
    const { app, db } = testApp();
    seedClicks(db);
    const { steps } = await (await app.request('/api/sequence', asStaff())).json();
    expect(steps.every((s: { consultClicks: number | null }) => s.consultClicks === null)).toBe(true);
    const html = await (await app.request('/staff/sequence', asStaff())).text();
    expect(html.match(/<td class="num">not tracked<\/td>/g)).toHaveLength(SEQUENCE.length);
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
    expect(html).toContain('Email 2 (step 2): 2026-03-03 09:00 (Europe/Berlin)');
    expect(html).toContain(`href="/staff/subscribers/${s.id}/next"`);
  });

  it('time travel renders the next email with their name and unsubscribe link, at its planned time', async () => {
    const { app, db } = testApp();
    const s = active(db);
    const res = await app.request(`/staff/subscribers/${s.id}/next`, asStaff());
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Next email: step 2');
    expect(html).toContain('Goes 2026-03-03 09:00 (Europe/Berlin), 2026-03-03 08:00 UTC');
    expect(html).toContain('tt@example.org');
    expect(html).toMatch(/List-Unsubscribe<\/dt><dd>&lt;http:\/\/nurture\.test\/u\/[^&]+&gt;<\/dd>/);
    const frame = await app.request(`/staff/subscribers/${s.id}/next/html`, asStaff());
    expect(frame.headers.get('content-security-policy')).toMatch(/sandbox$/);
    const email = await frame.text();
    expect(email).toContain('Tova');
    expect(email).toContain('http://nurture.test/u/');
  });

  it('nothing planned for a subscriber who is not active', async () => {
    const { app, db } = testApp();
    const s = addSubscriber(db, { status: 'unsubscribed' });
    expect((await app.request(`/staff/subscribers/${s.id}/next`, asStaff())).status).toBe(404);
    expect(await (await app.request(`/staff/subscribers/${s.id}`, asStaff())).text()).toContain('Nothing planned: the subscriber is unsubscribed.');
    expect((await app.request('/staff/subscribers/abc/next', asStaff())).status).toBe(404);
  });
});
