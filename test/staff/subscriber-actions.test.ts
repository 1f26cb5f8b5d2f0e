// The subscriber page's forms for acting for a person: editors see and use
// them (through the same services and audit entries as the API), viewers see
// none and are refused; every form carries the CSRF token.
import { describe, expect, it } from 'vitest';
import { FIRST_VERSION } from '../../src/nurture/sequence.js';
import { testApp } from '../helpers/app.js';
import { addSubscriber, asStaff, csrfFrom, historyRows, staffForm } from '../helpers/staff.js';

const SEQUENCE = FIRST_VERSION.steps;

const NOW = '2026-03-02T14:00:00Z';
const ACTIONS = ['details', 'email', 'pause', 'resume', 'resend', 'unsubscribe'] as const;

/** An active reader in Berlin whose email 1 went through the worker at NOW. */
async function setup() {
  const t = testApp({ now: NOW });
  const s = addSubscriber(t.db, { email: 'walk.in@example.org', firstName: 'Kai', confirmedAt: Date.parse(NOW), nextStep: 1, nextSendAt: Date.parse(NOW), timezone: 'Europe/Berlin' });
  await t.drain();
  const pageOf = async (role: 'admin' | 'editor' | 'viewer' = 'editor', id = s.id) => (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, role))).text();
  const post = async (action: string, fields: Record<string, string>, role: 'admin' | 'editor' | 'viewer' = 'editor', id = s.id) => {
    const _csrf = csrfFrom(await pageOf('viewer', id));
    return t.app.request(`/staff/subscribers/${id}/${action}`, staffForm({ _csrf, ...fields }, {}, role));
  };
  const audit = () => t.db.$client.prepare('SELECT actor, action, subscriber_id AS s, detail FROM audit_log ORDER BY id').all() as { actor: string; action: string; s: number; detail: string }[];
  return { t, s, pageOf, post, audit };
}

const formActions = (html: string, id: number) => [...html.matchAll(new RegExp(`<form method="post" action="/staff/subscribers/${id}/([a-z]+)"`, 'g'))].map((m) => m[1]);

