import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';
import { addSubscriber, asStaff, basicAuthOf, csrfFrom, historyRows, staffForm } from '../helpers/staff.js';

type T = ReturnType<typeof testApp>;

const entries = (t: T) =>
  (
    t.db.$client.prepare('SELECT at, actor, action, subscriber_id AS s, detail FROM audit_log ORDER BY id').all() as {
      at: number;
      actor: string;
      action: string;
      s: number | null;
      detail: string | null;
    }[]
  ).map((e) => ({
    ...e,
    detail: e.detail === null ? null : JSON.parse(e.detail),
  }));

async function tokenFor(t: T, id: number) {
  return csrfFrom(await (await t.app.request(`/staff/subscribers/${id}`, asStaff())).text());
}

describe('audit entries of each staff action', () => {
  it('staff pages: converted (editor), a test with their data (editor), GDPR export, CSV export and erase (admin)', async () => {
    const t = testApp();
    const s = addSubscriber(t.db, { email: 'audited.person@example.org', firstName: 'Audrey' });
    const _csrf = await tokenFor(t, s.id);
    expect((await t.app.request(`/staff/subscribers/${s.id}/converted`, staffForm({ _csrf }, {}, 'editor'))).status).toBe(303);
    expect((await t.app.request(`/staff/templates/01-welcome/test`, staffForm({ _csrf, to: 'qa@clinic.example', subscriber: String(s.id) }, {}, 'editor'))).status).toBe(303);
    expect((await t.app.request(`/staff/subscribers/${s.id}/export.json`, asStaff())).status).toBe(200);
    expect((await t.app.request('/staff/subscribers/export.csv', asStaff())).status).toBe(200);
    expect((await t.app.request(`/staff/subscribers/${s.id}/erase`, staffForm({ _csrf, confirm: 'yes' }))).status).toBe(303);
    const now = t.clock.now();
    expect(entries(t)).toEqual([
      { at: now, actor: 'eddie', action: 'subscriber.converted', s: s.id, detail: null },
      { at: now, actor: 'eddie', action: 'template.test_sent', s: s.id, detail: { template: '01-welcome', to: 'qa@clinic.example', deliveryId: expect.any(Number) } },
      { at: now, actor: 'staff', action: 'subscriber.exported', s: s.id, detail: { format: 'json' } },
      { at: now, actor: 'staff', action: 'subscribers.exported', s: null, detail: { format: 'csv' } },
      { at: now, actor: 'staff', action: 'subscriber.erased', s: s.id, detail: { alreadyErased: false, withdrawnFromBatches: 0 } },
    ]);
    // Nothing of the person is kept in the log, so the erasure left nothing behind in it.
    expect(JSON.stringify(entries(t))).not.toMatch(/audited|Audrey/i);
  });

  it('the API: converted and a test (editor, basic auth), export and erase (admin)', async () => {
    const t = testApp();
    const s = addSubscriber(t.db, { email: 'api.person@example.org' });
    const editor = { authorization: basicAuthOf('editor') };
    expect((await t.app.request(`/api/subscribers/${s.id}/converted`, { method: 'POST', headers: editor })).status).toBe(200);
    const test = await t.app.request('/api/templates/confirmation/test', {
      method: 'POST',
      headers: { ...editor, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'qa@clinic.example' }),
    });
    expect(test.status).toBe(202);
    expect((await t.app.request(`/api/subscribers/${s.id}/export`, asStaff())).status).toBe(200);
    expect((await t.app.request(`/api/subscribers/${s.id}`, asStaff({ method: 'DELETE' }))).status).toBe(200);
    expect(entries(t).map((e) => [e.actor, e.action, e.s])).toEqual([
      ['eddie', 'subscriber.converted', s.id],
      ['eddie', 'template.test_sent', null],
      ['staff', 'subscriber.exported', s.id],
      ['staff', 'subscriber.erased', s.id],
    ]);
  });

  it('refused, failed and repeated actions leave no entry', async () => {
    const t = testApp();
    const s = addSubscriber(t.db, { status: 'converted', convertedAt: 1 });
    expect((await t.app.request(`/api/subscribers/${s.id}/converted`, asStaff({ method: 'POST' }))).status).toBe(200);
    expect((await t.app.request('/api/subscribers/999/export', asStaff())).status).toBe(404);
    expect((await t.app.request('/api/subscribers/999', asStaff({ method: 'DELETE' }))).status).toBe(404);
    expect((await t.app.request(`/api/subscribers/${s.id}`, asStaff({ method: 'DELETE' }, 'editor'))).status).toBe(403);
    expect(entries(t)).toEqual([]);
  });

  it('the subscriber page lists the staff actions on that person', async () => {
    const t = testApp();
    const s = addSubscriber(t.db);
    const other = addSubscriber(t.db);
    await t.app.request(`/api/subscribers/${s.id}/converted`, asStaff({ method: 'POST' }, 'editor'));
    await t.app.request(`/api/subscribers/${other.id}/export`, asStaff());
    const html = await (await t.app.request(`/staff/subscribers/${s.id}`, asStaff({}, 'viewer'))).text();
    expect(historyRows(html)).toEqual(['2026-03-02 09:00 | Marked as converted (booked a consult): their sequences ended | Staff: eddie']);
    expect(html).not.toContain('Downloaded the GDPR export');
    expect(historyRows(await (await t.app.request(`/staff/subscribers/${other.id}`, asStaff())).text())).toEqual(['2026-03-02 09:00 | Downloaded the GDPR export: as JSON | Staff: staff']);
  });
});

