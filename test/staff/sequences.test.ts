// More than one sequence, through the API: staff start the consult follow-up
// for a person or end one of their sequences; a person's click of the booking
// link starts it; one email a day across both, in their window.
import { describe, expect, it } from 'vitest';
import { CONSULT_PLANS } from '../../src/nurture/sequence.js';
import { MIN_GAP_MS } from '../../src/nurture/schedule.js';
import { BOOKING_CLICKS_KEY, CLICK_SETTLE_MS, startFromBookingClicks } from '../../src/subscribers/sequences.js';
import { testApp, testConfig } from '../helpers/app.js';
import { addSubscriber, asStaff } from '../helpers/staff.js';

const NOW = '2026-03-02T14:00:00Z';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BOOKING = 'https://clinic.example/book';

function setup() {
  const t = testApp({ now: NOW, config: testConfig({ bookingUrl: `${BOOKING}?from=email` }) });
  // Confirmed yesterday: email 1 went then, email 2 is due tomorrow.
  const s = addSubscriber(t.db, { email: 'reader@example.org', timezone: 'UTC', confirmedAt: Date.parse(NOW) - DAY, nextStep: 2, nextSendAt: Date.parse(NOW) + DAY, lastSequenceSentAt: Date.parse(NOW) - DAY, sequenceVersion: 1 });
  t.db.$client.prepare("INSERT INTO deliveries (subscriber_id, kind, sequence, step, template_id, subject, status, sent_at, created_at) VALUES (?, 'sequence', 'education', 1, '01-welcome', 'x', 'sent', ?, ?)").run(s.id, Date.parse(NOW) - DAY, Date.parse(NOW) - DAY);
  const call = (method: string, path: string, body?: unknown, role: 'admin' | 'editor' | 'viewer' = 'editor') =>
    t.app.request(`/api/subscribers/${path}`, asStaff({ method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, role));
  const audit = () => t.db.$client.prepare('SELECT actor, action, subscriber_id AS s, detail FROM audit_log ORDER BY id').all() as { actor: string; action: string; s: number; detail: string }[];
  /** Runs a tick every hour for `days`; each email sent: (sequence tag or template, time). */
  async function run(days: number) {
    for (let h = 0; h < days * 24; h++) {
      t.clock.advance(HOUR);
      await t.drain();
    }
    return t.transport.sent.map((m) => ({ subject: m.subject, at: m.at }));
  }
  return { t, s, call, audit, run };
}

describe('POST /api/subscribers/:id/sequences', () => {
  it('starts the consult follow-up: its three emails on days 2, 7 and 14, beside the education series, never two within 20 hours', async () => {
    const { t, s, call, audit, run } = setup();
    const res = await call('POST', `${s.id}/sequences`, { sequence: 'consult-follow-up' });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ id: s.id, sequence: 'consult-follow-up', version: 1, startedAt: new Date(NOW).toISOString(), nextStep: 1, endedAt: null, endedReason: null });
    // Day 2 after entering, in the window (09:00-11:00 UTC by default in tests): Wednesday.
    expect(body.nextSendAt).toBe('2026-03-04T09:00:00.000Z');
    expect(audit().at(-1)).toMatchObject({ actor: 'eddie', action: 'subscriber.enrolled', s: s.id });
    expect(JSON.parse(audit().at(-1)!.detail)).toEqual({ sequence: 'consult-follow-up' });

    const sent = await run(22);
    const deliveries = t.db.$client.prepare("SELECT sequence, step, sent_at AS at FROM deliveries WHERE subscriber_id = ? AND kind = 'sequence' AND status = 'sent' ORDER BY sent_at").all(s.id) as { sequence: string; step: number; at: number }[];
    expect(deliveries.filter((d) => d.sequence === 'consult-follow-up').map((d) => d.step)).toEqual([1, 2, 3]);
    expect(deliveries.filter((d) => d.sequence === 'education').map((d) => d.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 1; i < deliveries.length; i++) expect(deliveries[i]!.at - deliveries[i - 1]!.at, JSON.stringify(deliveries.slice(i - 1, i + 1))).toBeGreaterThanOrEqual(MIN_GAP_MS);
    // Each consult email on or after its day since entering.
    const entered = Date.parse(NOW);
    const consult = deliveries.filter((d) => d.sequence === 'consult-follow-up');
    CONSULT_PLANS[0]!.steps.forEach((p, i) => expect(consult[i]!.at).toBeGreaterThanOrEqual(entered + (p.dayOffset - 1) * DAY));
    expect(sent).toHaveLength(10);
    // "Email N of 3" from the consult series' own catalog.
    expect(t.transport.sent.filter((m) => m.html.includes('of 3'))).toHaveLength(3);
    expect((await t.stores.subscribers.byId(s.id))!.status).toBe('completed');
  });

  it('once per person; the education series is entered by confirming; editors only; a clear 4xx for bad input', async () => {
    const { t, s, call } = setup();
    expect((await call('POST', `${s.id}/sequences`, { sequence: 'consult-follow-up' })).status).toBe(201);
    const again = await call('POST', `${s.id}/sequences`, { sequence: 'consult-follow-up' });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: { code: 'already_enrolled', message: expect.stringContaining('once') } });
    const education = await call('POST', `${s.id}/sequences`, { sequence: 'education' });
    expect(education.status).toBe(422);
    expect((await education.json()).error.code).toBe('not_enrollable');
    for (const bad of [{}, { sequence: 'nope' }, { sequence: 'consult-follow-up', extra: 1 }, [], 'x']) {
      const res = await call('POST', `${s.id}/sequences`, bad);
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect((await res.json()).error.code).toBe('invalid_input');
    }
    expect((await call('POST', `${s.id}/sequences`, { sequence: 'consult-follow-up' }, 'viewer')).status).toBe(403);
    expect((await call('POST', '999/sequences', { sequence: 'consult-follow-up' })).status).toBe(404);
    const pending = addSubscriber(t.db, { status: 'pending' });
    const refused = await call('POST', `${pending.id}/sequences`, { sequence: 'consult-follow-up' });
    expect(refused.status).toBe(409);
    expect((await refused.json()).error.code).toBe('not_mailable');
  });
});

