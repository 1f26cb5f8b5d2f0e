// The versions on the sequence page and in the API: what each holds, what an
// unpublished one would change, and publishing, which only an admin may do.
import { describe, expect, it } from 'vitest';
import { buildCatalog, VERSION_PLANS } from '../../src/nurture/sequence.js';
import { testApp } from '../helpers/app.js';
import { addDelivery, addSubscriber, asStaff, basicAuthOf, csrfFrom, staffForm } from '../helpers/staff.js';

const V1 = VERSION_PLANS[0]!;
// Version 2 adds a step 9 right after step 4.
const CATALOG = buildCatalog([V1, { version: 2, summary: 'One more email after the fourth.', steps: [...V1.steps.slice(0, 4), { id: 9, templateId: '05-mdma-and-ketamine', dayOffset: 8 }, ...V1.steps.slice(4)] }]);

/** Two people waiting for step 5 (they had 1..4): version 2 gives them step 9 first. One waiting for step 2: unchanged. */
function appWithPeople() {
  const t = testApp({ sequences: CATALOG });
  const at = t.clock.now();
  for (const email of ['a@example.org', 'b@example.org']) {
    const s = addSubscriber(t.db, { email, timezone: 'UTC', confirmedAt: at - 8 * 86_400_000, nextStep: 5, nextSendAt: at + 2 * 86_400_000, lastSequenceSentAt: at - 86_400_000, sequenceVersion: 1 });
    for (const step of [1, 2, 3, 4]) addDelivery(t.db, { subscriberId: s.id, step });
  }
  const c = addSubscriber(t.db, { email: 'c@example.org', timezone: 'UTC', confirmedAt: at - 3_600_000, nextStep: 2, nextSendAt: at + 86_400_000, lastSequenceSentAt: at - 3_600_000, sequenceVersion: 1 });
  addDelivery(t.db, { subscriberId: c.id, step: 1 });
  return t;
}

