import { describe, expect, it } from 'vitest';
import type { StaffRole } from '../../db/types.js';
import { csrfToken } from '../../src/routes/staff/security.js';
import { TEST_SECRET, testApp } from '../helpers/app.js';
import { addSubscriber, asStaff, basicAuthOf } from '../helpers/staff.js';

type Route = { method: string; path: string; role: StaffRole; form?: Record<string, string>; json?: unknown };

// Every staff page and API route with the least role that may use it: viewer reads, editor acts on subscribers, admin erases, exports and audits.
const ROUTES: Route[] = [
  { method: 'GET', path: '/staff', role: 'viewer' },
  { method: 'GET', path: '/staff/', role: 'viewer' },
  { method: 'GET', path: '/staff/sequence', role: 'viewer' },
  { method: 'GET', path: '/staff/templates', role: 'viewer' },
  { method: 'GET', path: '/staff/templates/confirmation', role: 'viewer' },
  { method: 'GET', path: '/staff/templates/confirmation/html', role: 'viewer' },
  { method: 'GET', path: '/staff/templates/01-welcome?subscriber=1', role: 'viewer' },
  { method: 'GET', path: '/staff/subscribers', role: 'viewer' },
  { method: 'GET', path: '/staff/subscribers/1', role: 'viewer' },
  { method: 'GET', path: '/staff/subscribers/1/next', role: 'viewer' },
  { method: 'GET', path: '/staff/subscribers/1/next/html', role: 'viewer' },
  { method: 'GET', path: '/staff/outbox', role: 'admin' },
  { method: 'GET', path: '/staff/outbox/k-0123456789abcdef0123456789abcdef', role: 'admin' },
  { method: 'GET', path: '/staff/outbox/k-0123456789abcdef0123456789abcdef/html', role: 'admin' },
  { method: 'GET', path: '/staff/outbox/k-0123456789abcdef0123456789abcdef/raw', role: 'admin' },
  { method: 'GET', path: '/staff/no-such-page', role: 'viewer' },
  { method: 'POST', path: '/staff/templates/confirmation/test', role: 'editor', form: { to: 'me@example.org' } },
  { method: 'POST', path: '/staff/subscribers/1/converted', role: 'editor', form: {} },
  { method: 'POST', path: '/staff/batches/1/resend', role: 'editor', form: {} },
  { method: 'POST', path: '/staff/batches/1/sent', role: 'editor', form: {} },
  { method: 'GET', path: '/staff/subscribers/export.csv', role: 'admin' },
  { method: 'GET', path: '/staff/subscribers/1/export.json', role: 'admin' },
  { method: 'POST', path: '/staff/subscribers/1/erase', role: 'admin', form: { confirm: 'yes' } },
  { method: 'GET', path: '/staff/audit', role: 'admin' },
  { method: 'POST', path: '/staff/sending/resume', role: 'admin', form: {} },
  { method: 'GET', path: '/staff/imports', role: 'admin' },
  { method: 'POST', path: '/staff/imports', role: 'admin', form: {} },
  { method: 'GET', path: '/api/funnel', role: 'viewer' },
  { method: 'GET', path: '/api/sequence', role: 'viewer' },
  { method: 'GET', path: '/api/subscribers', role: 'viewer' },
  { method: 'GET', path: '/api/subscribers/1', role: 'viewer' },
  { method: 'GET', path: '/api/templates', role: 'viewer' },
  { method: 'GET', path: '/api/templates/confirmation', role: 'viewer' },
  { method: 'GET', path: '/api/batches/held', role: 'viewer' },
  { method: 'GET', path: '/api/health', role: 'viewer' },
  { method: 'POST', path: '/api/subscribers/1/converted', role: 'editor' },
  { method: 'POST', path: '/api/templates/confirmation/test', role: 'editor', json: { to: 'me@example.org' } },
  { method: 'POST', path: '/api/batches/1/resend', role: 'editor' },
  { method: 'POST', path: '/api/batches/1/mark-sent', role: 'editor' },
  { method: 'GET', path: '/api/subscribers/1/export', role: 'admin' },
  { method: 'DELETE', path: '/api/subscribers/1', role: 'admin' },
  { method: 'POST', path: '/api/subscribers/1/erase', role: 'admin' },
  { method: 'GET', path: '/api/audit', role: 'admin' },
  { method: 'POST', path: '/api/sending/resume', role: 'admin' },
  { method: 'POST', path: '/api/imports', role: 'admin', json: {} },
];

const ROLES: StaffRole[] = ['viewer', 'editor', 'admin'];
const rank = (r: StaffRole) => ROLES.indexOf(r);

function requestOf(route: Route, now: number, auth: Record<string, string>): RequestInit {
  if (route.form) {
    return {
      method: route.method,
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ ...route.form, _csrf: csrfToken(TEST_SECRET, now) }).toString(),
    };
  }
  if (route.json) return { method: route.method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(route.json) };
  return { method: route.method, headers: auth };
}

/** What a refused request must leave alone: the subscriber, the queue and the audit log. */
function state(db: ReturnType<typeof testApp>['db']) {
  return {
    subscribers: db.$client.prepare('SELECT email, status, converted_at FROM subscribers').all(),
    deliveries: db.$client.prepare('SELECT count(*) AS n FROM deliveries').get(),
    audit: db.$client.prepare('SELECT count(*) AS n FROM audit_log').get(),
  };
}

function setup() {
  const t = testApp();
  addSubscriber(t.db, { email: 'kept@example.org' });
  return t;
}