describe('DELETE /api/subscribers/:id/sequences/:sequence', () => {
  it('ends one sequence and keeps the other; their last one is refused; audited', async () => {
    const { t, s, call, audit, run } = setup();
    await call('POST', `${s.id}/sequences`, { sequence: 'consult-follow-up' });
    const left = await call('DELETE', `${s.id}/sequences/consult-follow-up`);
    expect(left.status).toBe(200);
    expect(await left.json()).toMatchObject({ sequence: 'consult-follow-up', endedReason: 'staff', nextStep: null, nextSendAt: null });
    expect(audit().at(-1)).toMatchObject({ action: 'subscriber.left_sequence', s: s.id });
    expect((await call('DELETE', `${s.id}/sequences/consult-follow-up`)).status).toBe(409);
    const last = await call('DELETE', `${s.id}/sequences/education`);
    expect(last.status).toBe(409);
    expect((await last.json()).error.code).toBe('last_sequence');
    expect((await call('DELETE', `${s.id}/sequences/nope`)).status).toBe(400);
    expect((await call('DELETE', `${s.id}/sequences/education`, undefined, 'viewer')).status).toBe(403);
    await run(8);
    const sequences = t.db.$client.prepare("SELECT DISTINCT sequence FROM deliveries WHERE subscriber_id = ? AND kind = 'sequence'").all(s.id) as { sequence: string }[];
    expect(sequences.map((r) => r.sequence)).toEqual(['education']);
  });
});

