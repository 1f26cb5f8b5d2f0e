// Staff acting for a person who phoned or wrote: unsubscribe with a reason,
// pause until a date, resume, send a step again, change their details.
// Editors only; each action audited.
import { describe, expect, it } from 'vitest';
import { verifyToken } from '../../src/mail/tokens.js';
import { FIRST_VERSION } from '../../src/nurture/sequence.js';
import { TEST_SECRET, testApp } from '../helpers/app.js';
import { addDelivery, addSubscriber, asStaff } from '../helpers/staff.js';

const SEQUENCE = FIRST_VERSION.steps;

const NOW = '2026-03-02T14:00:00Z';
const DAY = 86_400_000;

function setup() {
  const t = testApp({ now: NOW });
  // Active, email 1 went yesterday, email 2 due now.
  const s = addSubscriber(t.db, { email: 'caller@example.org', confirmedAt: Date.parse(NOW) - 2 * DAY, nextStep: 2, nextSendAt: Date.parse(NOW), lastSequenceSentAt: Date.parse(NOW) - 2 * DAY, timezone: 'UTC' });
  const post = (path: string, body: unknown, role: 'admin' | 'editor' | 'viewer' = 'editor') =>
    t.app.request(`/api/subscribers/${s.id}/${path}`, asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, role));
  const audit = () => t.db.$client.prepare('SELECT actor, action, subscriber_id AS s, detail FROM audit_log ORDER BY id').all() as { actor: string; action: string; s: number; detail: string }[];
  const activity = () => t.db.$client.prepare('SELECT type, detail FROM activity WHERE subscriber_id = ? ORDER BY id').all(s.id) as { type: string; detail: string }[];
  return { t, s, post, audit, activity };
}

describe('POST /api/subscribers/:id/unsubscribe', () => {
  it('stops all mail with the reason on their history and in the audit log', async () => {
    const { t, s, post, audit, activity } = setup();
    const res = await post('unsubscribe', { reason: 'Asked by phone to stop' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: s.id, status: 'unsubscribed' });
    expect(activity().at(-1)).toMatchObject({ type: 'unsubscribed' });
    expect(JSON.parse(activity().at(-1)!.detail)).toMatchObject({ method: 'staff', staff: 'eddie', reason: 'Asked by phone to stop' });
    expect(audit().at(-1)).toMatchObject({ actor: 'eddie', action: 'subscriber.unsubscribed', s: s.id });
    await t.drain();
    expect(t.transport.sent).toEqual([]);
    // Twice: nothing left to stop.
    expect((await post('unsubscribe', { reason: 'again' })).status).toBe(409);
  });

  it('needs a reason, an editor, and a subscriber', async () => {
    const { t, post } = setup();
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 5 }, [], 'x'.repeat(10)]) {
      const res = await post('unsubscribe', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: expect.any(String) } });
    }
    expect((await post('unsubscribe', { reason: 'x' }, 'viewer')).status).toBe(403);
    expect((await t.app.request('/api/subscribers/999/unsubscribe', asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason":"x"}' }, 'editor'))).status).toBe(404);
    expect((await t.app.request('/api/subscribers/abc/unsubscribe', asStaff({ method: 'POST', body: '{}' }, 'editor'))).status).toBe(400);
    expect((await t.app.request(`/api/subscribers/1/unsubscribe`, asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }, 'editor'))).status).toBe(400);
  });
});