describe('sequence versions for staff', () => {
  it('the API lists each version with its people and, for the unpublished one, what publishing would change, summed', async () => {
    const t = appWithPeople();
    const body = await (await t.app.request('/api/sequence/versions', { headers: { authorization: basicAuthOf('viewer') } })).json();
    expect(body.running).toBe(1);
    expect(body.versions.map((v: { version: number; status: string; people: number }) => [v.version, v.status, v.people])).toEqual([
      [1, 'running', 3],
      [2, 'unpublished', 0],
    ]);
    const effect = body.versions[1].effect;
    // c's next email (step 2) is the same under both, but step 9 is added to the rest of their plan: they change too.
    expect(effect).toMatchObject({ version: 2, scheduled: 3, unchanged: 0, changed: 3, inFlight: 0 });
    expect(effect.steps[0]).toMatchObject({ step: 9, added: 3, removed: 0, sentences: ['3 people will newly get step 9 ("MDMA and ketamine: how they differ").'] });
    expect(effect.sentence).toBe('It changes the remaining emails of 3 of the 3 people with an email scheduled; 0 keep every remaining email as planned.');
  });

  it('the preview lists each person: the emails they gain, lose and that move, in their zone, in pages', async () => {
    const t = appWithPeople();
    const viewer = { headers: { authorization: basicAuthOf('viewer') } };
    const body = await (await t.app.request('/api/sequence/versions/2/preview?limit=2', viewer)).json();
    expect(body).toMatchObject({ running: 1, plan: 2 });
    expect(body.effect.people.map((p: { subscriberId: number }) => p.subscriberId)).toEqual([1, 2]);
    expect(body.effect.nextAfter).toBe(2);
    const a = body.effect.people[0];
    expect(a).toMatchObject({ timezone: 'UTC', removed: [] });
    expect(a.added).toEqual([{ step: 9, at: expect.any(String), local: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/) }]);
    const rest = await (await t.app.request('/api/sequence/versions/2/preview?after=2', viewer)).json();
    expect(rest.effect.people.map((p: { subscriberId: number }) => p.subscriberId)).toEqual([3]);
    expect(rest.effect.nextAfter).toBeNull();

    expect((await t.app.request('/api/sequence/versions/7/preview', viewer)).status).toBe(404);
    expect((await t.app.request('/api/sequence/versions/1/preview', viewer)).status).toBe(409);
    const bad = await t.app.request('/api/sequence/versions/two/preview', viewer);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('bad_id');
    const tooMany = await t.app.request('/api/sequence/versions/2/preview?limit=5000', viewer);
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).error.code).toBe('bad_query');
  });

  it('the page shows the same, with a publish button for admins only', async () => {
    const t = appWithPeople();
    const admin = await (await t.app.request('/staff/sequence', asStaff())).text();
    expect(admin).toContain('Version 2');
    expect(admin).toContain('not published');
    expect(admin).toContain('3 people will newly get step 9');
    expect(admin).toContain('href="/staff/subscribers/3"');
    expect(admin).toContain('action="/staff/sequence/publish"');
    for (const role of ['viewer', 'editor'] as const) {
      const html = await (await t.app.request('/staff/sequence', asStaff({}, role))).text();
      expect(html).toContain('3 people will newly get step 9');
      expect(html).not.toContain('action="/staff/sequence/publish"');
    }
  });

  it('only an admin publishes; then version 2 runs, it is audited, and the worker moves people onto it', async () => {
    const t = appWithPeople();
    const json = (role: 'viewer' | 'editor' | 'admin', version: unknown) => ({ method: 'POST', headers: { authorization: basicAuthOf(role), 'content-type': 'application/json' }, body: JSON.stringify({ version }) });
    expect((await t.app.request('/api/sequence/publish', json('viewer', 2))).status).toBe(403);
    expect((await t.app.request('/api/sequence/publish', json('editor', 2))).status).toBe(403);
    const bad = await t.app.request('/api/sequence/publish', json('admin', 'two'));
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.code).toBe('invalid_input');
    expect((await t.app.request('/api/sequence/publish', json('admin', 7))).status).toBe(404);
    expect((await t.app.request('/api/sequence/publish', json('admin', 1))).status).toBe(409);

    // The page's form, as an admin.
    const _csrf = csrfFrom(await (await t.app.request('/staff/sequence', asStaff())).text());
    // Not yet confirmed: the confirmation, with the summary again.
    const confirm = await t.app.request('/staff/sequence/publish', staffForm({ _csrf, version: '2' }));
    expect(confirm.status).toBe(200);
    const confirmation = await confirm.text();
    expect(confirmation).toContain('Publish version 2?');
    expect(confirmation).toContain('3 people will newly get step 9');
    expect(confirmation).toContain('name="confirm"');
    expect((await t.app.request('/staff/sequence/publish', staffForm({ _csrf, version: '2', confirm: 'yes' }, {}, 'editor'))).status).toBe(403);
    const done = await t.app.request('/staff/sequence/publish', staffForm({ _csrf, version: '2', confirm: 'yes' }));
    expect(done.status).toBe(303);
    expect((await t.app.request('/api/sequence/publish', json('admin', 2))).status).toBe(409);
    expect(t.db.$client.prepare("SELECT actor, action, detail FROM audit_log WHERE action = 'sequence.published'").all()).toEqual([{ actor: 'staff', action: 'sequence.published', detail: JSON.stringify({ version: 2, previous: 1 }) }]);

    await t.drain();
    const rows = t.db.$client.prepare(`SELECT email, next_step AS nextStep, e.version AS version FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' ORDER BY s.id`).all();
    expect(rows).toEqual([
      { email: 'a@example.org', nextStep: 9, version: 2 },
      { email: 'b@example.org', nextStep: 9, version: 2 },
      { email: 'c@example.org', nextStep: 2, version: 2 },
    ]);
    const after = await (await t.app.request('/api/sequence/versions', asStaff())).json();
    expect(after.running).toBe(2);
    expect(after.versions.map((v: { status: string; people: number }) => [v.status, v.people])).toEqual([
      ['earlier', 0],
      ['running', 3],
    ]);
  });

  it('an admin rolls back by publishing version 1 again: as version 3, with its own preview and confirmation', async () => {
    const t = appWithPeople();
    const post = (body: unknown) => t.app.request('/api/sequence/publish', { method: 'POST', headers: { authorization: basicAuthOf('admin'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const published = await post({ version: 2 });
    expect(published.status).toBe(200);
    const answer = await published.json();
    // The confirmation carries the preview as it stood.
    expect(answer).toMatchObject({ running: 2, plan: 2, effect: { version: 2, changed: 3 } });
    expect(answer.effect.steps[0].sentences).toEqual(['3 people will newly get step 9 ("MDMA and ketamine: how they differ").']);
    await t.drain();

    const listed = await (await t.app.request('/api/sequence/versions', asStaff())).json();
    expect(listed.versions.map((v: { version: number; plan: number; status: string; againAs: number | null }) => [v.version, v.plan, v.status, v.againAs])).toEqual([
      [1, 1, 'earlier', 3],
      [2, 2, 'running', null],
    ]);
    // Its own preview: a and b would no longer get step 9.
    const preview = await (await t.app.request('/api/sequence/versions/1/preview', asStaff())).json();
    expect(preview).toMatchObject({ running: 2, plan: 1, effect: { version: 3 } });
    expect(preview.effect.steps.find((s: { step: number }) => s.step === 9)).toMatchObject({ removed: 3, sentences: ['3 people will no longer get step 9 ("MDMA and ketamine: how they differ").'] });

    // An earlier version is never published by a slip of the number: it takes `again`.
    const slip = await post({ version: 1 });
    expect(slip.status).toBe(409);
    expect((await slip.json()).error).toMatchObject({ code: 'not_newer', message: expect.stringContaining('"again": true') });
    expect((await post({ version: 2, again: true })).status).toBe(409); // it runs now

    // The page: a roll back button, then the confirmation with the preview, then published.
    const html = await (await t.app.request('/staff/sequence', asStaff())).text();
    expect(html).toContain('Roll back: publish version 1 again as version 3');
    const _csrf = csrfFrom(html);
    expect((await t.app.request('/staff/sequence/publish', staffForm({ _csrf, version: '1' }))).status).toBe(409);
    const confirm = await t.app.request('/staff/sequence/publish', staffForm({ _csrf, version: '1', again: 'yes' }));
    expect(confirm.status).toBe(200);
    const confirmation = await confirm.text();
    expect(confirmation).toContain('Publish version 1 again as version 3?');
    expect(confirmation).toContain('3 people will no longer get step 9');
    expect(confirmation).toContain('name="again" value="yes"');
    expect((await t.app.request('/staff/sequence/publish', staffForm({ _csrf, version: '1', again: 'yes', confirm: 'yes' }))).status).toBe(303);
    const audit = t.db.$client.prepare("SELECT detail FROM audit_log WHERE action = 'sequence.published' ORDER BY id").all();
    expect(audit).toEqual([{ detail: JSON.stringify({ version: 2, previous: 1 }) }, { detail: JSON.stringify({ version: 3, previous: 2, plan: 1 }) }]);

    // Version 3 runs version 1's steps; the worker moves everyone onto it.
    await t.drain();
    const after = await (await t.app.request('/api/sequence/versions', asStaff())).json();
    expect(after.running).toBe(3);
    expect(after.versions.map((v: { version: number; plan: number; status: string; againAs: number | null; people: number }) => [v.version, v.plan, v.status, v.againAs, v.people])).toEqual([
      [1, 1, 'earlier', null, 0],
      [2, 2, 'earlier', 4, 0],
      [3, 1, 'running', null, 3],
    ]);
    const rows = t.db.$client.prepare(`SELECT next_step AS nextStep, e.version AS version FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' ORDER BY s.id`).all();
    expect(rows).toEqual([
      { nextStep: 5, version: 3 },
      { nextStep: 5, version: 3 },
      { nextStep: 2, version: 3 },
    ]);
    expect((await post({ version: 1, again: true })).status).toBe(409); // version 3 runs it already
  });
});
