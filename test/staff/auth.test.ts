import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';
import { addSubscriber, asStaff } from '../helpers/staff.js';

// Every staff page and API route; each must refuse a request without the staff login.
const ROUTES: [string, string][] = [
  ['GET', '/staff'],
  ['GET', '/staff/'],
  ['GET', '/staff/sequence'],
  ['GET', '/staff/templates'],
  ['GET', '/staff/templates/confirmation'],
  ['GET', '/staff/templates/confirmation/html'],
  ['GET', '/staff/templates/01-welcome?subscriber=1'],
  ['POST', '/staff/templates/confirmation/test'],
  ['GET', '/staff/subscribers/1/next'],
  ['GET', '/staff/subscribers/1/next/html'],
  ['GET', '/staff/outbox/k-0123456789abcdef0123456789abcdef'],
  ['GET', '/staff/outbox/k-0123456789abcdef0123456789abcdef/html'],
  ['GET', '/staff/outbox/k-0123456789abcdef0123456789abcdef/raw'],
  ['GET', '/staff/subscribers'],
  ['GET', '/staff/subscribers/export.csv'],
  ['GET', '/staff/subscribers/1'],
  ['GET', '/staff/subscribers/1/export.json'],
  ['POST', '/staff/subscribers/1/erase'],
  ['POST', '/staff/subscribers/1/converted'],
  ['POST', '/api/subscribers/1/converted'],
  ['GET', '/staff/outbox'],
  ['GET', '/staff/no-such-page'],
  ['GET', '/api/funnel'],
  ['GET', '/api/sequence'],
  ['GET', '/api/subscribers'],
  ['GET', '/api/subscribers/1'],
  ['GET', '/api/subscribers/1/export'],
  ['DELETE', '/api/subscribers/1'],
  ['POST', '/api/subscribers/1/erase'],
  ['GET', '/api/templates'],
  ['GET', '/api/templates/confirmation'],
  ['POST', '/api/templates/confirmation/test'],
];

describe('staff auth', () => {
  it.each(ROUTES)('%s %s without a login answers 401 with WWW-Authenticate and changes nothing', async (method, path) => {
    const { app, db } = testApp();
    addSubscriber(db, { email: 'kept@example.org' });
    const res = await app.request(path, { method });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Nurture staff"/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(db.$client.prepare('select email, status from subscribers').all()).toEqual([{ email: 'kept@example.org', status: 'active' }]);
  });

  it.each([
    ['wrong password', `Basic ${Buffer.from('staff:nope').toString('base64')}`],
    ['wrong user', `Basic ${Buffer.from('admin:staff-password-for-tests').toString('base64')}`],
    ['garbage', 'Basic !!!'],
    ['bearer', 'Bearer abc'],
  ])('refuses a %s', async (_name, authorization) => {
    const { app } = testApp();
    for (const path of ['/staff', '/api/funnel']) {
      const res = await app.request(path, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Basic');
    }
  });

  it('lets the staff login in, with no caching and the strict page policy', async () => {
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
    for (const path of ['/staff', '/staff/sequence', '/staff/templates', '/staff/templates/confirmation', '/staff/subscribers', `/staff/subscribers/${s.id}`, `/staff/subscribers/${s.id}/next`, '/staff/nope']) {
      const res = await app.request(path, asStaff());
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
