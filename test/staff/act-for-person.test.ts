// Staff acting for a person who phoned or wrote: unsubscribe with a reason,
// pause until a date, resume. Editors only; each action audited.
import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';
import { addSubscriber, asStaff } from '../helpers/staff.js';

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
