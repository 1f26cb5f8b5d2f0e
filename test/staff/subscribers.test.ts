import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { neutraliseFormula } from '../../src/subscribers/export.js';
import { likeSubstring } from '../../db/text.js';
import { testApp } from '../helpers/app.js';
import { addDelivery, addEvent, addSubscriber, asStaff } from '../helpers/staff.js';

function seedMany(db: ReturnType<typeof testApp>['db'], n: number) {
  const base = Date.parse('2026-02-01T00:00:00Z');
  for (let i = 1; i <= n; i++) {
    // Two subscribers share each signup time, so order must break ties by id.
    addSubscriber(db, { email: `user${i}@example.org`, status: i % 3 === 0 ? 'unsubscribed' : 'active', createdAt: base + Math.floor(i / 2) * 1000 });
  }
}

describe('subscribers list', () => {
  it('pages 50 at a time, newest first, stable across pages', async () => {
    const { app, db } = testApp();
    seedMany(db, 120);
    const pages = [];
    for (const p of [1, 2, 3]) {
      const res = await app.request(`/api/subscribers?page=${p}`, asStaff());
      expect(res.status).toBe(200);
      pages.push(await res.json());
    }
    expect(pages.map((p) => p.items.length)).toEqual([50, 50, 20]);
    expect(pages[0].total).toBe(120);
    expect(pages[0].pageCount).toBe(3);
    const ids = pages.flatMap((p) => p.items.map((i: { id: number }) => i.id));
    expect(new Set(ids).size).toBe(120);
    expect(ids[0]).toBe(120);
    expect(ids[1]).toBe(119);
    expect(ids.at(-1)).toBe(1);
  });

  it('filters by status and counts every status', async () => {
    const { app, db } = testApp();
    seedMany(db, 30);
    const body = await (await app.request('/api/subscribers?status=unsubscribed', asStaff())).json();
    expect(body.total).toBe(10);
    expect(body.items.every((i: { status: string }) => i.status === 'unsubscribed')).toBe(true);
    expect(body.statusCounts).toMatchObject({ active: 20, unsubscribed: 10, pending: 0, erased: 0 });
    expect(body.all).toBe(30);
  });

  it('filters by paused: only people receiving the series whose pause is still running, on the API and the page', async () => {
    const t = testApp();
    const now = t.clock.now();
    const paused = addSubscriber(t.db, { email: 'paused@example.org', status: 'active', pausedUntil: now + 86_400_000 });
    addSubscriber(t.db, { email: 'pause-ended@example.org', status: 'active', pausedUntil: now - 1 });
    addSubscriber(t.db, { email: 'reading@example.org', status: 'active' });
    addSubscriber(t.db, { email: 'left@example.org', status: 'unsubscribed', pausedUntil: now + 86_400_000 });
    const body = await (await t.app.request('/api/subscribers?paused=true', asStaff())).json();
    expect(body.items.map((i: { id: number }) => i.id)).toEqual([paused.id]);
    expect((await (await t.app.request('/api/subscribers?paused=false', asStaff())).json()).total).toBe(4);
    expect((await t.app.request('/api/subscribers?paused=maybe', asStaff())).status).toBe(400);
    const html = await (await t.app.request('/staff/subscribers?paused=true', asStaff())).text();
    expect(html).toContain('paused@example.org');
    expect(html).not.toContain('reading@example.org');
    expect(html).toMatch(/<input type="checkbox" id="paused" name="paused" value="true" checked/);
  });

  it('searches a literal substring of the address (LIKE wildcards escaped, case-insensitive)', async () => {
    const { app, db } = testApp();
    addSubscriber(db, { email: 'a_b@example.org' });
    addSubscriber(db, { email: 'axb@example.org' });
    addSubscriber(db, { email: '100%real@example.org' });
    addSubscriber(db, { email: 'Mixed.Case@example.org' });
    const emails = async (q: string) =>
      (await (await app.request(`/api/subscribers?q=${encodeURIComponent(q)}`, asStaff())).json()).items.map((i: { email: string }) => i.email);
    expect(await emails('a_b')).toEqual(['a_b@example.org']);
    expect(await emails('%')).toEqual(['100%real@example.org']);
    expect(await emails('mixed.case')).toEqual(['Mixed.Case@example.org']);
    expect(await emails('  axb@ ')).toEqual(['axb@example.org']);
    expect(await emails('nobody')).toEqual([]);
    // A caller gives their name: found by first name too, case-insensitive.
    addSubscriber(db, { email: 'r.w@example.org', firstName: 'Rosalind' });
    expect(await emails('rosa')).toEqual(['r.w@example.org']);
    expect(likeSubstring('a\\b%_')).toBe('%a\\\\b\\%\\_%');
  });

  it('answers bad query values with 400 in the error shape, on the API and the page', async () => {
    const { app } = testApp();
    for (const q of ['status=nope', 'page=0', 'page=-1', 'page=abc', `q=${'x'.repeat(300)}`]) {
      const res = await app.request(`/api/subscribers?${q}`, asStaff());
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'bad_query', message: expect.any(String) } });
      const page = await app.request(`/staff/subscribers?${q}`, asStaff());
      expect(page.status).toBe(400);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
    }
  });

  it('a page past the end shows the last page', async () => {
    const { app, db } = testApp();
    seedMany(db, 60);
    const body = await (await app.request('/api/subscribers?page=9', asStaff())).json();
    expect(body.page).toBe(2);
    expect(body.items).toHaveLength(10);
  });

  it('renders the list page with search, filter, counts and pager links', async () => {
    const { app, db } = testApp();
    seedMany(db, 60);
    const html = await (await app.request('/staff/subscribers?status=active', asStaff())).text();
    expect(html).toContain('40 subscribers match; page 1 of 1.');
    expect(html).toContain('<option value="unsubscribed">unsubscribed (20)</option>');
    expect(html).toContain('<option value="active" selected="">active (40)</option>');
    const all = await (await app.request('/staff/subscribers', asStaff())).text();
    expect(all).toContain('href="/staff/subscribers?page=2"');
    expect(all).toContain('href="/staff/subscribers/60"');
  });
});

