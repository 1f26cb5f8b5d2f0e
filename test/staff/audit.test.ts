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

  it('GET /staff/audit: newest first, 50 a page, with a link to older entries', async () => {
    const { t, s } = await seeded();
    const html = await (await t.app.request('/staff/audit', asStaff())).text();
    expect(html).toContain('60 entries');
    const rows = html.match(/<tr><td>/g) ?? [];
    expect(rows).toHaveLength(50);
    expect(html.indexOf('{&quot;n&quot;:59}')).toBeLessThan(html.indexOf('{&quot;n&quot;:58}'));
    expect(html).not.toContain('{&quot;n&quot;:9}<');
    expect(html).toContain('href="/staff/audit?page=2"');
    expect(html).toContain(`href="/staff/subscribers/${s.id}"`);
    const second = await (await t.app.request('/staff/audit?page=2', asStaff())).text();
    expect(second.match(/<tr><td>/g)).toHaveLength(10);
    expect(second).toContain('{&quot;n&quot;:0}');
    const mine = await (await t.app.request(`/staff/audit?subscriber=${s.id}`, asStaff())).text();
    expect(mine).toContain('30 entries');
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