describe('acting for a person on the subscriber page', () => {
  it('viewers see no action and every action refuses them; editors see a form for each, with the CSRF token', async () => {
    const { t, s, pageOf, post, audit } = await setup();
    expect(formActions(await pageOf('viewer'), s.id)).toEqual([]);
    for (const action of ACTIONS) {
      const res = await post(action, { reason: 'x', until: '2026-04-01', step: '1', firstName: 'V', timezone: 'UTC', reader: '' }, 'viewer');
      expect(res.status, action).toBe(403);
      expect(await res.text()).toContain('editor or admin role');
    }
    expect(audit()).toEqual([]);
    expect((await t.stores.subscribers.byId(s.id))!).toMatchObject({ status: 'active', firstName: 'Kai', pausedUntil: null });

    const html = await pageOf('editor');
    expect(formActions(html, s.id)).toEqual(['details', 'email', 'pause', 'resend', 'unsubscribe', 'converted', 'sequences']);
    expect(html.match(/name="_csrf"/g)!.length).toBe(8); // the seven forms and the logout button
    expect(html).toContain('<option value="Europe/Berlin" selected="">');
    expect(html).toContain(`<option value="1">Email 1 of 8: ${SEQUENCE[0]!.subject.replace(/'/g, '&#39;')}</option>`);
    // Without the token, or from another site: refused.
    expect((await t.app.request(`/staff/subscribers/${s.id}/unsubscribe`, staffForm({ reason: 'no token' }, {}, 'editor'))).status).toBe(403);
    const _csrf = csrfFrom(html);
    expect((await t.app.request(`/staff/subscribers/${s.id}/unsubscribe`, staffForm({ _csrf, reason: 'x' }, { origin: 'https://evil.example' }, 'editor'))).status).toBe(403);
    expect((await t.stores.subscribers.byId(s.id))!.status).toBe('active');
  });

  it('an editor changes details, pauses, resumes, resends a step and unsubscribes; each audited and listed on the page', async () => {
    const { t, s, pageOf, post, audit } = await setup();
    const location = (res: Response) => res.headers.get('location');

    const details = await post('details', { firstName: 'Kai-Lin', timezone: 'Europe/Lisbon', reader: 'supporter' });
    expect(details.status).toBe(303);
    expect(location(details)).toBe(`/staff/subscribers/${s.id}?done=updated`);
    expect(await t.stores.subscribers.byId(s.id)).toMatchObject({ firstName: 'Kai-Lin', timezone: 'Europe/Lisbon', reader: 'supporter' });
    expect(await (await t.app.request(location(details)!, asStaff({}, 'editor'))).text()).toContain('Their details are saved.');
    expect(location(await post('details', { firstName: 'Kai-Lin', timezone: 'Europe/Lisbon', reader: 'supporter' }))).toBe(`/staff/subscribers/${s.id}?done=unchanged`);

    // Until 1 April in their zone: nothing before midnight there (Lisbon is on summer time, UTC+1, by then).
    expect(location(await post('pause', { until: '2026-04-01' }))).toBe(`/staff/subscribers/${s.id}?done=paused`);
    const paused = (await t.stores.subscribers.byId(s.id))!;
    expect(paused.pausedUntil).toBe(Date.parse('2026-03-31T23:00:00Z'));
    expect(paused.nextSendAt).toBeGreaterThanOrEqual(paused.pausedUntil!);
    const pausedPage = await pageOf();
    expect(formActions(pausedPage, s.id)).toEqual(['details', 'email', 'resume', 'resend', 'unsubscribe', 'converted', 'sequences']);
    expect(pausedPage).toContain('Paused until 2026-03-31 19:00 (America/New_York); 2026-04-01 00:00 their time (Europe/Lisbon)');
    expect(location(await post('resume', {}))).toBe(`/staff/subscribers/${s.id}?done=resumed`);
    expect((await t.stores.subscribers.byId(s.id))!.pausedUntil).toBeNull();

    expect(location(await post('resend', { step: '1' }))).toBe(`/staff/subscribers/${s.id}?done=resent`);
    expect(await pageOf()).toContain('A step is waiting to be sent to them again');
    await t.drain();
    expect(t.transport.sent.map((m) => [m.to, m.subject])).toEqual([
      ['walk.in@example.org', SEQUENCE[0]!.subject],
      ['walk.in@example.org', SEQUENCE[0]!.subject],
    ]);
    expect(t.transport.sent[1]!.html).toContain('Kai-Lin');
    // The same step again within the hour: a page that says why, nothing queued or audited.
    const again = await post('resend', { step: '1' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('Email 1 of 8 was sent to them again less than an hour ago');
    await t.drain();
    expect(t.transport.sent).toHaveLength(2);

    expect(location(await post('unsubscribe', { reason: 'Phoned: no more emails, please' }))).toBe(`/staff/subscribers/${s.id}?done=unsubscribed`);
    expect((await t.stores.subscribers.byId(s.id))!.status).toBe('unsubscribed');

    expect(audit().map((e) => [e.actor, e.action, e.s, JSON.parse(e.detail)])).toEqual([
      ['eddie', 'subscriber.updated', s.id, { fields: ['firstName', 'timezone', 'reader'] }],
      ['eddie', 'subscriber.paused', s.id, { until: '2026-03-31T23:00:00.000Z' }],
      ['eddie', 'subscriber.resumed', s.id, {}],
      ['eddie', 'subscriber.resent', s.id, { step: 1, deliveryId: expect.any(Number) }],
      ['eddie', 'subscriber.unsubscribed', s.id, { reason: 'Phoned: no more emails, please' }],
    ]);
    const after = await pageOf('viewer');
    // In the viewer's zone (the default, New York), newest first; one line for each thing done, saying who did it.
    expect(historyRows(after)).toEqual([
      '2026-03-02 09:00 | Unsubscribed on their behalf: “Phoned: no more emails, please” | Staff: eddie',
      '2026-03-02 09:00 | Sent a step again: Education series, email 1 of 8 | Staff: eddie',
      '2026-03-02 09:00 | Resumed their emails | Staff: eddie',
      '2026-03-02 09:00 | Paused their emails until 2026-03-31 19:00 (America/New_York) | Staff: eddie',
      '2026-03-02 09:00 | Changed their details: changed first name, time zone | Staff: eddie',
      '2026-03-02 09:00 | Now reads for someone close to them (was not given) | Staff: eddie',
    ]);
    expect(after).toContain('<td>Education series, email 1 of 8, sent again</td>');
    // Nothing more to stop or send: the details, address and converted forms are left, and a new opt-in email (the only way back).
    expect(formActions(await pageOf(), s.id)).toEqual(['details', 'email', 'confirmation', 'converted']);
  });

  it('refusals are pages that say why, with the subscriber left as they were and nothing audited', async () => {
    const { t, s, post, audit } = await setup();
    const cases: [string, Record<string, string>, number, string][] = [
      ['unsubscribe', { reason: '   ' }, 400, 'Say why'],
      ['pause', { until: 'next week' }, 400, 'Pick the date'],
      ['pause', { until: '2026-02-30' }, 400, 'Pick the date'],
      ['pause', { until: '2026-03-01' }, 400, 'after today'],
      ['resume', {}, 409, 'not paused'],
      ['resend', { step: '2' }, 409, 'Email 2 of 8 has not been sent'],
      ['resend', { step: '99' }, 400, 'Pick one of the steps'],
      ['resend', { step: 'one' }, 400, 'Pick one of the steps'],
      ['details', { firstName: 'K', timezone: 'Mars/Olympus', reader: '' }, 400, 'not an IANA time zone'],
      ['details', { firstName: 'K', timezone: 'UTC', reader: 'boss' }, 400, 'reader is one of'],
    ];
    for (const [action, fields, status, says] of cases) {
      const res = await post(action, fields);
      expect(res.status, `${action} ${JSON.stringify(fields)}`).toBe(status);
      const html = await res.text();
      expect(html).toContain(says);
      expect(html).toContain(`href="/staff/subscribers/${s.id}"`);
    }
    expect(audit()).toEqual([]);
    expect(await t.stores.subscribers.byId(s.id)).toMatchObject({ status: 'active', firstName: 'Kai', timezone: 'Europe/Berlin', reader: null, pausedUntil: null });

    const gone = addSubscriber(t.db, { email: null, status: 'erased' });
    expect(formActions(await (await t.app.request(`/staff/subscribers/${gone.id}`, asStaff({}, 'editor'))).text(), gone.id)).toEqual([]);
    for (const action of ACTIONS) expect((await post(action, { reason: 'x', until: '2026-04-01', step: '1', timezone: 'UTC' }, 'editor', gone.id)).status, action).toBeGreaterThanOrEqual(400);
    expect((await post('details', { firstName: 'Back', timezone: 'UTC' }, 'editor', gone.id)).status).toBe(404);
    expect((await post('unsubscribe', { reason: 'x' }, 'editor', 99_999)).status).toBe(404);
  });

  it('erasing stays an admin action: the editor has no erase form and is refused', async () => {
    const { t, s, pageOf, post } = await setup();
    expect(await pageOf('editor')).not.toContain(`/staff/subscribers/${s.id}/erase`);
    expect((await post('erase', { confirm: 'yes' }, 'editor')).status).toBe(403);
    expect((await t.stores.subscribers.byId(s.id))!.status).toBe('active');
    expect(await pageOf('admin')).toContain(`/staff/subscribers/${s.id}/erase`);
  });
});

describe('a person’s sequences on the subscriber page', () => {
  it('lists each enrolment; an editor starts the consult follow-up once and ends one sequence while the other runs; each audited', async () => {
    const { t, s, pageOf, post, audit } = await setup();
    const before = await pageOf('editor');
    expect(before).toContain('<strong>Education series</strong>');
    expect(before).toContain('Start the consult follow-up');
    expect(before).not.toContain('(keep the other)');
    expect(await pageOf('viewer')).not.toContain('Start the consult follow-up');
    expect((await post('sequences', { sequence: 'consult-follow-up' }, 'viewer')).status).toBe(403);

    const started = await post('sequences', { sequence: 'consult-follow-up' });
    expect(started.status).toBe(303);
    expect(started.headers.get('location')).toBe(`/staff/subscribers/${s.id}?done=enrolled`);
    expect(audit().at(-1)).toMatchObject({ actor: 'eddie', action: 'subscriber.enrolled', s: s.id });
    const after = await pageOf('editor');
    expect(after).toContain('<strong>Consult follow-up</strong>');
    expect(after).toMatch(/Consult follow-up<\/strong>: entered [^<]*· email 1 of 3 planned/);
    expect(after).not.toContain('Start the consult follow-up');
    expect(after).toContain('End the consult follow-up (keep the other)');
    expect(historyRows(after)[0]).toBe('2026-03-02 09:00 | Started the consult follow-up | Staff: eddie');
    expect((await post('sequences', { sequence: 'consult-follow-up' })).status).toBe(409);
    expect((await post('sequences', { sequence: 'nope' })).status).toBe(400);

    const ended = await post('sequences/consult-follow-up/end', {});
    expect(ended.headers.get('location')).toBe(`/staff/subscribers/${s.id}?done=left`);
    expect(audit().at(-1)).toMatchObject({ action: 'subscriber.left_sequence', s: s.id });
    const endedPage = await pageOf('editor');
    expect(endedPage).toContain('ended by staff');
    expect(historyRows(endedPage)[0]).toBe('2026-03-02 09:00 | Ended the consult follow-up for them; their other series goes on | Staff: eddie');
    // The education series is their last: ending it is unsubscribing.
    expect((await post('sequences/education/end', {})).status).toBe(409);
    expect((await t.stores.subscribers.byId(s.id))!.status).toBe('active');
  });
});
