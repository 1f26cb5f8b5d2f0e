import { describe, expect, it } from 'vitest';
import { csrfToken } from '../../src/routes/staff/security.js';
import { ensureFirstAdmin } from '../../src/staff/accounts.js';
import { hashPassword, verifyPassword } from '../../src/staff/password.js';
import { SESSION_IDLE_MS, SESSION_MAX_MS } from '../../src/staff/sessions.js';
import { TEST_SECRET, testApp, testConfig } from '../helpers/app.js';
import { asStaff, basicAuthOf, TEST_ACCOUNTS } from '../helpers/staff.js';

type T = ReturnType<typeof testApp>;

/** A socket address for app.request, as the node server passes it. */
const from = (ip: string) => ({ incoming: { socket: { remoteAddress: ip } } });

function loginForm(t: T, fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', 'sec-fetch-site': 'same-origin', ...headers },
    body: new URLSearchParams({ _csrf: csrfToken(TEST_SECRET, t.clock.now()), ...fields }).toString(),
  };
}

const login = (t: T, name: string, password: string, ip = '198.51.100.1', extra: Record<string, string> = {}) => t.app.request('/staff/login', loginForm(t, { name, password, ...extra }), from(ip));
const cookieOf = (res: Response) => /^(nurture_staff=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
const audit = (t: T) => t.db.$client.prepare('SELECT actor, action, subscriber_id AS s FROM audit_log ORDER BY id').all();

describe('the login page', () => {
  it('shows a form with the CSRF token, and no staff menu', async () => {
    const t = testApp();
    const res = await t.app.request('/staff/login?next=%2Fstaff%2Fsequence');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Log in</h1>');
    expect(html).toMatch(/name="_csrf" value="[^"]+"/);
    expect(html).toContain('autocomplete="current-password"');
    expect(html).toContain('name="next" value="/staff/sequence"');
    expect(html).not.toContain('Staff sections');
  });

  it('logs in: a session cookie (HttpOnly, SameSite=Strict, Path=/, no Secure on http), back to the page asked for; audited', async () => {
    const t = testApp();
    const res = await login(t, 'Eddie ', TEST_ACCOUNTS.editor.password, '198.51.100.1', { next: '/staff/sequence' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/staff/sequence');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^nurture_staff=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = cookieOf(res);
    // Only a hash of the token is stored.
    expect(JSON.stringify(t.db.$client.prepare('SELECT * FROM staff_sessions').all())).not.toContain(cookie.split('=')[1]);
    const page = await t.app.request('/staff', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('eddie (editor)');
    expect(audit(t)).toEqual([{ actor: 'eddie', action: 'login', s: null }]);
    expect(t.logs.some((l) => l.msg === 'staff login' && l.name === 'eddie')).toBe(true);
  });

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const t = testApp({ config: testConfig({ publicUrl: 'https://nurture.example' }) });
    const res = await t.app.request('/staff/login', loginForm(t, { name: 'staff', password: TEST_ACCOUNTS.admin.password }, { origin: 'https://nurture.example' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('refuses a wrong password with a readable 401 page, logs the failure without the password', async () => {
    const t = testApp();
    const res = await login(t, 'staff', 'guess-number-one');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    const html = await res.text();
    expect(html).toContain('do not match');
    expect(html).toContain('value="staff"');
    const failed = t.logs.filter((l) => l.msg === 'staff login failed');
    expect(failed).toEqual([expect.objectContaining({ name: 'staff', ip: '198.51.100.1', known: true, failuresForName: 1, failuresFromIp: 1 })]);
    expect(JSON.stringify(t.logs)).not.toContain('guess-number-one');
    expect(audit(t)).toEqual([]);
  });

  it.each([
    ['an unknown name', 'nobody', 'whatever-password'],
    ['a name no account can have', 'a:b', 'whatever-password'],
    ['an empty password', 'staff', ''],
    ['a huge password', 'staff', 'x'.repeat(5000)],
  ])('refuses %s with a 4xx page', async (_what, name, password) => {
    const t = testApp();
    const res = await login(t, name, password);
    expect([400, 401]).toContain(res.status);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a login form from another site or without its token', async () => {
    const t = testApp();
    const foreign = await t.app.request('/staff/login', loginForm(t, { name: 'staff', password: TEST_ACCOUNTS.admin.password }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }));
    expect(foreign.status).toBe(403);
    const noToken = await t.app.request('/staff/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ name: 'staff', password: TEST_ACCOUNTS.admin.password }).toString(),
    });
    expect(noToken.status).toBe(403);
    expect(noToken.headers.get('set-cookie')).toBeNull();
  });

  it.each(['https://evil.example/staff', '//evil.example/staff', '/\\evil.example', '/public', 'javascript:alert(1)'])('never sends a login on to %s', async (next) => {
    const t = testApp();
    const res = await login(t, 'staff', TEST_ACCOUNTS.admin.password, '198.51.100.1', { next });
    expect(res.headers.get('location')).toBe('/staff');
  });

  it('with a live session the login page goes straight on', async () => {
    const t = testApp();
    const res = await t.app.request('/staff/login?next=/staff/templates', asStaff());
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/staff/templates');
  });
});

describe('failed logins slow down', () => {
  it('per account: after 5 failures even the right password waits (429, Retry-After), on every server sharing the database', async () => {
    const t = testApp();
    for (let i = 0; i < 5; i++) expect((await login(t, 'staff', `wrong-${i}`, `198.51.100.${i + 1}`)).status).toBe(401);
    // A second server on the same database agrees.
    const other = testApp({ db: t.db, now: new Date(t.clock.now()).toISOString() });
    const res = await login(other, 'staff', TEST_ACCOUNTS.admin.password, '203.0.113.50');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.text()).toContain('Too many failed logins');
    expect(other.logs.some((l) => l.msg === 'staff login refused: too many failures')).toBe(true);
    // Another account is not slowed down by it.
    expect((await login(other, 'eddie', TEST_ACCOUNTS.editor.password, '203.0.113.50')).status).toBe(303);
    // Each further failure doubles the wait.
    other.clock.advance(2000);
    expect((await login(other, 'staff', 'wrong-again', '203.0.113.50')).status).toBe(401);
    expect((await login(other, 'staff', TEST_ACCOUNTS.admin.password, '203.0.113.50')).headers.get('retry-after')).toBe('4');
    other.clock.advance(4000);
    expect((await login(other, 'staff', TEST_ACCOUNTS.admin.password, '203.0.113.50')).status).toBe(303);
    // A success clears the account's count.
    expect((await login(other, 'staff', 'one-more-wrong', '203.0.113.50')).status).toBe(401);
    expect((await login(other, 'staff', TEST_ACCOUNTS.admin.password, '203.0.113.50')).status).toBe(303);
  });

  it('per client address: 20 failures over any names slow that address down, not others', async () => {
    const t = testApp();
    for (let i = 0; i < 20; i++) expect((await login(t, `name${i}`, 'wrong-password', '192.0.2.66')).status).toBe(401);
    expect((await login(t, 'staff', TEST_ACCOUNTS.admin.password, '192.0.2.66')).status).toBe(429);
    expect((await login(t, 'staff', TEST_ACCOUNTS.admin.password, '192.0.2.67')).status).toBe(303);
  }, 60_000); // 21 scrypt checks: slow on a busy two-core machine

  it('basic auth on /api counts too: 429 in the one error shape, with Retry-After', async () => {
    const t = testApp();
    for (let i = 0; i < 5; i++) expect((await t.app.request('/api/funnel', { headers: { authorization: basicAuthOf('viewer', `wrong-${i}`) } }, from('198.51.100.9'))).status).toBe(401);
    const res = await t.app.request('/api/funnel', { headers: { authorization: basicAuthOf('viewer') } }, from('198.51.100.10'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({ error: { code: 'too_many_attempts', message: expect.any(String) } });
    expect((await login(t, 'vera', TEST_ACCOUNTS.viewer.password, '198.51.100.11')).status).toBe(429);
  });
});

describe('sessions', () => {
  async function loggedIn(t: T) {
    return cookieOf(await login(t, 'staff', TEST_ACCOUNTS.admin.password));
  }

  it('logout ends the session, clears the cookie and is audited', async () => {
    const t = testApp();
    const cookie = await loggedIn(t);
    const res = await t.app.request('/staff/logout', loginForm(t, {}, { cookie }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/staff/login?done=logout');
    expect(res.headers.get('set-cookie')).toMatch(/^nurture_staff=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict/);
    expect((await t.app.request('/staff', { headers: { cookie } })).status).toBe(303);
    expect((await t.app.request('/api/funnel', { headers: { cookie } })).status).toBe(401);
    expect(audit(t)).toEqual([
      { actor: 'staff', action: 'login', s: null },
      { actor: 'staff', action: 'logout', s: null },
    ]);
    expect(await (await t.app.request('/staff/login?done=logout')).text()).toContain('You are logged out.');
  });

  it('a logout from another site is refused', async () => {
    const t = testApp();
    const cookie = await loggedIn(t);
    const res = await t.app.request('/staff/logout', loginForm(t, {}, { cookie, origin: 'https://evil.example' }));
    expect(res.status).toBe(403);
    expect((await t.app.request('/staff', { headers: { cookie } })).status).toBe(200);
  });

  it('lasts 12 hours from its last use, and 7 days at most', async () => {
    const t = testApp();
    const cookie = await loggedIn(t);
    t.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await t.app.request('/staff', { headers: { cookie } })).status).toBe(200);
    t.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await t.app.request('/api/funnel', { headers: { cookie } })).status).toBe(200);
    t.clock.advance(SESSION_IDLE_MS);
    expect((await t.app.request('/staff', { headers: { cookie } })).status).toBe(303);

    const kept = await loggedIn(t);
    const start = t.clock.now();
    while (t.clock.now() - start < SESSION_MAX_MS - SESSION_IDLE_MS) {
      t.clock.advance(SESSION_IDLE_MS / 2);
      expect((await t.app.request('/staff', { headers: { cookie: kept } })).status).toBe(200);
    }
    t.clock.advance(SESSION_IDLE_MS);
    expect((await t.app.request('/staff', { headers: { cookie: kept } })).status).toBe(303);
  });

  it('a disabled account is signed out at once and cannot log in', async () => {
    const t = testApp();
    const cookie = await loggedIn(t);
    await t.stores.staff.setDisabled('staff', true, t.clock.now());
    expect((await t.app.request('/staff', { headers: { cookie } })).status).toBe(303);
    expect((await login(t, 'staff', TEST_ACCOUNTS.admin.password)).status).toBe(401);
    expect((await t.app.request('/api/funnel', { headers: { authorization: basicAuthOf('admin') } })).status).toBe(401);
  });

  it('an unknown or forged cookie is the login page', async () => {
    const t = testApp();
    for (const cookie of ['nurture_staff=forged', `nurture_staff=${'x'.repeat(500)}`, 'nurture_staff=']) {
      const res = await t.app.request('/staff/subscribers', { headers: { cookie } });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/staff/login?next=%2Fstaff%2Fsubscribers');
    }
  });
});

describe('the first admin', () => {
  it('STAFF_PASSWORD becomes the password of the admin `staff`: created once, kept while unchanged, replaced when changed', async () => {
    const t = testApp();
    t.db.$client.prepare('DELETE FROM staff_sessions').run();
    t.db.$client.prepare("DELETE FROM staff_accounts WHERE name = 'staff'").run();
    const created = await ensureFirstAdmin(t, 'first-password-123');
    expect(created).toMatchObject({ name: 'staff', role: 'admin', disabledAt: null });
    expect(await verifyPassword('first-password-123', created.passwordHash)).toBe(true);
    expect((await ensureFirstAdmin(t, 'first-password-123')).passwordHash).toBe(created.passwordHash);
    const changed = await ensureFirstAdmin(t, 'second-password-456');
    expect(await verifyPassword('second-password-456', changed.passwordHash)).toBe(true);
    expect(await verifyPassword('first-password-123', changed.passwordHash)).toBe(false);
  });

  it('makes `staff` an admin again if it was changed', async () => {
    const t = testApp();
    t.db.$client.prepare("UPDATE staff_accounts SET role = 'viewer', password_hash = ? WHERE name = 'staff'").run(await hashPassword('pw-123456', { N: 1024, r: 8, p: 1 }));
    expect((await ensureFirstAdmin(t, 'pw-123456')).role).toBe('admin');
  });
});