describe('the audit log for admins', () => {
  async function seeded() {
    const t = testApp();
    const s = addSubscriber(t.db);
    for (let i = 0; i < 60; i++) {
      await t.stores.staff.audit({
        at: t.clock.now() + i * 1000,
        actor: i % 2 ? 'eddie' : 'staff',
        action: i % 2 ? 'subscriber.converted' : 'login',
        subscriberId: i % 2 ? s.id : null,
        detail: { n: i },
      });
    }
    return { t, s };
  }

  it('GET /staff/audit: staff actions newest first, 50 a page, logins on their own tab, details in words', async () => {
    const { t, s } = await seeded();
    const html = await (await t.app.request('/staff/audit', asStaff())).text();
    expect(html).toContain('30 entries');
    expect(html).toContain('<a href="/staff/audit" aria-current="page">Staff actions</a>');
    expect(html).toContain('<a href="/staff/audit?kind=logins">Logins</a>');
    expect(html.match(/<tr><td>/g)).toHaveLength(30);
    expect(html).not.toContain('Logged in');
    expect(html).toContain(`href="/staff/subscribers/${s.id}"`);
    // The detail { n } of an action this code has no words for beyond its name: words, never JSON.
    expect(html).not.toMatch(/\{&quot;|\{"/);
    const logins = await (await t.app.request('/staff/audit?kind=logins', asStaff())).text();
    expect(logins).toContain('30 entries');
    expect(logins).toContain('<a href="/staff/audit?kind=logins" aria-current="page">Logins</a>');
    expect(logins).toContain('<td>Logged in</td>');
    expect(logins).not.toContain('Marked converted');
  });

  it('pages of 50 keep the filters in their links', async () => {
    const t = testApp();
    for (let i = 0; i < 60; i++) await t.stores.staff.audit({ at: t.clock.now() + i * 1000, actor: 'robin', action: 'subscriber.resumed', subscriberId: null, detail: {} });
    const first = await (await t.app.request('/staff/audit?staff=robin', asStaff())).text();
    expect(first.match(/<tr><td>/g)).toHaveLength(50);
    expect(first).toContain('href="/staff/audit?staff=robin&amp;page=2"');
    const second = await (await t.app.request('/staff/audit?staff=robin&page=2', asStaff())).text();
    expect(second.match(/<tr><td>/g)).toHaveLength(10);
    expect(second).toContain('href="/staff/audit?staff=robin"');
  });

  it('filters by person, action, staff member and days read in the zone the form names, and says so', async () => {
    const t = testApp();
    const a = addSubscriber(t.db);
    const b = addSubscriber(t.db);
    const entry = (at: string, actor: string, action: string, subscriberId: number | null, detail: Record<string, unknown> | null = null) =>
      t.stores.staff.audit({ at: Date.parse(at), actor, action, subscriberId, detail });
    // 03:30 UTC on 2 March is 22:30 on 1 March in New York.
    await entry('2026-03-02T03:30:00Z', 'robin', 'subscriber.paused', a.id, { until: '2026-04-01T04:00:00.000Z' });
    await entry('2026-03-02T15:00:00Z', 'ada', 'subscriber.unsubscribed', b.id, { reason: 'Asked by phone' });
    await entry('2026-03-03T15:00:00Z', 'robin', 'subscriber.enrolled', b.id, { sequence: 'consult-follow-up' });
    await entry('2026-03-03T16:00:00Z', 'robin', 'login', null);
    const rows = async (query: string) => {
      const res = await t.app.request(`/staff/audit${query}`, asStaff());
      expect(res.status, query).toBe(200);
      return [...(await res.text()).matchAll(/<tr><td>(.*?)<\/td><td>(.*?)<\/td><td>(.*?)<\/td><td>.*?<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => `${m[1]} ${m[2]}: ${m[3]} (${m[4]})`);
    };
    expect(await rows('')).toEqual([
      '2026-03-03 10:00 robin: Started a sequence for them (Consult follow-up)',
      '2026-03-02 10:00 ada: Unsubscribed on their behalf (“Asked by phone”)',
      '2026-03-01 22:30 robin: Paused their emails (until 2026-04-01 00:00 (America/New_York))',
    ]);
    expect(await rows(`?subscriber=${b.id}`)).toHaveLength(2);
    // By address, in any spelling; an address nobody has finds nothing, and the page says so.
    expect(await rows(`?subscriber=${encodeURIComponent(` ${b.email!.toUpperCase()}`)}`)).toHaveLength(2);
    expect(await rows('?subscriber=nobody%40example.org')).toEqual([]);
    expect(await (await t.app.request('/staff/audit?subscriber=nobody%40example.org', asStaff())).text()).toContain('No subscriber has the address nobody@example.org');
    expect((await (await t.app.request(`/api/audit?subscriber=${encodeURIComponent(b.email!)}`, asStaff())).json()).total).toBe(2);
    expect((await (await t.app.request('/api/audit?subscriber=nobody%40example.org', asStaff())).json()).total).toBe(0);
    expect(await rows('?action=subscriber.paused')).toHaveLength(1);
    expect(await rows('?staff=robin')).toHaveLength(2);
    expect(await rows('?staff=robin&kind=logins')).toEqual(['2026-03-03 11:00 robin: Logged in ()']);
    expect(await rows('?from=2026-03-01&to=2026-03-01')).toHaveLength(1);
    expect(await rows('?from=2026-03-01&to=2026-03-01&tz=UTC')).toEqual([]);
    expect(await rows('?from=2026-03-02&tz=UTC')).toEqual([
      '2026-03-03 15:00 robin: Started a sequence for them (Consult follow-up)',
      '2026-03-02 15:00 ada: Unsubscribed on their behalf (“Asked by phone”)',
      '2026-03-02 03:30 robin: Paused their emails (until 2026-04-01 04:00 (UTC))',
    ]);
    expect(await rows('?to=2026-03-02&staff=ada')).toHaveLength(1);
    const html = await (await t.app.request('/staff/audit?from=2026-03-01&to=2026-03-02&tz=Europe/Berlin&staff=robin', asStaff())).text();
    expect(html).toContain('<label for="audit-from">From (day, Europe/Berlin)</label>');
    expect(html).toContain('<th scope="col">When (Europe/Berlin)</th>');
    expect(html).toContain('1 entry, by robin, from 2026-03-01 to 2026-03-02 (Europe/Berlin)');
    expect(html).toContain('<option value="robin" selected="">robin</option>');
    expect(html).toContain('<option value="Europe/Berlin" selected="">Europe/Berlin</option>');
  });

  it('a bad filter is a 400 that says what is wrong, on the page and the API', async () => {
    const t = testApp();
    for (const [q, says] of <[string, string][]>[
      ['from=2026-13-01', 'from: a date as YYYY-MM-DD'],
      ['to=yesterday', 'to: a date as YYYY-MM-DD'],
      ['from=2026-03-05&to=2026-03-01', 'the first day (from) comes after the last day (to)'],
      ['tz=Mars/Olympus', 'tz: an IANA time zone'],
      ['action=subscriber.teleported', 'action: one of the actions'],
      ['kind=everything', 'kind: one of actions, logins'],
    ]) {
      const page = await t.app.request(`/staff/audit?${q}`, asStaff());
      expect(page.status, q).toBe(400);
      expect(await page.text(), q).toContain(says);
      const api = await t.app.request(`/api/audit?${q}`, asStaff());
      expect(api.status, q).toBe(400);
      expect(await api.json()).toEqual({ error: { code: 'bad_query', message: expect.stringContaining(says) } });
    }
  });

  it('GET /api/audit takes the same filters; without a kind it lists logins too', async () => {
    const { t, s } = await seeded();
    expect((await (await t.app.request('/api/audit?kind=logins', asStaff())).json()).total).toBe(30);
    expect((await (await t.app.request('/api/audit?kind=actions&staff=eddie', asStaff())).json()).total).toBe(30);
    expect((await (await t.app.request('/api/audit?staff=staff', asStaff())).json()).total).toBe(30);
    expect((await (await t.app.request(`/api/audit?action=subscriber.converted&subscriber=${s.id}`, asStaff())).json()).total).toBe(30);
    expect((await (await t.app.request('/api/audit?from=2026-03-03&tz=UTC', asStaff())).json()).total).toBe(0);
    expect((await (await t.app.request('/api/audit?from=2026-03-02&to=2026-03-02&tz=UTC', asStaff())).json()).total).toBe(60);
  });

  it('GET /api/audit: newest first, paged, per subscriber; bad queries are 400 in the one shape', async () => {
    const { t, s } = await seeded();
    const body = await (await t.app.request('/api/audit', asStaff())).json();
    expect(body).toMatchObject({ page: 1, pageSize: 50, pageCount: 2, total: 60 });
    expect(body.items).toHaveLength(50);
    expect(body.items[0]).toEqual({
      id: expect.any(Number),
      at: new Date(t.clock.now() + 59_000).toISOString(),
      actor: 'eddie',
      action: 'subscriber.converted',
      subscriberId: s.id,
      detail: { n: 59 },
    });
    expect((await (await t.app.request('/api/audit?page=2', asStaff())).json()).items.map((e: { detail: { n: number } }) => e.detail.n)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect((await (await t.app.request(`/api/audit?subscriber=${s.id}`, asStaff())).json()).total).toBe(30);
    for (const q of ['page=0', 'page=x', 'subscriber=-1', 'subscriber=abc']) {
      const res = await t.app.request(`/api/audit?${q}`, asStaff());
      expect(res.status, q).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'bad_query', message: expect.any(String) } });
    }
    expect((await t.app.request('/staff/audit?page=0', asStaff())).status).toBe(400);
  });
});