describe('POST /api/subscribers/:id/pause and /resume', () => {
  it('sends nothing until the date, then resumes in their window; staff may resume early', async () => {
    const { t, s, post, audit } = setup();
    const until = new Date(Date.parse(NOW) + 10 * DAY).toISOString();
    const paused = await post('pause', { until });
    expect(paused.status).toBe(200);
    const body = await paused.json();
    expect(body).toMatchObject({ id: s.id, status: 'active', pausedUntil: until });
    expect(Date.parse(body.nextSendAt)).toBeGreaterThanOrEqual(Date.parse(until));
    expect(audit().at(-1)).toMatchObject({ actor: 'eddie', action: 'subscriber.paused', s: s.id });

    // A week of ticks: nothing goes.
    for (let day = 0; day < 7; day++) {
      t.clock.advance(DAY);
      await t.drain();
    }
    expect(t.transport.sent).toEqual([]);

    const resumed = await post('resume', {});
    expect(resumed.status).toBe(200);
    const resumedBody = await resumed.json();
    expect(resumedBody).toMatchObject({ pausedUntil: null });
    expect(audit().at(-1)).toMatchObject({ action: 'subscriber.resumed' });
    // The next morning, inside their send window (09:00-11:00 UTC).
    t.clock.set(Date.parse(resumedBody.nextSendAt) + 30 * 60_000);
    await t.drain();
    expect(t.transport.sent.map((m) => m.to)).toEqual(['caller@example.org']);
    expect((await post('resume', {})).status).toBe(409);
  });

  it('refuses a date in the past, a bad date, a viewer, and someone not receiving the series', async () => {
    const { t, post } = setup();
    expect((await post('pause', { until: '2020-01-01T00:00:00Z' })).status).toBe(422);
    expect((await post('pause', { until: 'next week' })).status).toBe(422);
    expect((await post('pause', {})).status).toBe(422);
    expect((await post('pause', { until: '2026-04-01T00:00:00Z' }, 'viewer')).status).toBe(403);
    const pending = addSubscriber(t.db, { email: 'pending@example.org', status: 'pending' });
    const res = await t.app.request(`/api/subscribers/${pending.id}/pause`, asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ until: '2026-04-01T00:00:00Z' }) }, 'editor'));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'not_active' } });
  });
});

/** An active reader whose email 1 really went through the worker at NOW (New York, window 09:00-11:00 there). */
async function hadEmailOne(timezone = 'America/New_York') {
  const t = testApp({ now: NOW });
  const s = addSubscriber(t.db, { email: 'again@example.org', firstName: 'Avery', confirmedAt: Date.parse(NOW), nextStep: 1, nextSendAt: Date.parse(NOW), timezone });
  await t.drain();
  expect(t.transport.sent.map((m) => m.subject)).toEqual([SEQUENCE[0]!.subject]);
  const send = (method: string, path: string, body: unknown, role: 'admin' | 'editor' | 'viewer' = 'editor') =>
    t.app.request(`/api/subscribers/${s.id}${path}`, asStaff({ method, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }, role));
  const audit = () =>
    (t.db.$client.prepare('SELECT actor, action, subscriber_id AS s, detail FROM audit_log ORDER BY id').all() as { actor: string; action: string; s: number; detail: string }[]).map((e) => ({ ...e, detail: JSON.parse(e.detail) }));
  const deliveries = () => t.db.$client.prepare('SELECT kind, step, status, sent_at AS sentAt FROM deliveries WHERE subscriber_id = ? ORDER BY id').all(s.id);
  return { t, s, send, audit, deliveries };
}

