// Staff send a pending person their confirmation email again (they lost it,
// it went to spam): the same link, through the pipeline, audited, with the
// limits of a signup; refused for anyone not pending or suppressed. The one
// way back for someone who unsubscribed: a new opt-in email they confirm.
import { describe, expect, it } from 'vitest';
import { emailHash } from '../../src/address.js';
import { verifyToken } from '../../src/mail/tokens.js';
import { TEST_SECRET, testApp } from '../helpers/app.js';
import { linkToken, postForm, signupForm } from '../helpers/public.js';
import { asStaff, csrfFrom, staffForm } from '../helpers/staff.js';

type T = ReturnType<typeof testApp>;

const post = (t: T, id: number, role: 'editor' | 'viewer' = 'editor') => t.app.request(`/api/subscribers/${id}/confirmation`, asStaff({ method: 'POST' }, role));
const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

async function pendingPerson(t: T, email = 'lost.it@example.org') {
  await postForm(t.app, '/subscribe', signupForm(email));
  await t.drain();
  return (t.db.$client.prepare('SELECT id FROM subscribers WHERE email = ?').get(email) as { id: number }).id;
}

describe('sending the confirmation email again', () => {
  it('queues the same link again for a pending person, audited; not twice within 10 minutes', async () => {
    const t = testApp();
    const id = await pendingPerson(t);
    t.clock.advance(11 * 60_000);
    const res = await post(t, id);
    expect(res.status).toBe(202);
    await t.drain();
    const mails = t.transport.sent.filter((m) => m.to === 'lost.it@example.org');
    expect(mails).toHaveLength(2);
    // The same person and link generation: the first link works as well as the new one.
    const claims = mails.map((m) => verifyToken(TEST_SECRET, linkToken(m, 'confirm'), 'confirm', t.clock.now()));
    expect(claims[1]).toMatchObject({ subscriberId: id, generation: claims[0]!.generation });
    expect(t.db.$client.prepare("SELECT actor, action FROM audit_log WHERE action = 'subscriber.confirmation_resent'").all()).toEqual([{ actor: 'eddie', action: 'subscriber.confirmation_resent' }]);

    const again = await post(t, id);
    expect(again.status).toBe(409);
    expect(await code(again)).toBe('recently_sent');
    // The daily cap of a signup holds too: the third of the day goes, the fourth does not.
    t.clock.advance(11 * 60_000);
    expect((await post(t, id)).status).toBe(202);
    t.clock.advance(11 * 60_000);
    const capped = await post(t, id);
    expect(await code(capped)).toBe('daily_cap');
  });

  it('refuses anyone not pending, a suppressed address, a viewer, and an unknown id', async () => {
    const t = testApp();
    const id = await pendingPerson(t);
    t.clock.advance(11 * 60_000);
    expect((await post(t, id, 'viewer')).status).toBe(403);
    await t.stores.subscribers.suppress({ emailHash: emailHash(TEST_SECRET, 'lost.it@example.org'), reason: 'bounced', at: t.clock.now() });
    const suppressed = await post(t, id);
    expect(suppressed.status).toBe(409);
    expect(['suppressed', 'not_pending']).toContain(await code(suppressed));
    const other = await pendingPerson(t, 'confirmed@example.org');
    await postForm(t.app, `/confirm/${linkToken(t.transport.sent.find((m) => m.to === 'confirmed@example.org')!, 'confirm')}`, {});
    t.clock.advance(11 * 60_000);
    expect(await code(await post(t, other))).toBe('not_pending');
    expect((await post(t, 99_999)).status).toBe(404);
  });

  it('from the subscriber page: a form for pending people only', async () => {
    const t = testApp();
    const id = await pendingPerson(t);
    t.clock.advance(11 * 60_000);
    const html = await (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, 'editor'))).text();
    expect(html).toContain('Send the confirmation email again');
    const res = await t.app.request(`/staff/subscribers/${id}/confirmation`, staffForm({ _csrf: csrfFrom(html) }, {}, 'editor'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/staff/subscribers/${id}?done=confirmation`);
    await t.drain();
    expect(t.transport.sent.filter((m) => m.to === 'lost.it@example.org')).toHaveLength(2);
  });

  it('undoes an unsubscribe only by a new opt-in: pending with new links until they confirm, audited, in the history in words', async () => {
    const t = testApp();
    const id = await pendingPerson(t, 'came.back@example.org');
    await postForm(t.app, `/confirm/${linkToken(t.transport.sent.find((m) => m.to === 'came.back@example.org')!, 'confirm')}`, {});
    await t.stores.subscribers.unsubscribe(id, t.clock.now(), { via: 'link' });
    expect((t.db.$client.prepare('SELECT status FROM subscribers WHERE id = ?').get(id) as { status: string }).status).toBe('unsubscribed');
    t.clock.advance(11 * 60_000);

    const page = await (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, 'editor'))).text();
    expect(page).toContain('Send a new opt-in email');
    expect(page).not.toContain('Send the confirmation email again');
    const res = await t.app.request(`/staff/subscribers/${id}/confirmation`, staffForm({ _csrf: csrfFrom(page) }, {}, 'editor'));
    expect(res.headers.get('location')).toBe(`/staff/subscribers/${id}?done=optin`);
    await t.drain();
    expect((t.db.$client.prepare('SELECT status FROM subscribers WHERE id = ?').get(id) as { status: string }).status).toBe('pending');
    // Nothing of the series goes before they confirm; the new confirmation link is the way back.
    const optIn = t.transport.sent.filter((m) => m.to === 'came.back@example.org').at(-1)!;
    expect(optIn.subject).toMatch(/confirm/i);
    expect(t.db.$client.prepare("SELECT actor, detail FROM audit_log WHERE action = 'subscriber.confirmation_resent'").all()).toEqual([{ actor: 'eddie', detail: expect.stringContaining('"reopened":true') }]);
    const history = await (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, 'editor'))).text();
    expect(history).toContain('Sent a new opt-in email after they unsubscribed');
    const confirmed = await postForm(t.app, `/confirm/${linkToken(optIn, 'confirm')}`, {});
    expect(confirmed.status).toBeLessThan(400);
    expect((t.db.$client.prepare('SELECT status FROM subscribers WHERE id = ?').get(id) as { status: string }).status).toBe('active');
  });
});
