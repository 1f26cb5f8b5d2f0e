import { describe, expect, it } from 'vitest';
import type { SqliteDb as Db } from '../../db/sqlite/client.js';
import { emailHash } from '../../src/address.js';
import { batchRequest, openRequest, requestWithout } from '../../src/mail/envelope.js';
import { eraseSubscriber } from '../../src/subscribers/erase.js';
import { memoryTransport } from '../helpers/memory-transport.js';
import { seedDue, tickHarness } from '../helpers/worker.js';
import { storesOf, TEST_SECRET, testApp } from '../helpers/app.js';
import { addDelivery, addEvent, addSubscriber, asStaff, csrfFrom, staffForm } from '../helpers/staff.js';

const EMAIL = 'erase.me@example.org';
const NAME = 'Zebediah';
const IP = '203.0.113.77';
const UA = 'EraseTestAgent/9.9';
const PERSONAL = [EMAIL, NAME, IP, UA, '198.51.100.23', 'ClickerUA/1.0'];

/** A subscriber with personal data in every table that can hold it, plus an unrelated subscriber. */
function seed(db: Db) {
  const s = addSubscriber(db, {
    email: EMAIL,
    firstName: NAME,
    reader: 'supporter',
    signupIp: IP,
    signupUserAgent: UA,
    confirmedAt: Date.parse('2026-03-01T10:00:00Z'),
    consentText: 'I agree',
    consentIp: IP,
    consentUserAgent: UA,
    consentSource: 'homepage',
    nextStep: 3,
    nextSendAt: Date.parse('2026-03-03T14:00:00Z'),
  });
  const other = addSubscriber(db, { email: 'stay@example.org', firstName: 'Stay', nextStep: 3, nextSendAt: Date.parse('2026-03-03T14:00:00Z') });
  const sent = addDelivery(db, { subscriberId: s.id, step: 1, subject: `${NAME}, welcome`, providerId: 'p-1', sentAt: 1 });
  addDelivery(db, { subscriberId: s.id, step: 2, status: 'failed', subject: 'Step 2', error: `422: invalid address ${EMAIL}` });
  addEvent(db, { id: 'evt_click', type: 'email.clicked', deliveryId: sent.id, detail: JSON.stringify({ to: [EMAIL], click: { ipAddress: '198.51.100.23', userAgent: 'ClickerUA/1.0' } }) });
  addEvent(db, { id: 'evt_orphan', type: 'email.bounced', detail: JSON.stringify({ to: [EMAIL] }) });
  // An unsent batch holding step 3 for both subscribers.
  const batchId = Number(db.$client.prepare("insert into batches (status, idempotency_key, payload, created_at) values ('ready', 'k1', null, 1)").run().lastInsertRowid);
  const mine = addDelivery(db, { subscriberId: s.id, step: 3, status: 'queued', batchId, subject: `${NAME}, step 3` });
  const theirs = addDelivery(db, { subscriberId: other.id, step: 3, status: 'queued', batchId, subject: 'Stay, step 3' });
  const tag = (id: number) => [{ name: 'delivery', value: String(id) }];
  const payload = JSON.stringify([
    { from: 'x@y.z', to: [EMAIL], subject: `${NAME}, step 3`, html: `<p>Hi ${NAME}</p>`, text: `Hi ${NAME}`, tags: tag(mine.id) },
    { from: 'x@y.z', to: ['stay@example.org'], subject: 'Stay, step 3', html: '<p>Hi Stay</p>', text: 'Hi Stay', tags: tag(theirs.id) },
  ]);
  db.$client.prepare('update batches set payload = ? where id = ?').run(payload, batchId);
  db.$client.prepare("insert into activity (subscriber_id, type, at, detail) values (?, 'signup', 1, ?)").run(s.id, JSON.stringify({ ip: IP, ua: UA }));
  db.$client.prepare("insert into activity (subscriber_id, type, at, detail) values (null, 'bounced', 1, ?)").run(JSON.stringify({ email: EMAIL }));
  return { s, other, batchId };
}