describe('POST /api/subscribers/:id/resend', () => {
  it('sends a step they had once more, through the worker, with their own links; the sequence never counts it as received', async () => {
    const { t, s, send, audit, deliveries } = await hadEmailOne();
    const before = (await t.stores.subscribers.byId(s.id))!;
    const res = await send('POST', '/resend', { step: 1 });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toEqual({ id: s.id, status: 'queued', step: 1, deliveryId: expect.any(Number) });
    expect(audit()).toEqual([{ actor: 'eddie', action: 'subscriber.resent', s: s.id, detail: { step: 1, deliveryId: body.deliveryId } }]);
    expect(t.worker.kicks).toBeGreaterThan(0);
    // Nothing leaves outside the worker.
    expect(t.transport.sent).toHaveLength(1);

    await t.drain();
    await t.drain();
    expect(t.transport.sent).toHaveLength(2);
    const again = t.transport.sent[1]!;
    expect(again).toMatchObject({ to: 'again@example.org', subject: SEQUENCE[0]!.subject });
    expect(again.html).toContain('Avery');
    expect(again.tags).toEqual(expect.arrayContaining([{ name: 'category', value: 'resend' }, { name: 'delivery', value: String(body.deliveryId) }]));
    // The person's working unsubscribe link, the same one email 1 carried.
    expect(again.headers?.['List-Unsubscribe']).toBe(t.transport.sent[0]!.headers?.['List-Unsubscribe']);
    const token = /\/u\/([^>]+)>$/.exec(again.headers!['List-Unsubscribe']!)![1]!;
    expect(verifyToken(TEST_SECRET, token, 'unsubscribe', t.clock.now())).toMatchObject({ subscriberId: s.id });

    // The sequence's own step 1 is untouched and the schedule has not moved.
    expect(deliveries()).toEqual([
      { kind: 'sequence', step: 1, status: 'sent', sentAt: Date.parse(NOW) },
      { kind: 'resend', step: 1, status: 'sent', sentAt: expect.any(Number) },
    ]);
    const after = (await t.stores.subscribers.byId(s.id))!;
    expect({ nextStep: after.nextStep, nextSendAt: after.nextSendAt, last: after.lastSequenceSentAt }).toEqual({ nextStep: 2, nextSendAt: before.nextSendAt, last: before.lastSequenceSentAt });
    expect((await t.stores.sendQueue.stepCounts('education')).get(1)).toMatchObject({ sent: 1 });

    // Email 2 goes when it was due, once; email 1 never again.
    t.clock.set(before.nextSendAt!);
    await t.drain();
    await t.drain();
    expect(t.transport.sent.map((m) => m.subject)).toEqual([SEQUENCE[0]!.subject, SEQUENCE[0]!.subject, SEQUENCE[1]!.subject]);
    // Another resend once the first went is allowed.
    expect((await send('POST', '/resend', { step: 2 })).status).toBe(202);
  });

  it('refuses a step not sent yet, a step the sequence does not have, a second resend while one waits, and bad bodies; none is audited', async () => {
    const { t, s, send, audit } = await hadEmailOne();
    const notSent = await send('POST', '/resend', { step: 2 });
    expect(notSent.status).toBe(409);
    expect(await notSent.json()).toEqual({ error: { code: 'step_not_sent', message: expect.stringContaining('Step 2 has not been sent') } });
    const unknown = await send('POST', '/resend', { step: SEQUENCE.length + 1 });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error.code).toBe('unknown_step');
    for (const body of [{}, { step: 0 }, { step: -1 }, { step: 1.5 }, { step: '1' }, { step: 1, extra: true }, [], null]) {
      const res = await send('POST', '/resend', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await res.json()).error.code).toBe('invalid_input');
    }
    expect((await send('POST', '/resend', '{nope')).status).toBe(400);
    expect(audit()).toEqual([]);

    expect((await send('POST', '/resend', { step: 1 })).status).toBe(202);
    const twice = await send('POST', '/resend', { step: 1 });
    expect(twice.status).toBe(409);
    expect((await twice.json()).error.code).toBe('resend_queued');
    expect(audit()).toHaveLength(1);
    await t.drain();
    expect(t.transport.sent.filter((m) => m.to === 'again@example.org')).toHaveLength(2);
    expect(s.id).toBeGreaterThan(0);
  });

  it('refuses a second resend of the same step within an hour of the first, even once it went; an hour later it goes', async () => {
    const { t, send, audit } = await hadEmailOne();
    const HOUR = 3_600_000;
    expect((await send('POST', '/resend', { step: 1 })).status).toBe(202);
    await t.drain();
    expect(t.transport.sent).toHaveLength(2);

    t.clock.advance(HOUR - 60_000);
    const again = await send('POST', '/resend', { step: 1 });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: { code: 'resent_recently', message: expect.stringContaining('Step 1 was sent to them again less than an hour ago') } });
    expect(audit().map((e) => e.action)).toEqual(['subscriber.resent']);
    await t.drain();
    expect(t.transport.sent).toHaveLength(2);

    t.clock.advance(60_000);
    expect((await send('POST', '/resend', { step: 1 })).status).toBe(202);
    await t.drain();
    expect(t.transport.sent).toHaveLength(3);
    expect(audit().map((e) => e.action)).toEqual(['subscriber.resent', 'subscriber.resent']);
  });

  it('refuses people who are pending, unsubscribed, suppressed or erased (409), and unknown ids (404)', async () => {
    const { t } = await hadEmailOne();
    const ask = (id: number) => t.app.request(`/api/subscribers/${id}/resend`, asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"step":1}' }, 'editor'));
    const withStepOne = (fields: Parameters<typeof addSubscriber>[1]) => {
      const p = addSubscriber(t.db, fields);
      addDelivery(t.db, { subscriberId: p.id, step: 1, sentAt: Date.parse(NOW) - DAY });
      return p;
    };
    for (const [fields, code] of [
      [{ status: 'pending' }, 'not_mailable'],
      [{ status: 'unsubscribed', unsubscribedAt: 1 }, 'not_mailable'],
      [{ status: 'suppressed', suppressedAt: 1 }, 'not_mailable'],
      [{ status: 'erased', email: null }, 'not_mailable'],
    ] as const) {
      const p = withStepOne(fields);
      const res = await ask(p.id);
      expect(res.status, fields.status).toBe(409);
      const body = await res.json();
      expect(body.error.code).toBe(code);
      expect(body.error.message).toContain(fields.status);
    }
    // Still active, but the address bounced since: on the suppression list.
    const bounced = withStepOne({ email: 'bounced@example.org' });
    await t.stores.subscribers.suppress({ emailHash: bounced.emailHash, reason: 'bounced', at: Date.parse(NOW) });
    expect((await ask(bounced.id)).status).toBe(409);
    // Completed and converted readers may ask for a step again.
    expect((await ask(withStepOne({ status: 'completed', completedAt: 1 }).id)).status).toBe(202);
    expect((await ask(withStepOne({ status: 'converted', convertedAt: 1 }).id)).status).toBe(202);
    expect((await ask(99_999)).status).toBe(404);
  });
});

