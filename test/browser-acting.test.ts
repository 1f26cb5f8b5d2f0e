// A person phones the clinic: an editor logs in, finds them by name, pauses
// their emails and then unsubscribes them with a reason; an admin finds both
// actions in the audit log. In a real browser, through the real forms.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './helpers/app.js';
import { hasChromium, launchChromium, listen } from './helpers/browser.js';
import { addSubscriber, seedFunnelHistory, TEST_ACCOUNTS } from './helpers/staff.js';

describe.skipIf(!hasChromium)('acting for a person in a real browser', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  let t: ReturnType<typeof testApp>;
  let personId: number;

  beforeAll(async () => {
    t = testApp();
    seedFunnelHistory(t.db, t.clock.now(), 40);
    const day = 86_400_000;
    const person = addSubscriber(t.db, {
      email: 'jordan.caller@example.org',
      firstName: 'Jordan',
      timezone: 'America/Chicago',
      confirmedAt: t.clock.now() - 3 * day,
      lastSequenceSentAt: t.clock.now() - day,
      nextStep: 3,
      nextSendAt: t.clock.now() + day,
    });
    personId = person.id;
    server = await listen(t.app.fetch);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('an editor pauses and unsubscribes a caller with a reason; an admin finds both in the audit log', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const logIn = async (role: 'editor' | 'admin') => {
      expect(new URL(page.url()).pathname).toBe('/staff/login');
      await page.fill('#name', TEST_ACCOUNTS[role].name);
      await page.fill('#password', TEST_ACCOUNTS[role].password);
      await page.click('form.login button[type=submit]');
    };

    // The editor logs in and finds the caller by the name they give.
    await page.goto(`${server.url}/staff/subscribers`);
    await logIn('editor');
    expect(new URL(page.url()).pathname).toBe('/staff/subscribers');
    await page.fill('#q', 'jordan');
    await page.click('form.search button[type=submit]');
    await expect(page.locator('p[aria-live]').textContent()).resolves.toContain('1 subscriber match');
    await page.click('text=jordan.caller@example.org');
    await expect(page.locator('h1').textContent()).resolves.toBe('jordan.caller@example.org');

    // "Not for a few weeks, please."
    await page.fill('#pause-until', '2026-04-06');
    await page.click('form[action$="/pause"] button[type=submit]');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('Paused');
    await expect(page.locator('h3#resume-h').textContent()).resolves.toContain('Paused until 2026-04-06 01:00 (America/New_York); 2026-04-06 00:00 their time (America/Chicago)');

    // "Actually, stop them altogether."
    await page.fill('#unsubscribe-reason', 'Phoned: please stop all emails');
    await page.click('form[action$="/unsubscribe"] button[type=submit]');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('Unsubscribed on their behalf');
    const history = await page.locator('section[aria-labelledby="activity-h"] tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '').slice(1)));
    expect(history.slice(0, 2)).toEqual([
      ['Unsubscribed on their behalf: “Phoned: please stop all emails”', 'Staff: eddie'],
      ['Paused their emails until 2026-04-06 01:00 (America/New_York)', 'Staff: eddie'],
    ]);
    expect(await page.locator(`form[action="/staff/subscribers/${personId}/unsubscribe"]`).count()).toBe(0);
    // The editor has no audit log.
    expect(await page.locator('header.top a[href="/staff/audit"]').count()).toBe(0);

    // The admin logs in and finds both actions, newest first.
    await page.click('header.top form.account button');
    await page.goto(`${server.url}/staff/audit`);
    await logIn('admin');
    expect(new URL(page.url()).pathname).toBe('/staff/audit');
    const rows = await page.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    const onPerson = rows.filter((r) => r[3] === `#${personId}`).map((r) => [r[1], r[2], r[4]]);
    expect(onPerson).toEqual([
      ['eddie', 'Unsubscribed on their behalf', '“Phoned: please stop all emails”'],
      ['eddie', 'Paused their emails', 'until 2026-04-06 01:00 (America/New_York)'],
    ]);
    await page.click(`table a[href="/staff/subscribers/${personId}"] >> nth=0`);
    await expect(page.locator('h1').textContent()).resolves.toBe('jordan.caller@example.org');
    expect(cspViolations).toEqual([]);
    await ctx.close();

    expect((await t.stores.subscribers.byId(personId))!.status).toBe('unsubscribed');
  });
});