/** Every text cell of every row of the tables that could hold personal data. */
function dump(db: Db): string {
  const rows = (t: string) => db.$client.prepare(`select * from ${t}`).all() as { payload?: string | null }[];
  // A request body is stored compressed: read it as the text it is.
  const text = (r: { payload?: string | null }) => (r.payload ? { ...r, payload: Buffer.concat(openRequest(r.payload).body).toString() } : r);
  return ['subscribers', 'deliveries', 'batches', 'activity', 'provider_events', 'suppressions']
    .map((t) => JSON.stringify(rows(t).map(text)))
    .join('\n');
}

describe('erase', () => {
  it('removes the personal data everywhere, keeps deliveries and only the keyed hash', async () => {
    const { app, db } = testApp();
    const { s, other, batchId } = seed(db);
    for (const p of PERSONAL) expect(dump(db)).toContain(p);

    const res = await app.request(`/api/subscribers/${s.id}`, asStaff({ method: 'DELETE' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: s.id, status: 'erased', alreadyErased: false, withdrawnFromBatches: 1, outboxFilesRemoved: 0 });

    const after = dump(db);
    for (const p of PERSONAL) expect(after, p).not.toContain(p);

    const row = db.$client.prepare('select * from subscribers where id = ?').get(s.id) as Record<string, unknown>;
    expect(row).toMatchObject({ status: 'erased', email: null, first_name: null, reader: null, signup_ip: null, consent_ip: null, consent_user_agent: null, erased_at: Date.parse('2026-03-02T14:00:00Z') });
    expect(row.email_hash).not.toBe(emailHash(TEST_SECRET, EMAIL));
    expect(db.$client.prepare('select * from suppressions').all()).toEqual([{ email_hash: emailHash(TEST_SECRET, EMAIL), reason: 'erased', created_at: Date.parse('2026-03-02T14:00:00Z') }]);

    const dels = db.$client.prepare('select step, status from deliveries where subscriber_id = ? order by step').all(s.id);
    expect(dels).toEqual([
      { step: 1, status: 'sent' },
      { step: 2, status: 'failed' },
      { step: 3, status: 'queued' }, // the worker drops it before the attempt (see below)
    ]);
    // The other subscriber is untouched, in the row and in the batch.
    const batch = db.$client.prepare('select payload, idempotency_key as key from batches where id = ?').get(batchId) as { payload: string; key: string };
    const { emails, body } = openRequest(batch.payload);
    expect(JSON.parse(Buffer.concat(body).toString())).toEqual([expect.objectContaining({ to: ['stay@example.org'], subject: 'Stay, step 3' })]);
    expect(batch.key).toBe(batchRequest(emails).idempotencyKey);
    expect(db.$client.prepare("select status from deliveries where subscriber_id = ? and step = 3").get(other.id)).toEqual({ status: 'queued' });
    expect(db.$client.prepare(`select email, first_name, next_step FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' WHERE s.id = ?`).get(other.id)).toEqual({ email: 'stay@example.org', first_name: 'Stay', next_step: 3 });
    expect(db.$client.prepare("select type from provider_events order by id").all()).toEqual([{ type: 'email.clicked' }, { type: 'email.bounced' }]);
    expect(db.$client.prepare("select type from activity where subscriber_id = ? order by id").all(s.id)).toEqual([{ type: 'signup' }, { type: 'erased' }]);
  });

  it('an erased person signing up again themselves gets only the double opt-in email, as a new person; the erased record stays empty', async () => {
    const { app, db, transport, drain } = testApp();
    const { s } = seed(db);
    expect((await app.request(`/api/subscribers/${s.id}`, asStaff({ method: 'DELETE' }))).status).toBe(200);
    const res = await app.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, firstName: NAME, consent: true }) });
    expect(res.status).toBe(202);
    await drain();
    const mail = transport.sent.filter((m) => m.to === EMAIL);
    expect(mail.map((m) => m.tags?.find((tag) => tag.name === 'category')?.value)).toEqual(['confirmation']);
    expect(db.$client.prepare('select email, first_name, status from subscribers where id = ?').get(s.id)).toEqual({ email: null, first_name: null, status: 'erased' });
    expect(db.$client.prepare("select status from subscribers where email = ?").all(EMAIL)).toEqual([{ status: 'pending' }]);
  });

  it('is idempotent and answers 404 for an unknown subscriber', async () => {
    const { app, db } = testApp();
    const { s } = seed(db);
    expect((await app.request(`/api/subscribers/${s.id}/erase`, asStaff({ method: 'POST' }))).status).toBe(200);
    const again = await app.request(`/api/subscribers/${s.id}/erase`, asStaff({ method: 'POST' }));
    expect(await again.json()).toMatchObject({ alreadyErased: true });
    expect(db.$client.prepare("select count(*) as n from activity where type = 'erased'").get()).toEqual({ n: 1 });
    expect((await app.request('/api/subscribers/999', asStaff({ method: 'DELETE' }))).status).toBe(404);
    expect((await app.request('/api/subscribers/abc', asStaff({ method: 'DELETE' }))).status).toBe(400);
  });

  it('from the subscriber page: the form posts with its CSRF token and a confirmation tick', async () => {
    const { app, db } = testApp();
    const { s } = seed(db);
    const html = await (await app.request(`/staff/subscribers/${s.id}`, asStaff())).text();
    const token = csrfFrom(html);
    const unticked = await app.request(`/staff/subscribers/${s.id}/erase`, staffForm({ _csrf: token }));
    expect(unticked.status).toBe(400);
    expect(db.$client.prepare('select status from subscribers where id = ?').get(s.id)).toEqual({ status: 'active' });
    const res = await app.request(`/staff/subscribers/${s.id}/erase`, staffForm({ _csrf: token, confirm: 'yes' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/staff/subscribers/${s.id}?done=erased`);
    expect(dump(db)).not.toContain(EMAIL);
    const page = await (await app.request(res.headers.get('location')!, asStaff())).text();
    expect(page).toContain('Subscriber #1 (erased)');
    expect(page).toContain('Erased: the personal data is gone');
  });

  it('an erase between the worker preparing a batch and sending it: their email never goes, the others do', async () => {
    const { db } = testApp();
    const transport = memoryTransport();
    const [a, b, c] = seedDue(db, 3, { at: Date.parse('2026-03-02T14:00:00Z') });
    const h = tickHarness(db, transport, { now: '2026-03-02T14:00:00Z' });
    let erased = false;
    // The pacer is awaited after the batch is claimed and rendered (the request is
    // in the worker's memory) and before the attempt persists and sends it.
    const pacer = {
      ...h.deps.pacer,
      acquire: async () => {
        if (!erased) {
          await eraseSubscriber(storesOf(db), b!, h.clock.now());
          erased = true;
        }
        return { started() {} };
      },
    };
    const summary = await h.tick({ pacer });
    expect(erased).toBe(true);
    expect(transport.sent.map((m) => m.to).sort()).toEqual(['person0@example.org', 'person2@example.org']);
    expect(summary).toMatchObject({ sent: 2, dropped: 1 });
    expect(db.$client.prepare('select subscriber_id as id, status from deliveries order by subscriber_id').all()).toEqual([
      { id: a, status: 'sent' },
      { id: b, status: 'dropped' },
      { id: c, status: 'sent' },
    ]);
    expect(JSON.stringify(db.$client.prepare('select * from batches').all())).not.toContain('person1@example.org');
  });

  it('rewrites a request by recipient only (any spelling), as a new request; nothing left or unreadable: cleared', () => {
    const email = (to: string, text: string) => ({ from: 'x@y.z', to, subject: 's', html: `<p>${text}</p>`, text });
    const both = batchRequest([email('a@x.org', 'b@x.org'), email('b@x.org', 'hi')]);
    expect(requestWithout(both.payload, 'B@X.org')).toEqual({ kind: 'rewritten', request: batchRequest([email('a@x.org', 'b@x.org')]) });
    expect(requestWithout(both.payload, 'c@x.org')).toEqual({ kind: 'unchanged' });
    // A request an earlier release persisted: the emails' own JSON.
    expect(requestWithout(JSON.stringify([email('a@x.org', 'x'), email('b@x.org', 'y')]), 'a@x.org')).toEqual({ kind: 'rewritten', request: batchRequest([email('b@x.org', 'y')]) });
    expect(requestWithout(batchRequest([email('a@x.org', 'x')]).payload, 'a@x.org')).toEqual({ kind: 'cleared' });
    expect(requestWithout('not json', 'a@x.org')).toEqual({ kind: 'cleared' });
  });
});

describe('mark converted from the subscriber page', () => {
  it('posts with the CSRF token, ends the sequence, records the activity', async () => {
    const { app, db } = testApp();
    const { s } = seed(db);
    const html = await (await app.request(`/staff/subscribers/${s.id}`, asStaff())).text();
    expect(html).toContain(`action="/staff/subscribers/${s.id}/converted"`);
    expect((await app.request(`/staff/subscribers/${s.id}/converted`, staffForm({}))).status).toBe(403);
    const res = await app.request(`/staff/subscribers/${s.id}/converted`, staffForm({ _csrf: csrfFrom(html) }));
    expect(res.status).toBe(303);
    expect(db.$client.prepare(`select status, next_step, next_send_at FROM subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' WHERE s.id = ?`).get(s.id)).toEqual({ status: 'converted', next_step: null, next_send_at: null });
    expect(db.$client.prepare("select count(*) as n from activity where type = 'converted' and subscriber_id = ?").get(s.id)).toEqual({ n: 1 });
    const page = await (await app.request(res.headers.get('location')!, asStaff())).text();
    expect(page).toContain('Marked as converted');
    expect(page).not.toContain(`action="/staff/subscribers/${s.id}/converted"`);
    expect((await app.request('/staff/subscribers/999/converted', staffForm({ _csrf: csrfFrom(html) }))).status).toBe(404);
  });
});

describe('CSRF on staff forms', () => {
  async function setup() {
    const t = testApp();
    const { s } = seed(t.db);
    const token = csrfFrom(await (await t.app.request(`/staff/subscribers/${s.id}`, asStaff())).text());
    const path = `/staff/subscribers/${s.id}/erase`;
    const untouched = () => expect(t.db.$client.prepare('select status from subscribers where id = ?').get(s.id)).toEqual({ status: 'active' });
    return { ...t, token, path, untouched };
  }

  it('refuses a form without a token, with a forged or expired token', async () => {
    const { app, clock, token, path, untouched } = await setup();
    for (const fields of <Record<string, string>[]>[{ confirm: 'yes' }, { confirm: 'yes', _csrf: 'forged' }, { confirm: 'yes', _csrf: `${Date.parse('2026-03-02T14:00:00Z')}.${'A'.repeat(43)}` }]) {
      const res = await app.request(path, staffForm(fields));
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('Form refused');
    }
    clock.advance(13 * 3600_000);
    expect((await app.request(path, staffForm({ _csrf: token, confirm: 'yes' }))).status).toBe(403);
    untouched();
  });

  it('refuses a form from another origin even with a valid token', async () => {
    const { app, token, path, untouched } = await setup();
    const foreign = await app.request(path, staffForm({ _csrf: token, confirm: 'yes' }, { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' }));
    expect(foreign.status).toBe(403);
    const crossSite = await app.request(path, staffForm({ _csrf: token, confirm: 'yes' }, { origin: '', 'sec-fetch-site': 'cross-site' }));
    expect(crossSite.status).toBe(403);
    untouched();
  });

  it('refuses a cross-site request on the JSON API', async () => {
    const { app, db } = testApp();
    const { s } = seed(db);
    const res = await app.request(`/api/subscribers/${s.id}/erase`, asStaff({ method: 'POST', headers: { origin: 'https://evil.test' } }));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
    expect(db.$client.prepare('select status from subscribers where id = ?').get(s.id)).toEqual({ status: 'active' });
  });
});