describe('PATCH /api/subscribers/:id', () => {
  it("a new time zone moves the next email into that zone's send window, by the worker's schedule", async () => {
    const { t, s, send, audit } = await hadEmailOne('America/New_York');
    // Email 2 two days after email 1, in New York's 09:00-11:00 (14:00 UTC).
    expect((await t.stores.subscribers.byId(s.id))!.nextSendAt).toBe(Date.parse('2026-03-04T14:00:00Z'));
    const res = await send('PATCH', '', { timezone: 'asia/tokyo' });
    expect(res.status).toBe(200);
    // Email 1 went at 23:00 on 2 March in Tokyo: two days later there, in Tokyo's 09:00-11:00 window.
    expect(await res.json()).toEqual({ id: s.id, firstName: 'Avery', timezone: 'Asia/Tokyo', reader: null, changed: ['timezone'], nextStep: 2, nextSendAt: '2026-03-04T00:00:00.000Z' });
    expect(audit()).toEqual([{ actor: 'eddie', action: 'subscriber.updated', s: s.id, detail: { fields: ['timezone'] } }]);

    t.clock.set(Date.parse('2026-03-03T23:50:00Z'));
    await t.drain();
    expect(t.transport.sent).toHaveLength(1);
    t.clock.set(Date.parse('2026-03-04T00:10:00Z'));
    await t.drain();
    expect(t.transport.sent.map((m) => m.subject)).toEqual([SEQUENCE[0]!.subject, SEQUENCE[1]!.subject]);
  });

  it('changes the name and who they read for; the audit entry names the fields, never the values; no change, no entry', async () => {
    const { t, s, send, audit } = await hadEmailOne();
    const res = await send('PATCH', '', { firstName: '  Avery Jo  ', reader: 'supporter', timezone: 'America/New_York' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ firstName: 'Avery Jo', reader: 'supporter', timezone: 'America/New_York', changed: ['firstName', 'reader'] });
    expect(audit()).toEqual([{ actor: 'eddie', action: 'subscriber.updated', s: s.id, detail: { fields: ['firstName', 'reader'] } }]);
    expect(JSON.stringify(audit())).not.toMatch(/Avery|supporter/);
    const reader = t.db.$client.prepare("SELECT detail FROM activity WHERE subscriber_id = ? AND type = 'reader_changed'").all(s.id);
    expect(reader).toEqual([{ detail: JSON.stringify({ from: null, to: 'supporter' }) }]);

    const same = await send('PATCH', '', { firstName: 'Avery Jo', reader: 'supporter' });
    expect(await same.json()).toMatchObject({ changed: [] });
    expect(audit()).toHaveLength(1);
    // An empty name or reader clears it; admins may too.
    expect(await (await send('PATCH', '', { firstName: '', reader: null }, 'admin')).json()).toMatchObject({ firstName: null, reader: null, changed: ['firstName', 'reader'] });
    expect(audit().at(-1)).toMatchObject({ actor: 'staff', action: 'subscriber.updated' });
    await t.drain();
  });

  it('refuses bad input (422, the one error shape), bad JSON (400), viewers (403), the erased and unknown (404)', async () => {
    const { t, s, send, audit } = await hadEmailOne();
    for (const body of [{}, { timezone: 'Mars/Olympus' }, { timezone: '' }, { timezone: 5 }, { reader: 'boss' }, { firstName: 'a\nb' }, { firstName: 'x'.repeat(61) }, { firstName: 7 }, { email: 'x@example.org' }, [], null]) {
      const res = await send('PATCH', '', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: expect.any(String) } });
    }
    expect((await send('PATCH', '', '{')).status).toBe(400);
    expect((await send('PATCH', '', { firstName: 'Vee' }, 'viewer')).status).toBe(403);
    const erased = addSubscriber(t.db, { email: null, status: 'erased' });
    const patch = (id: number | string) => t.app.request(`/api/subscribers/${id}`, asStaff({ method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"firstName":"Back"}' }, 'editor'));
    expect((await patch(erased.id)).status).toBe(404);
    expect((await patch(99_999)).status).toBe(404);
    expect((await patch('abc')).status).toBe(400);
    expect(audit()).toEqual([]);
    expect((await t.stores.subscribers.byId(s.id))!.firstName).toBe('Avery');
  });
});