describe('a click of the booking link starts the consult follow-up', () => {
  it('a person’s settled click starts it once; a scanner’s click, another page or a click too new to judge does not', async () => {
    const { t, s } = setup();
    const other = addSubscriber(t.db, { email: 'other@example.org', timezone: 'UTC', confirmedAt: Date.parse(NOW) - DAY, nextStep: 2, nextSendAt: Date.parse(NOW) + DAY });
    t.db.$client.prepare("UPDATE deliveries SET provider_id = 'prov-reader' WHERE subscriber_id = ?").run(s.id);
    t.db.$client
      .prepare("INSERT INTO deliveries (subscriber_id, kind, sequence, step, template_id, subject, status, provider_id, sent_at, created_at) VALUES (?, 'sequence', 'education', 1, '01-welcome', 'x', 'sent', 'prov-other', ?, ?)")
      .run(other.id, Date.parse(NOW) - DAY, Date.parse(NOW) - DAY);
    let n = 0;
    const click = (providerId: string, link: string, flag: 'link_scanner' | null = null) =>
      t.stores.events.record({
        eventId: `evt-${++n}`,
        type: 'email.clicked',
        providerId,
        occurredAt: t.clock.now(),
        receivedAt: t.clock.now(),
        detail: { link },
        column: 'clickedAt',
        suppress: null,
        recipientHashes: [],
        classify: () => ({ flag: flag === null ? null : { flag, reason: 'scanner_user_agent' }, alsoFlag: [] }),
      });
    const deps = { stores: t.stores, config: t.config, clock: t.clock, logger: t.logger };
    await click('prov-other', BOOKING, 'link_scanner');
    await click('prov-other', 'https://clinic.example/bookshop');
    await click('prov-reader', BOOKING);
    await click('prov-reader', `${BOOKING}/slot`);
    expect(await startFromBookingClicks(deps)).toBe(0);
    t.clock.advance(CLICK_SETTLE_MS);
    expect(await startFromBookingClicks(deps)).toBe(1);
    expect(await startFromBookingClicks(deps)).toBe(0);
    expect(JSON.parse((await t.stores.settings.get(BOOKING_CLICKS_KEY))!)).toMatchObject({ eventId: 'evt-4' });
    const consultOf = async (id: number) => (await t.stores.subscribers.record(id))!.enrolments.filter((e) => e.sequence === 'consult-follow-up');
    expect(await consultOf(s.id)).toHaveLength(1);
    expect(await consultOf(other.id)).toEqual([]);
    const started = (await t.stores.subscribers.record(s.id))!.activity.filter((a) => a.type === 'enrolled');
    expect(started.map((a) => JSON.parse(a.detail!))).toEqual([{ sequence: 'consult-follow-up', by: 'click' }]);
    // A later click by the same person: they entered once.
    await click('prov-reader', BOOKING);
    t.clock.advance(CLICK_SETTLE_MS);
    expect(await startFromBookingClicks(deps)).toBe(0);
    expect(await consultOf(s.id)).toHaveLength(1);
  });

  it('without BOOKING_URL nothing is scanned', async () => {
    const { t } = setup();
    expect(await startFromBookingClicks({ stores: t.stores, config: testConfig(), clock: t.clock, logger: t.logger })).toBe(0);
    expect(await t.stores.settings.get(BOOKING_CLICKS_KEY)).toBeNull();
  });
});

describe('GET /api/sequences and /api/sequences/:id', () => {
  it('lists both sequences with their running version and people per step; each has its own numbers and versions', async () => {
    const { t, s, call, run } = setup();
    const list = async () => (await (await t.app.request('/api/sequences', asStaff({}, 'viewer'))).json()).sequences as { id: string; running: number; people: number; steps: { step: number; waiting: number }[] }[];
    expect((await list()).map((q) => [q.id, q.running, q.people, q.steps.length])).toEqual([
      ['education', 1, 1, 8],
      ['consult-follow-up', 1, 0, 3],
    ]);
    await call('POST', `${s.id}/sequences`, { sequence: 'consult-follow-up' });
    const consult = (await list()).find((q) => q.id === 'consult-follow-up')!;
    expect(consult.people).toBe(1);
    expect(consult.steps.find((x) => x.step === 1)!.waiting).toBe(1);

    await run(3);
    const numbers = await (await t.app.request('/api/sequences/consult-follow-up', asStaff({}, 'viewer'))).json();
    expect(numbers.steps.map((x: { step: number; sent: number }) => [x.step, x.sent])).toEqual([
      [1, 1],
      [2, 0],
      [3, 0],
    ]);
    expect(numbers.totals.sent).toBe(1);
    const education = await (await t.app.request('/api/sequence', asStaff({}, 'viewer'))).json();
    expect(education.totals.sent).toBe((await t.db.$client.prepare("SELECT count(*) AS n FROM deliveries WHERE sequence = 'education' AND status = 'sent' AND kind = 'sequence'").get() as { n: number }).n);
    const versions = await (await t.app.request('/api/sequences/consult-follow-up/versions', asStaff({}, 'viewer'))).json();
    expect(versions.versions.map((v: { version: number; status: string; people: number }) => [v.version, v.status, v.people])).toEqual([[1, 'running', 1]]);
    // Publishing is per sequence: the consult follow-up's running version is not the education series'.
    const again = await t.app.request('/api/sequences/consult-follow-up/publish', asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"version":1}' }, 'admin'));
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('running');
    expect((await t.app.request('/api/sequences/nope', asStaff({}, 'viewer'))).status).toBe(404);
  });
});
