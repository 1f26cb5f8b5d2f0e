// A coordinator's morning in a real browser, through the real forms: log in,
// find a person who signed up with a typo, correct their address, send their
// confirmation again when they ask, read the funnel by source, and find both
// actions in the audit log filtered by that person. Every page is axe clean at
// desktop and phone widths.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './helpers/app.js';
import { hasChromium, launchChromium, listen, seriousAxeViolations } from './helpers/browser.js';
import { postForm, signupForm } from './helpers/public.js';
import { TEST_ACCOUNTS } from './helpers/staff.js';

describe.skipIf(!hasChromium)("a coordinator's morning in a real browser", () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  let t: ReturnType<typeof testApp>;

  beforeAll(async () => {
    t = testApp();
    // Two signups on the form: one of them typed their address wrong.
    for (const email of ['sam.rivera@gmial.com', 'ada@example.org']) expect((await postForm(t.app, '/subscribe', signupForm(email, { firstName: email.startsWith('sam') ? 'Sam' : 'Ada' }))).status).toBeLessThan(400);
    await t.drain();
    server = await listen(t.app.fetch);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function axeClean(page: Page, where: string) {
    expect(await seriousAxeViolations(page), where).toEqual([]);
  }

  it('logs in, corrects an address, resends the confirmation, reads the funnel by source and filters the audit log', async () => {
    // bypassCSP only so axe itself can be injected into the pages.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();

    await page.goto(`${server.url}/staff/subscribers`);
    expect(new URL(page.url()).pathname).toBe('/staff/login');
    await page.fill('#name', TEST_ACCOUNTS.admin.name);
    await page.fill('#password', TEST_ACCOUNTS.admin.password);
    await page.click('form.login button[type=submit]');

    // Sam phoned: "I never got the email." Found by first name.
    await page.fill('#q', 'Sam');
    await page.click('form.search button[type=submit]');
    await page.click('text=sam.rivera@gmial.com');
    await axeClean(page, 'subscriber page');
    const personUrl = page.url();

    // The address they meant.
    await page.fill('#email', 'sam.rivera@gmail.com');
    await page.click('form[action$="/email"] button[type=submit]');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('Corrected');
    await expect(page.locator('h1').textContent()).resolves.toBe('sam.rivera@gmail.com');
    await t.drain();
    const toNew = () => t.transport.sent.filter((m) => m.to === 'sam.rivera@gmail.com');
    expect(toNew()).toHaveLength(1);
    const toOld = t.transport.sent.filter((m) => m.to === 'sam.rivera@gmial.com').length;

    // Later that morning Sam asks again (it went to spam): the same link goes again.
    t.clock.advance(15 * 60_000);
    await page.goto(personUrl);
    await page.click('form[action$="/confirmation"] button[type=submit]');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('Queued');
    await t.drain();
    expect(toNew()).toHaveLength(2);
    expect(t.transport.sent.filter((m) => m.to === 'sam.rivera@gmial.com')).toHaveLength(toOld);

    // The funnel, by source: two signups on the form, none imported.
    await page.goto(`${server.url}/staff`);
    await expect(page.locator('main').textContent()).resolves.toContain('2 on the form');
    await axeClean(page, 'dashboard');

    // The audit log, filtered by the person's address: both of this morning's actions, in words.
    await page.goto(`${server.url}/staff/audit`);
    await page.fill('#audit-subscriber', 'sam.rivera@gmail.com');
    await page.click('form[role=search] button[type=submit]');
    const rows = await page.locator('main table tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows.join('\n')).toMatch(/confirmation/i);
    expect(rows.join('\n')).toMatch(/address/i);
    expect(rows.join('\n')).not.toContain('gmial');
    await axeClean(page, 'audit log');

    // The same pages on a phone.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, bypassCSP: true, storageState: await ctx.storageState() });
    const small = await phone.newPage();
    for (const path of [new URL(personUrl).pathname, '/staff', '/staff/audit', '/staff/account']) {
      await small.goto(`${server.url}${path}`);
      await axeClean(small, `${path} on a phone`);
    }
    await phone.close();
    await ctx.close();
  });
});
