// Staff correct a mistyped address: the new address gets the opt-in email
// and the person is pending until they confirm it from there; the old address
// keeps nothing (its links stop working, nothing more goes to it, no copy of
// it stays). Refusals change nothing and are said in words.
import { describe, expect, it } from 'vitest';
import { emailHash } from '../../src/address.js';
import { TEST_SECRET, testApp } from '../helpers/app.js';
import { linkToken, postForm, signupForm } from '../helpers/public.js';
import { asStaff, csrfFrom, staffForm } from '../helpers/staff.js';

type T = ReturnType<typeof testApp>;

const correct = (t: T, id: number, email: unknown, role: 'editor' | 'viewer' = 'editor') =>
  t.app.request(`/api/subscribers/${id}/email`, asStaff({ method: 'POST', body: JSON.stringify({ email }), headers: { 'content-type': 'application/json' } }, role));
const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const row = (t: T, id: number) => t.db.$client.prepare('SELECT email, status, token_generation AS generation FROM subscribers WHERE id = ?').get(id) as { email: string; status: string; generation: number };
const audit = (t: T) => t.db.$client.prepare("SELECT actor, detail FROM audit_log WHERE action = 'subscriber.address_corrected'").all() as { actor: string; detail: string }[];

async function pendingPerson(t: T, email: string) {
  await postForm(t.app, '/subscribe', signupForm(email));
  await t.drain();
  return (t.db.$client.prepare('SELECT id FROM subscribers WHERE email = ?').get(email) as { id: number }).id;
}