describe('roles on acting for a person', () => {
  it('viewers can do none of it, editors all of it but erasing, admins everything', async () => {
    const { t, s } = await hadEmailOne();
    const call = (method: string, path: string, body: unknown, role: 'admin' | 'editor' | 'viewer') =>
      t.app.request(`/api/subscribers/${s.id}${path}`, asStaff({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, role));
    const actions: [string, string, unknown][] = [
      ['PATCH', '', { firstName: 'Role' }],
      ['POST', '/resend', { step: 1 }],
      ['POST', '/pause', { until: '2026-04-01T00:00:00Z' }],
      ['POST', '/resume', {}],
      ['POST', '/unsubscribe', { reason: 'asked' }],
    ];
    for (const [method, path, body] of actions) {
      const res = await call(method, path, body, 'viewer');
      expect(res.status, `viewer ${method} ${path}`).toBe(403);
      expect((await res.json()).error.code).toBe('forbidden');
    }
    expect(t.db.$client.prepare('SELECT count(*) AS n FROM audit_log').get()).toEqual({ n: 0 });
    for (const [method, path, body] of actions) expect((await call(method, path, body, 'editor')).status, `editor ${method} ${path}`).toBeLessThan(300);
    expect((await call('DELETE', '', {}, 'editor')).status).toBe(403);
    expect((await call('POST', '/erase', {}, 'editor')).status).toBe(403);
    expect((await call('DELETE', '', {}, 'admin')).status).toBe(200);
    expect((t.db.$client.prepare('SELECT actor, action FROM audit_log ORDER BY id').all() as { actor: string; action: string }[]).map((e) => `${e.actor} ${e.action}`)).toEqual([
      'eddie subscriber.updated',
      'eddie subscriber.resent',
      'eddie subscriber.paused',
      'eddie subscriber.resumed',
      'eddie subscriber.unsubscribed',
      'staff subscriber.erased',
    ]);
  });
});