describe('staff roles on every route', () => {
  it.each(ROUTES.map((r) => [r.method, r.path, r] as const))('%s %s without a login: the login page for /staff, 401 for /api; nothing changes', async (_m, _p, route) => {
    const t = setup();
    const before = state(t.db);
    const res = await t.app.request(route.path, requestOf(route, t.clock.now(), {}));
    if (route.path.startsWith('/staff')) {
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/staff\/login\?next=/);
    } else {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Nurture staff"/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    expect(state(t.db)).toEqual(before);
  });

  const cases = ROUTES.flatMap((route) => ROLES.map((role) => [route.method, route.path, role, route] as const));
  it.each(cases)('%s %s as %s: allowed from its role up, else 403 and nothing changes', async (_m, _p, role, route) => {
    const t = setup();
    const before = state(t.db);
    const res = await t.app.request(route.path, requestOf(route, t.clock.now(), asStaff({}, role).headers as Record<string, string>));
    if (rank(role) >= rank(route.role)) {
      expect([401, 403]).not.toContain(res.status);
      expect(res.headers.get('location') ?? '').not.toContain('/staff/login');
      expect(res.status).toBeLessThan(500);
      return;
    }
    expect(res.status).toBe(403);
    if (route.path.startsWith('/api')) {
      expect(await res.json()).toEqual({ error: { code: 'forbidden', message: expect.stringContaining(route.role) } });
    } else {
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('Not allowed');
      expect(html).toContain(`signed in as ${role === 'viewer' ? 'vera' : 'eddie'}`);
    }
    expect(state(t.db)).toEqual(before);
  });

  it('the API takes basic auth of a named account, with its role', async () => {
    const t = setup();
    const viewer = await t.app.request('/api/subscribers/1/converted', { method: 'POST', headers: { authorization: basicAuthOf('viewer') } });
    expect(viewer.status).toBe(403);
    const editor = await t.app.request('/api/subscribers/1/converted', { method: 'POST', headers: { authorization: basicAuthOf('editor') } });
    expect(editor.status).toBe(200);
    expect(await editor.json()).toMatchObject({ subscriber: { id: 1, status: 'converted' } });
    expect(t.db.$client.prepare('SELECT actor, action, subscriber_id AS s FROM audit_log').all()).toEqual([{ actor: 'eddie', action: 'subscriber.converted', s: 1 }]);
    const erase = await t.app.request('/api/subscribers/1', { method: 'DELETE', headers: { authorization: basicAuthOf('editor') } });
    expect(erase.status).toBe(403);
    expect((await t.app.request('/api/subscribers/1', { method: 'DELETE', headers: { authorization: basicAuthOf('admin') } })).status).toBe(200);
  });

  it.each([
    ['wrong password', basicAuthOf('admin', 'nope')],
    ['unknown account', `Basic ${Buffer.from('nobody:staff-password-for-tests').toString('base64')}`],
    ['garbage', 'Basic !!!'],
    ['no colon', `Basic ${Buffer.from('staff').toString('base64')}`],
    ['bearer', 'Bearer abc'],
  ])('the API refuses a %s with 401 and the one error shape', async (_name, authorization) => {
    const t = setup();
    const res = await t.app.request('/api/funnel', { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Basic');
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('basic auth is not a login for staff pages: they need a session', async () => {
    const t = setup();
    const res = await t.app.request('/staff', { headers: { authorization: basicAuthOf('admin') } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/staff/login?next=%2Fstaff');
  });

  it('a viewer sees no action forms; an editor no erase or export; an admin all', async () => {
    const t = setup();
    const page = async (role: StaffRole) => (await t.app.request('/staff/subscribers/1', asStaff({}, role))).text();
    const viewer = await page('viewer');
    expect(viewer).not.toContain('/converted');
    expect(viewer).not.toContain('/erase');
    const editor = await page('editor');
    expect(editor).toContain('/staff/subscribers/1/converted');
    expect(editor).not.toContain('/erase');
    expect(editor).not.toContain('export.json');
    const admin = await page('admin');
    expect(admin).toContain('/staff/subscribers/1/erase');
    expect(admin).toContain('/staff/subscribers/1/export.json');
    expect(await (await t.app.request('/staff', asStaff({}, 'editor'))).text()).not.toContain('Audit log');
    expect(await (await t.app.request('/staff', asStaff({}, 'admin'))).text()).toContain('href="/staff/audit"');
  });

  it('lets staff in, with no caching and the strict page policy', async () => {
    const { app } = testApp();
    const res = await app.request('/staff', asStaff());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("frame-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toMatch(/script-src/);
  });

  it('every staff page carries the strict policy; preview frames may be framed by staff pages only', async () => {
    const { app, db } = testApp();
    const s = addSubscriber(db, { confirmedAt: 1, nextStep: 2, nextSendAt: Date.parse('2026-03-03T14:00:00Z') });
    for (const path of [
      '/staff',
      '/staff/login',
      '/staff/sequence',
      '/staff/templates',
      '/staff/templates/confirmation',
      '/staff/subscribers',
      `/staff/subscribers/${s.id}`,
      `/staff/subscribers/${s.id}/next`,
      '/staff/audit',
      '/staff/imports',
      '/staff/nope',
    ]) {
      const res = await app.request(path, path === '/staff/login' ? {} : asStaff());
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    for (const path of ['/staff/templates/confirmation/html', `/staff/subscribers/${s.id}/next/html`]) {
      const res = await app.request(path, asStaff());
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toMatch(/^default-src 'none'.*frame-ancestors 'self'.*sandbox$/);
      expect(res.headers.get('content-security-policy'), path).not.toContain('script');
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('answers an unknown staff page with a readable 404 page', async () => {
    const { app } = testApp();
    const res = await app.request('/staff/nothing/here', asStaff());
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('Page not found');
  });
});
