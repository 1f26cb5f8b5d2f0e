// One time-zone rule across the staff area: every time is shown in the
// viewing account's zone (set on /staff/account, else DEFAULT_TIMEZONE) and
// says which; planned emails also show the reader's own clock.
import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';
import { addSubscriber, asStaff, csrfFrom, staffForm } from '../helpers/staff.js';

type T = ReturnType<typeof testApp>;
const pageAs = async (t: T, path: string, role: 'admin' | 'editor' | 'viewer' = 'admin') => (await t.app.request(path, asStaff({}, role))).text();

async function setZone(t: T, zone: string, role: 'admin' | 'editor' | 'viewer' = 'admin') {
  const form = await pageAs(t, '/staff/account', role);
  return t.app.request('/staff/account', staffForm({ _csrf: csrfFrom(form), timezone: zone }, {}, role));
}

describe("the staff member's time zone", () => {
  it('defaults to DEFAULT_TIMEZONE, and once set shows every time of every page in it, labelled; the reader keeps their own clock', async () => {
    const t = testApp();
    // Confirmed 2026-03-02 12:00 UTC, email 2 planned 2026-03-03 08:00 UTC (09:00 in Berlin).
    const s = addSubscriber(t.db, { timezone: 'Europe/Berlin', createdAt: Date.parse('2026-03-02T12:00:00Z'), confirmedAt: Date.parse('2026-03-02T12:00:00Z'), nextStep: 2, nextSendAt: Date.parse('2026-03-03T08:00:00Z') });
    const before = await pageAs(t, `/staff/subscribers/${s.id}`);
    expect(before).toContain('times in <a href="/staff/account">America/New_York</a>');
    expect(before).toContain('<dt>Signed up</dt><dd>2026-03-02 07:00 (America/New_York)</dd>');
    expect(before).toContain('Email 2 of 8 at 2026-03-03 03:00 (America/New_York); 2026-03-03 09:00 their time (Europe/Berlin)');

    const saved = await setZone(t, 'Asia/Kolkata');
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/staff/account?done=saved');
    const after = await pageAs(t, `/staff/subscribers/${s.id}`);
    expect(after).toContain('times in <a href="/staff/account">Asia/Kolkata</a>');
    expect(after).toContain('<dt>Signed up</dt><dd>2026-03-02 17:30 (Asia/Kolkata)</dd>');
    expect(after).toContain('Email 2 of 8 at 2026-03-03 13:30 (Asia/Kolkata); 2026-03-03 09:00 their time (Europe/Berlin)');
    // The reader's own zone is still what their details form edits.
    expect(after).toContain('<option value="Europe/Berlin" selected="">');
    const list = await pageAs(t, '/staff/subscribers');
    expect(list).toContain('<th scope="col">Signed up (Asia/Kolkata)</th>');
    expect(list).toContain('<td>2026-03-02 17:30</td>');
    expect(await pageAs(t, '/staff')).toContain('Funnel per day (Asia/Kolkata)');
    expect(await pageAs(t, '/staff/audit')).toContain('Asia/Kolkata');
    expect(await pageAs(t, '/staff/subscribers/' + s.id + '/next')).toContain('Goes 2026-03-03 13:30 (Asia/Kolkata), 2026-03-03 09:00 their time (Europe/Berlin)');

    // Another account is not moved by it.
    expect(await pageAs(t, `/staff/subscribers/${s.id}`, 'viewer')).toContain('<dt>Signed up</dt><dd>2026-03-02 07:00 (America/New_York)</dd>');
    // Back to the clinic's default.
    await setZone(t, '');
    expect(await pageAs(t, `/staff/subscribers/${s.id}`)).toContain('times in <a href="/staff/account">America/New_York</a>');
  });

  it('any role sets its own zone; a zone that does not exist is refused with a 400 page and nothing changes', async () => {
    const t = testApp();
    const form = await pageAs(t, '/staff/account', 'viewer');
    expect(form).toContain('<option value="" selected="">The clinic&#39;s default (America/New_York)</option>');
    const bad = await setZone(t, 'Mars/Olympus_Mons', 'viewer');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('is not a time zone');
    expect(await pageAs(t, '/staff/account', 'viewer')).toContain('times in <a href="/staff/account">America/New_York</a>');
    expect((await setZone(t, 'Pacific/Auckland', 'viewer')).status).toBe(303);
    expect(await pageAs(t, '/staff/account', 'viewer')).toContain('<option value="Pacific/Auckland" selected="">');
    // A form without its token is refused before anything is read.
    expect((await t.app.request('/staff/account', staffForm({ timezone: 'UTC' }, {}, 'viewer'))).status).toBe(403);
  });
});
