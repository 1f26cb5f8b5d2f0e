import { describe, expect, it } from 'vitest';
import { csrfToken } from '../../src/routes/staff/security.js';
import { changePassword, CLI_ACTOR, ensureFirstAdmin } from '../../src/staff/accounts.js';
import { hashPassword, verifyPassword } from '../../src/staff/password.js';
import { SESSION_IDLE_MS, SESSION_MAX_MS } from '../../src/staff/sessions.js';
import { gatedPasswordCheck } from '../../src/staff/throttle.js';
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

/** Password checks as the app makes them, counted; `hold()` keeps every check waiting until `release()`. */
function checks() {
  let started = 0;
  let gate: Promise<void> | null = null;
  let open = () => {};
  const verify = async (password: string, stored: string) => {
    started++;
    if (gate) await gate;
    return verifyPassword(password, stored);
  };
  return {
    passwordCheck: gatedPasswordCheck({ verify }),
    get started() {
      return started;
    },
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      gate = null;
      open();
    },
  };
}

const statuses = (answers: Response[]) => answers.map((r) => r.status);
const count = (list: number[], status: number) => list.filter((s) => s === status).length;

describe('failed logins slow down', () => {
  it.each([
    ['60 different wrong passwords', (i: number) => `wrong-${i}`],
    ['the same wrong password 60 times', () => 'wrong'],
  ])('%s at once from one client: a handful are checked (401), the rest answered 429 at once', async (_what, password) => {
    const hashes = checks();
    const t = testApp({ passwordCheck: hashes.passwordCheck });
    const answers = statuses(await Promise.all(Array.from({ length: 60 }, (_, i) => login(t, 'staff', password(i), '192.0.2.10'))));
    expect(count(answers, 401)).toBeGreaterThanOrEqual(1);
    expect(count(answers, 401)).toBeLessThanOrEqual(5);
    expect(count(answers, 429)).toBe(60 - count(answers, 401));
    expect(hashes.started).toBeLessThanOrEqual(5);
  });

  it('after a burst from one client, the owner logs in from another client within a minute', async () => {
    const t = testApp();
    await Promise.all(Array.from({ length: 60 }, (_, i) => login(t, 'staff', `wrong-${i}`, '192.0.2.10')));
    // The burst goes on, each attempt as soon as it is let in (ending on a failure, whose wait has not passed).
    for (let i = 0; i < 4; i++) {
      const res = await login(t, 'staff', `more-${i}`, '192.0.2.10');
      if (res.status === 429) t.clock.advance(Number(res.headers.get('retry-after')) * 1000);
    }
    const start = t.clock.now();
    let res = await login(t, 'staff', TEST_ACCOUNTS.admin.password, '198.51.100.77');
    while (res.status === 429 && t.clock.now() - start <= 60_000) {
      t.clock.advance(Number(res.headers.get('retry-after')) * 1000);
      res = await login(t, 'staff', TEST_ACCOUNTS.admin.password, '198.51.100.77');
    }
    expect(res.status).toBe(303);
    expect(t.clock.now() - start).toBeLessThanOrEqual(60_000);
    // The client that burst is still held back.
    expect((await login(t, 'staff', TEST_ACCOUNTS.admin.password, '192.0.2.10')).status).toBe(429);
  });

  it('per account and client: after 5 failures even the right password waits there (429, Retry-After), on every server sharing the database; elsewhere it does not', async () => {
    const t = testApp();
    for (let i = 0; i < 5; i++) expect((await login(t, 'staff', `wrong-${i}`, '198.51.100.1')).status).toBe(401);
    // A second server on the same database agrees.
    const other = testApp({ db: t.db, now: new Date(t.clock.now()).toISOString() });
    const res = await login(other, 'staff', TEST_ACCOUNTS.admin.password, '198.51.100.1');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.text()).toContain('Too many failed logins');
    expect(other.logs.some((l) => l.msg === 'staff login refused: too many failures')).toBe(true);
    // The owner at another address, and another account at this one, are not held back by it.
    expect((await login(other, 'staff', TEST_ACCOUNTS.admin.password, '203.0.113.50')).status).toBe(303);
    expect((await login(other, 'eddie', TEST_ACCOUNTS.editor.password, '198.51.100.1')).status).toBe(303);
    // Each further failure doubles the wait.
    other.clock.advance(2000);
    expect((await login(other, 'staff', 'wrong-again', '198.51.100.1')).status).toBe(401);
    expect((await login(other, 'staff', TEST_ACCOUNTS.admin.password, '198.51.100.1')).headers.get('retry-after')).toBe('4');
    other.clock.advance(4000);
    expect((await login(other, 'staff', TEST_ACCOUNTS.admin.password, '198.51.100.1')).status).toBe(303);
    // A success clears the count of that account from that client (6 failures: 3 more would make it wait).
    for (let i = 0; i < 3; i++) expect((await login(other, 'staff', `later-${i}`, '198.51.100.1')).status).toBe(401);
    expect((await login(other, 'staff', TEST_ACCOUNTS.admin.password, '198.51.100.1')).status).toBe(303);
  });

  it('per client address: 10 failures over any names slow that address down, not others', async () => {
    const t = testApp();
    for (let i = 0; i < 10; i++) expect((await login(t, `name${i}`, 'wrong-password', '192.0.2.66')).status).toBe(401);
    expect((await login(t, 'staff', TEST_ACCOUNTS.admin.password, '192.0.2.66')).status).toBe(429);
    expect((await login(t, 'staff', TEST_ACCOUNTS.admin.password, '192.0.2.67')).status).toBe(303);
  });

  it('many clients guessing one account are still slowed, each wait longer, never more than a minute', async () => {
    const t = testApp();
    for (let i = 0; i < 20; i++) expect((await login(t, 'staff', 'wrong-password', `203.0.113.${i + 1}`)).status).toBe(401);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await login(t, 'staff', 'wrong-password', `198.51.100.${i + 1}`);
      expect(res.status).toBe(429);
      waits.push(Number(res.headers.get('retry-after')));
      t.clock.advance(waits.at(-1)! * 1000);
      expect((await login(t, 'staff', 'wrong-password', `198.51.100.${i + 1}`)).status).toBe(401);
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 60, 60]);
    // The owner waits like everyone else, a minute at most.
    const res = await login(t, 'staff', TEST_ACCOUNTS.admin.password, '192.0.2.200');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    t.clock.advance(60_000);
    expect((await login(t, 'staff', TEST_ACCOUNTS.admin.password, '192.0.2.200')).status).toBe(303);
  });

  it('at most 2 password checks run at once and 8 wait; past that a login is answered 429 at once, and counts nothing', async () => {
    const hashes = checks();
    const t = testApp({ passwordCheck: hashes.passwordCheck });
    hashes.hold();
    const pending = Array.from({ length: 11 }, (_, i) => login(t, `name${i}`, 'wrong-password', `203.0.113.${i + 1}`));
    // Every check is held, so the first answer is the one turned away.
    const first = await Promise.race(pending);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.text()).toContain('Too many logins are being checked');
    expect(hashes.started).toBe(2);
    hashes.release();
    const answers = statuses(await Promise.all(pending));
    expect(count(answers, 401)).toBe(10);
    expect(hashes.started).toBe(10);
    // The one turned away was not counted against its client: 5 failures from there are still checked.
    const turnedAway = answers.indexOf(429);
    for (let i = 0; i < 5; i++) expect((await login(t, `name${turnedAway}`, `wrong-${i}`, `203.0.113.${turnedAway + 1}`)).status).toBe(401);
  });

  it('basic auth on /api counts too: 429 in the one error shape, with Retry-After', async () => {
    const t = testApp();
    for (let i = 0; i < 5; i++) expect((await t.app.request('/api/funnel', { headers: { authorization: basicAuthOf('viewer', `wrong-${i}`) } }, from('198.51.100.9'))).status).toBe(401);
    const res = await t.app.request('/api/funnel', { headers: { authorization: basicAuthOf('viewer') } }, from('198.51.100.9'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({ error: { code: 'too_many_attempts', message: expect.any(String) } });
    expect((await login(t, 'vera', TEST_ACCOUNTS.viewer.password, '198.51.100.9')).status).toBe(429);
    expect((await t.app.request('/api/funnel', { headers: { authorization: basicAuthOf('viewer') } }, from('198.51.100.10'))).status).toBe(200);
  });

  it("a script's requests at once with the right password share one check", async () => {
    const hashes = checks();
    const t = testApp({ passwordCheck: hashes.passwordCheck });
    const answers = await Promise.all(Array.from({ length: 12 }, () => t.app.request('/api/funnel', { headers: { authorization: basicAuthOf('viewer') } }, from('198.51.100.9'))));
    expect(statuses(answers)).toEqual(Array(12).fill(200));
    expect(hashes.started).toBe(1);
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

  it("a password change ends the account's sessions, not others'; the old password stops working", async () => {
    const t = testApp();
    const cookie = await loggedIn(t);
    const other = cookieOf(await login(t, 'eddie', TEST_ACCOUNTS.editor.password));
    const changed = await changePassword(t, 'staff', CLI_ACTOR);
    expect(changed).toEqual({ ok: true, password: expect.stringMatching(/^[A-Za-z0-9_-]{20}$/) });
    expect((await t.app.request('/staff', { headers: { cookie } })).status).toBe(303);
    expect((await t.app.request('/api/funnel', { headers: { cookie } })).status).toBe(401);
    expect((await t.app.request('/staff', { headers: { cookie: other } })).status).toBe(200);
    expect((await login(t, 'staff', TEST_ACCOUNTS.admin.password)).status).toBe(401);
    expect((await login(t, 'staff', changed.ok ? changed.password : '')).status).toBe(303);
    expect(audit(t)).toContainEqual({ actor: '(command line)', action: 'account.password_changed', s: null });
    expect(await changePassword(t, 'nobody', CLI_ACTOR)).toEqual({ ok: false, reason: 'not_found' });
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
  const withoutStaff = () => {
    const t = testApp();
    t.db.$client.prepare("DELETE FROM staff_sessions WHERE account_id = (SELECT id FROM staff_accounts WHERE name = 'staff')").run();
    t.db.$client.prepare("DELETE FROM staff_accounts WHERE name = 'staff'").run();
    return t;
  };

  it('STAFF_PASSWORD becomes the password of the admin `staff`: created once, kept while unchanged, replaced when changed (ending its sessions)', async () => {
    const t = withoutStaff();
    const created = await ensureFirstAdmin(t, 'first-password-123');
    expect(created).toEqual({ account: expect.objectContaining({ name: 'staff', role: 'admin', disabledAt: null }), generatedPassword: null });
    expect(await verifyPassword('first-password-123', created.account.passwordHash)).toBe(true);
    expect((await ensureFirstAdmin(t, 'first-password-123')).account.passwordHash).toBe(created.account.passwordHash);
    const cookie = cookieOf(await login(t, 'staff', 'first-password-123'));
    expect((await t.app.request('/staff', { headers: { cookie } })).status).toBe(200);
    const changed = (await ensureFirstAdmin(t, 'second-password-456')).account;
    expect(await verifyPassword('second-password-456', changed.passwordHash)).toBe(true);
    expect(await verifyPassword('first-password-123', changed.passwordHash)).toBe(false);
    expect((await t.app.request('/staff', { headers: { cookie } })).status).toBe(303);
  });

  it('without STAFF_PASSWORD a password is generated only when `staff` is made, and kept afterwards', async () => {
    const t = withoutStaff();
    const first = await ensureFirstAdmin(t, undefined);
    expect(first.generatedPassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(await verifyPassword(first.generatedPassword!, first.account.passwordHash)).toBe(true);
    const again = await ensureFirstAdmin(t, undefined);
    expect(again).toEqual({ account: first.account, generatedPassword: null });
    // A password set earlier (STAFF_PASSWORD, or `npm run staff -- passwd staff`) is kept too.
    await ensureFirstAdmin(t, 'a-password-set-once');
    expect(await verifyPassword('a-password-set-once', (await ensureFirstAdmin(t, undefined)).account.passwordHash)).toBe(true);
  });

  it('makes `staff` an admin again if it was changed', async () => {
    const t = testApp();
    t.db.$client.prepare("UPDATE staff_accounts SET role = 'viewer', password_hash = ? WHERE name = 'staff'").run(await hashPassword('pw-123456', { N: 1024, r: 8, p: 1 }));
    expect((await ensureFirstAdmin(t, 'pw-123456')).account.role).toBe('admin');
  });
});