describe('correcting a mistyped address', () => {
  it('from the subscriber page: the new address gets the opt-in, the old links stop working, audited without either address, in the history in words', async () => {
    const t = testApp();
    const id = await pendingPerson(t, 'annabel@exmaple.org');
    const oldLink = linkToken(t.transport.sent.find((m) => m.to === 'annabel@exmaple.org')!, 'confirm');

    const viewerPage = await (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, 'viewer'))).text();
    expect(viewerPage).not.toContain('Correct their address');
    expect(viewerPage).not.toContain('annabel@exmaple.org');
    const page = await (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, 'editor'))).text();
    expect(page).toContain('Correct their address');
    const res = await t.app.request(`/staff/subscribers/${id}/email`, staffForm({ _csrf: csrfFrom(page), email: ' annabel@example.org ' }, {}, 'editor'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/staff/subscribers/${id}?done=corrected`);
    await t.drain();

    expect(row(t, id)).toEqual({ email: 'annabel@example.org', status: 'pending', generation: 1 });
    expect(t.transport.sent.map((m) => m.to)).toEqual(['annabel@exmaple.org', 'annabel@example.org']);
    // The link sent to the mistyped address confirms nobody now; the new one does.
    await postForm(t.app, `/confirm/${oldLink}`, {});
    expect(row(t, id).status).toBe('pending');
    await postForm(t.app, `/confirm/${linkToken(t.transport.sent.at(-1)!, 'confirm')}`, {});
    expect(row(t, id).status).toBe('active');

    const entries = audit(t);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actor).toBe('eddie');
    expect(entries[0]!.detail).not.toMatch(/annabel|exmaple|example/);
    const after = await (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, 'editor'))).text();
    expect(after).toContain('Corrected their address');
    expect(after).not.toContain('exmaple');
  });

  it('the common case: the typo bounced, and the person it meant gets the opt-in', async () => {
    const t = testApp();
    const id = await pendingPerson(t, 'bo@gmial.com');
    await t.stores.subscribers.suppress({ emailHash: emailHash(TEST_SECRET, 'bo@gmial.com'), reason: 'bounced', at: t.clock.now() });
    expect(row(t, id).status).toBe('suppressed');
    const res = await correct(t, id, 'bo@gmail.com');
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id, outcome: 'corrected', status: 'pending' });
    await t.drain();
    expect(t.transport.sent.at(-1)!.to).toBe('bo@gmail.com');
    // The mistyped address stays suppressed: a signup of it mails nothing.
    await postForm(t.app, '/subscribe', signupForm('bo@gmial.com'));
    await t.drain();
    expect(t.transport.sent.filter((m) => m.to === 'bo@gmial.com')).toHaveLength(1);
  });

  it("refuses, changing nothing: another person's address in any spelling, a suppressed or erased address, a bad address, a converted person", async () => {
    const t = testApp();
    const id = await pendingPerson(t, 'cara@exmaple.org');
    await pendingPerson(t, 'Dana@example.org');
    t.clock.advance(11 * 60_000);

    const inUse = await correct(t, id, 'DANA@EXAMPLE.ORG');
    expect(inUse.status).toBe(409);
    expect(await inUse.json()).toMatchObject({ error: { code: 'address_in_use', message: expect.stringContaining('another subscriber') } });
    await t.stores.subscribers.suppress({ emailHash: emailHash(TEST_SECRET, 'complained@example.org'), reason: 'complained', at: t.clock.now() });
    expect(await code(await correct(t, id, 'Complained@example.org'))).toBe('suppressed_address');
    const erasedId = await pendingPerson(t, 'erased@example.org');
    await t.stores.subscribers.erase(erasedId, t.clock.now(), () => ({ kind: 'cleared' }));
    expect(await code(await correct(t, id, 'erased@example.org'))).toBe('suppressed_address');
    for (const bad of ['cara@example.org\u200b', 'cara\u0085@example.org', 'not an address', '', 'a@b.c\r\nBcc: x@y.z']) {
      const res = await correct(t, id, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(await code(res)).toBe('invalid_email');
    }
    expect((await correct(t, id, 42)).status).toBe(422);
    expect((await correct(t, id, 'cara@example.org', 'viewer')).status).toBe(403);
    expect((await correct(t, 99_999, 'cara@example.org')).status).toBe(404);
    expect(row(t, id)).toEqual({ email: 'cara@exmaple.org', status: 'pending', generation: 0 });
    expect(audit(t)).toEqual([]);

    const converted = await pendingPerson(t, 'eve@example.org');
    await postForm(t.app, `/confirm/${linkToken(t.transport.sent.find((m) => m.to === 'eve@example.org')!, 'confirm')}`, {});
    await t.stores.subscribers.markConverted(converted, t.clock.now());
    expect(await code(await correct(t, converted, 'eve@example.net'))).toBe('not_correctable');

    // On the page, a refusal says why.
    const page = await (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, 'editor'))).text();
    const refused = await t.app.request(`/staff/subscribers/${id}/email`, staffForm({ _csrf: csrfFrom(page), email: 'dana@example.org' }, {}, 'editor'));
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('Nothing was changed');
  });

  it('the same address in other capitals: only the spelling is saved, nothing sent, links kept', async () => {
    const t = testApp();
    const id = await pendingPerson(t, 'fay.lee@example.org');
    const res = await correct(t, id, 'Fay.Lee@example.org');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, outcome: 'respelled' });
    expect(await (await correct(t, id, 'Fay.Lee@example.org')).json()).toEqual({ id, outcome: 'unchanged' });
    await t.drain();
    expect(row(t, id)).toEqual({ email: 'Fay.Lee@example.org', status: 'pending', generation: 0 });
    expect(t.transport.sent).toHaveLength(1);
    expect(audit(t).map((e) => JSON.parse(e.detail))).toEqual([{ spelling: true }]);
  });

  it('the limits of a signup hold for the new address: 10 minutes apart, 3 a day', async () => {
    const t = testApp();
    const a = await pendingPerson(t, 'gil@exmaple.org');
    expect((await correct(t, a, 'gil@example.org')).status).toBe(202);
    // Straight back to the typo and on to the right address again: that address had its confirmation minutes ago.
    expect((await correct(t, a, 'gil@exmaple.org')).status).toBe(409);
    expect((await correct(t, a, 'gil@example.com')).status).toBe(202);
    expect(await code(await correct(t, a, 'gil@example.org'))).toBe('recently_sent');
    t.clock.advance(11 * 60_000);
    expect((await correct(t, a, 'gil@example.org')).status).toBe(202);
    t.clock.advance(11 * 60_000);
    expect((await correct(t, a, 'gil@example.com')).status).toBe(202);
    t.clock.advance(11 * 60_000);
    expect((await correct(t, a, 'gil@example.org')).status).toBe(202);
    t.clock.advance(11 * 60_000);
    expect((await correct(t, a, 'gil@example.com')).status).toBe(202);
    t.clock.advance(11 * 60_000);
    expect(await code(await correct(t, a, 'gil@example.org'))).toBe('daily_cap');
  });
});