describe('subscriber page and record', () => {
  it('shows status, the consent record, each delivery with its provider events', async () => {
    const { app, db } = testApp();
    const s = addSubscriber(db, {
      email: 'reader@example.org',
      firstName: 'Rea <b>',
      reader: 'professional',
      confirmedAt: Date.parse('2026-03-01T14:00:00Z'),
      consentText: 'Yes, send me eight emails',
      consentVersion: 'v1',
      consentIp: '203.0.113.9',
      consentUserAgent: 'TestBrowser/1.0',
      consentSource: 'homepage',
    });
    const d = addDelivery(db, { subscriberId: s.id, step: 1, subject: 'What MDMA-assisted therapy is', sentAt: Date.parse('2026-03-01T14:01:00Z') });
    addEvent(db, { id: 'evt_1', type: 'email.delivered', deliveryId: d.id, providerId: 'p1' });
    addEvent(db, { id: 'evt_2', type: 'email.opened', deliveryId: d.id, providerId: 'p1' });
    const html = await (await app.request(`/staff/subscribers/${s.id}`, asStaff())).text();
    expect(html).toContain('<h1>reader@example.org</h1>');
    expect(html).toContain('Rea &lt;b&gt;');
    expect(html).toMatch(/Reads for<\/dt>\s*<dd>professional<\/dd>/);
    expect(html).toContain('Yes, send me eight emails');
    expect(html).toContain('203.0.113.9');
    expect(html).toContain('TestBrowser/1.0');
    expect(html).toContain('homepage');
    expect(html).toContain('2026-03-01 09:00 (America/New_York)');
    expect(html).toContain('What MDMA-assisted therapy is');
    expect(html).toContain('email.delivered');
    expect(html).toContain('email.opened');

    const json = await (await app.request(`/api/subscribers/${s.id}`, asStaff())).json();
    expect(json.subscriber.email).toBe('reader@example.org');
    expect(json.deliveries[0].events.map((e: { id: string }) => e.id)).toEqual(['evt_1', 'evt_2']);
  });

  it('a viewer sees the address masked and no IP address or user agent, on the list, the page and the API; editors and admins see the record', async () => {
    const { app, db } = testApp();
    const s = addSubscriber(db, {
      email: 'jordan.private@example.org',
      firstName: 'Jordan',
      signupIp: '198.51.100.23',
      signupUserAgent: 'SignupBrowser/2.0',
      confirmedAt: Date.parse('2026-03-01T14:00:00Z'),
      consentText: 'Yes, send me eight emails',
      consentVersion: 'v1',
      consentIp: '203.0.113.77',
      consentUserAgent: 'ConsentBrowser/3.0',
      nextStep: 2,
      nextSendAt: Date.parse('2026-03-03T14:00:00Z'),
    });
    const erased = addSubscriber(db, { email: null, status: 'erased' });
    const secrets = ['jordan.private', '198.51.100.23', 'SignupBrowser', '203.0.113.77', 'ConsentBrowser'];
    const pages = (role: 'viewer' | 'editor' | 'admin') =>
      Promise.all(
        ['/staff/subscribers', `/staff/subscribers/${s.id}`, `/staff/subscribers/${s.id}/next`, '/api/subscribers', `/api/subscribers/${s.id}`, `/api/subscribers?q=jordan`].map(async (path) => {
          const res = await app.request(path, asStaff({}, role));
          expect(res.status, `${role} ${path}`).toBe(200);
          return [path, await res.text()] as const;
        }),
      );

    for (const [path, body] of await pages('viewer')) {
      for (const secret of secrets) expect(body, path).not.toContain(secret);
      expect(body, path).toContain('j***@example.org');
    }
    const record = await (await app.request(`/api/subscribers/${s.id}`, asStaff({}, 'viewer'))).json();
    expect(record.subscriber).toMatchObject({ email: 'j***@example.org', firstName: 'Jordan', signupIp: null, signupUserAgent: null, consentIp: null, consentUserAgent: null, consentText: 'Yes, send me eight emails' });
    const list = await (await app.request('/api/subscribers', asStaff({}, 'viewer'))).json();
    expect(list.items.map((i: { email: string | null }) => i.email)).toEqual([null, 'j***@example.org']);
    expect((await (await app.request(`/api/subscribers/${erased.id}`, asStaff({}, 'viewer'))).json()).subscriber.email).toBeNull();

    for (const role of ['editor', 'admin'] as const) {
      const all = (await pages(role)).map(([, body]) => body).join('\n');
      for (const secret of secrets) expect(all, role).toContain(secret);
      const full = await (await app.request(`/api/subscribers/${s.id}`, asStaff({}, role))).json();
      expect(full.subscriber).toMatchObject({ email: 'jordan.private@example.org', signupIp: '198.51.100.23', signupUserAgent: 'SignupBrowser/2.0', consentIp: '203.0.113.77', consentUserAgent: 'ConsentBrowser/3.0' });
    }
  });

  it('answers bad and unknown ids with 400 / 404, never a 5xx', async () => {
    const { app } = testApp();
    for (const [path, status] of [
      ['/api/subscribers/abc', 400],
      ['/api/subscribers/0', 400],
      ['/api/subscribers/1e3', 400],
      ['/api/subscribers/99999999999999999999', 400],
      ['/api/subscribers/42', 404],
      ['/api/subscribers/42/export', 404],
      ['/api/subscribers/x/export', 400],
    ] as const) {
      const res = await app.request(path, asStaff());
      expect(res.status, path).toBe(status);
      expect((await res.json()).error.code).toBeTypeOf('string');
    }
    for (const path of ['/staff/subscribers/abc', '/staff/subscribers/42', '/staff/subscribers/42/export.json']) {
      const res = await app.request(path, asStaff());
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('No such subscriber');
    }
  });

  it('GDPR export holds the row, deliveries with events, and the history', async () => {
    const { app, db } = testApp();
    const s = addSubscriber(db, { email: 'me@example.org', firstName: 'Me', reader: 'supporter' });
    const d = addDelivery(db, { subscriberId: s.id });
    addEvent(db, { id: 'evt_9', type: 'email.clicked', deliveryId: d.id, detail: JSON.stringify({ link: 'https://x.test' }) });
    db.$client.prepare("insert into activity (subscriber_id, type, at) values (?, 'signup', 1)").run(s.id);
    for (const path of [`/api/subscribers/${s.id}/export`, `/staff/subscribers/${s.id}/export.json`]) {
      const res = await app.request(path, asStaff());
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="subscriber-${s.id}.json"`);
      const body = await res.json();
      expect(body.exportedAt).toBe('2026-03-02T14:00:00.000Z');
      expect(body.subscriber).toMatchObject({ id: s.id, email: 'me@example.org', firstName: 'Me', reader: 'supporter' });
      expect(body.deliveries[0].events[0]).toMatchObject({ id: 'evt_9', type: 'email.clicked', detail: { link: 'https://x.test' } });
      expect(body.activity.map((a: { type: string }) => a.type)).toEqual(['signup']);
      expect(body.pendingDetails).toBeNull();
    }
  });
});

describe('CSV export', () => {
  it('quotes commas, quotes and newlines, neutralises formulas, and round-trips through a CSV parser', async () => {
    const { app, db } = testApp();
    const names = ['Smith, Jane', 'Say "hi"', 'two\nlines', '=HYPERLINK("http://evil.test","x")', '+1', '-2', '@SUM(A1)', 'plain', 'Zoë 😀'];
    for (const [i, firstName] of names.entries()) {
      addSubscriber(db, { email: `csv${i}@example.org`, firstName, reader: i === 0 ? 'supporter' : null, consentText: 'I agree, "really"', consentIp: '198.51.100.7', confirmedAt: Date.parse('2026-03-01T10:00:00Z') });
    }
    const res = await app.request('/staff/subscribers/export.csv', asStaff());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="subscribers-2026-03-02.csv"');
    const text = await res.text();
    expect(text).toContain('"Smith, Jane"');
    expect(text).toContain('"Say ""hi"""');
    expect(text).toContain('"two\nlines"');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
    const rows: Record<string, string>[] = parse(text, { columns: true });
    expect(rows).toHaveLength(names.length);
    expect(rows.map((r) => r.first_name)).toEqual(['Smith, Jane', 'Say "hi"', 'two\nlines', `'=HYPERLINK("http://evil.test","x")`, "'+1", "'-2", "'@SUM(A1)", 'plain', 'Zoë 😀']);
    expect(rows.map((r) => r.reader)).toEqual(['supporter', '', '', '', '', '', '', '', '']);
    expect(rows[0]).toMatchObject({ email: 'csv0@example.org', consent_text: 'I agree, "really"', consent_ip: '198.51.100.7', confirmed_at: '2026-03-01T10:00:00.000Z', status: 'active' });
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['consent_text', 'consent_version', 'consent_ip', 'consent_user_agent', 'consent_source', 'confirmed_at']));
  });

  it('streams every subscriber, past any chunk size', async () => {
    const { app, db } = testApp();
    const insert = db.$client.prepare("insert into subscribers (email, email_hash, timezone, status, created_at, updated_at) values (?, ?, 'UTC', 'active', 1, 1)");
    db.$client.transaction(() => {
      for (let i = 0; i < 1234; i++) insert.run(`bulk${i}@example.org`, `h${i}`);
    })();
    const rows: { id: string }[] = parse(await (await app.request('/staff/subscribers/export.csv', asStaff())).text(), { columns: true });
    expect(rows).toHaveLength(1234);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1234);
  });

  it('neutralises only cells that start with a formula character', () => {
    expect(['=1', '+1', '-1', '@a', '\tx', '\rx', 'a=1', ' =1', ''].map(neutraliseFormula)).toEqual(["'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", 'a=1', ' =1', '']);
  });
});
