import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, listen, seriousAxeViolations } from './helpers/browser.js';
import { testApp } from './helpers/app.js';
import { listTemplates } from '../src/nurture/previews.js';
import { addDelivery, addEvent, addSubscriber, seedFunnelHistory, TEST_ACCOUNTS } from './helpers/staff.js';
import { SESSION_COOKIE } from '../src/routes/staff/auth.js';

describe.skipIf(!hasChromium)('staff area in a real browser', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  let real: BrowserContext; // the page's own CSP in force: what staff see
  let axeCtx: BrowserContext; // CSP bypassed only so axe's script can be injected
  let subscriberId: number;
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'staff-shots-'));

  beforeAll(async () => {
    const t = testApp();
    seedFunnelHistory(t.db, t.clock.now());
    const s = addSubscriber(t.db, {
      email: 'browser.reader@example.org',
      firstName: 'Robin',
      confirmedAt: t.clock.now() - 86_400_000,
      consentText: 'Yes, send me eight emails about MDMA-assisted therapy research.',
      consentVersion: 'v1',
      consentIp: '203.0.113.5',
      consentUserAgent: 'Mozilla/5.0',
      consentSource: 'homepage',
      nextStep: 2,
      nextSendAt: t.clock.now() + 2 * 86_400_000,
    });
    subscriberId = s.id;
    const d = addDelivery(t.db, { subscriberId: s.id, step: 1, subject: 'Welcome', sentAt: t.clock.now() - 86_000_000 });
    addEvent(t.db, { id: 'evt_b1', type: 'email.delivered', deliveryId: d.id });
    server = await listen(t.app.fetch);
    browser = await launchChromium();
    real = await signedIn(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
    axeCtx = await signedIn(await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } }));
  });

  /** The admin's seeded session, as a login would have left it. */
  async function signedIn(ctx: BrowserContext): Promise<BrowserContext> {
    await ctx.addCookies([{ name: SESSION_COOKIE, value: TEST_ACCOUNTS.admin.session, url: server.url, httpOnly: true, sameSite: 'Strict' }]);
    return ctx;
  }

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    console.log(`staff screenshots in ${shots}`);
  });

  it('without a login the browser is sent to the login page; logging in there opens the dashboard, logging out ends it', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${server.url}/staff/sequence`);
    expect(new URL(page.url()).pathname).toBe('/staff/login');
    await expect(page.locator('h1').textContent()).resolves.toBe('Log in');
    await page.fill('#name', 'staff');
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('do not match');
    await page.fill('#password', TEST_ACCOUNTS.admin.password);
    await page.click('form.login button[type=submit]');
    // Back where the login was asked for, then the dashboard through the menu.
    expect(new URL(page.url()).pathname).toBe('/staff/sequence');
    await page.click('header.top a[href="/staff"]');
    await expect(page.locator('h1').textContent()).resolves.toBe('Dashboard');
    await expect(page.locator('header.top form.account').textContent()).resolves.toContain('staff (admin)');
    const cookie = (await ctx.cookies()).find((c) => c.name === SESSION_COOKIE)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', expires: -1 });
    await page.click('header.top form.account button');
    expect(new URL(page.url()).pathname).toBe('/staff/login');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('logged out');
    await page.goto(`${server.url}/staff`);
    expect(new URL(page.url()).pathname).toBe('/staff/login');
    expect(violations).toEqual([]);
    await ctx.close();
  });

  it('the dashboard renders styled under its own CSP, with no CSP violations; screenshot saved', async () => {
    const page = await real.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const res = await page.goto(`${server.url}/staff`);
    expect(res!.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Dashboard');
    expect(await page.locator('svg[role=img]').count()).toBe(7);
    // The inline stylesheet applied (allowed by its hash): the header is dark.
    const bg = await page.locator('header.top').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(bg).toBe('rgb(29, 35, 48)');
    expect(violations).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });
    await page.close();
  });

  it('opens every template preview: both frames load the email under the page CSP, nothing violates it', async () => {
    const page = await real.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    for (const t of listTemplates()) {
      const res = await page.goto(`${server.url}/staff/templates/${t.id}`);
      expect(res!.status(), t.id).toBe(200);
      for (const cls of ['desktop', 'phone']) {
        const frame = await page.locator(`iframe.email.${cls}`).elementHandle().then((h) => h!.contentFrame());
        await frame!.waitForLoadState();
        expect((await frame!.locator('body').innerText()).length, `${t.id} ${cls}`).toBeGreaterThan(200);
      }
      const widths = await page.locator('iframe.email').evaluateAll((els) => els.map((e) => (e as HTMLElement).getBoundingClientRect().width));
      expect(widths).toEqual([600, 375]);
    }
    await page.screenshot({ path: path.join(shots, 'preview.png'), fullPage: false });
    expect(violations).toEqual([]);
    await page.close();
  });

  it('the dashboard, a preview, the sequence, the subscriber, audit and login pages have no serious axe violations', async () => {
    const page = await axeCtx.newPage();
    for (const p of ['/staff', `/staff/templates/${listTemplates()[1]!.id}`, '/staff/templates', '/staff/sequence', '/staff/subscribers', `/staff/subscribers/${subscriberId}`, `/staff/subscribers/${subscriberId}/next`, '/staff/audit']) {
      await page.goto(`${server.url}${p}`);
      expect(await seriousAxeViolations(page), p).toEqual([]);
    }
    await page.close();
    const anonymous = await browser.newContext({ bypassCSP: true });
    const login = await anonymous.newPage();
    await login.goto(`${server.url}/staff/login`);
    expect(await seriousAxeViolations(login), '/staff/login').toEqual([]);
    await anonymous.close();
  }, 90_000); // nine pages, each scanned by axe

  it('fits a phone: no sideways scrolling of the page itself', async () => {
    const ctx = await signedIn(await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true }));
    const page = await ctx.newPage();
    for (const p of ['/staff', '/staff/sequence', `/staff/templates/${listTemplates()[1]!.id}`, '/staff/subscribers', `/staff/subscribers/${subscriberId}`]) {
      await page.goto(`${server.url}${p}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, p).toBeLessThanOrEqual(0);
    }
    await page.screenshot({ path: path.join(shots, 'subscriber-phone.png'), fullPage: true });
    await page.goto(`${server.url}/staff`);
    await page.screenshot({ path: path.join(shots, 'dashboard-phone.png'), fullPage: false });
    await ctx.close();
  });

  it('on a phone the subscriber page opens with its status and jump links, and the dashboard health panel is one line per check', async () => {
    const ctx = await signedIn(await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true }));
    const page = await ctx.newPage();
    await page.goto(`${server.url}/staff/subscribers/${subscriberId}`);
    const inFirstScreen = async (selector: string) => {
      const box = await page.locator(selector).first().boundingBox();
      return box !== null && box.y + box.height <= 740;
    };
    expect(await inFirstScreen('nav.jump a[href="#actions-h"]')).toBe(true);
    expect(await inFirstScreen('#status-h')).toBe(true);
    await page.click('nav.jump a[href="#actions-h"]');
    await expect(page.evaluate(() => location.hash)).resolves.toBe('#actions-h');
    const actions = await page.locator('#actions-h').boundingBox();
    // Scrolled to the top of the screen (within a pixel: the layout has fractional heights).
    expect(actions!.y).toBeGreaterThanOrEqual(-1);
    expect(actions!.y).toBeLessThan(740);
    await page.goto(`${server.url}/staff`);
    const lines = await page.locator('ul.health > li').evaluateAll((els) => els.map((e) => (e as HTMLElement).getBoundingClientRect().height));
    expect(lines.length).toBeGreaterThan(5);
    // Folded, every check is one line of the panel (a line is some 23px; with its padding under 50).
    for (const h of lines) expect(h).toBeLessThan(50);
    await page.locator('ul.health > li').first().locator('summary').click();
    expect(await page.locator('ul.health > li').first().locator('details').getAttribute('open')).not.toBeNull();
    await ctx.close();
  });

  it('searches, then erases a subscriber through the real form (CSRF token and confirmation)', async () => {
    const page = await real.newPage();
    await page.goto(`${server.url}/staff/subscribers`);
    await page.fill('#q', 'browser.reader');
    await page.click('form.search button[type=submit]');
    await expect(page.locator('p[aria-live]').textContent()).resolves.toContain('1 subscriber match');
    await page.click('text=browser.reader@example.org');
    await page.check('#erase-confirm');
    await page.click('form[action$="/erase"] button.danger');
    await expect(page.locator('h1').textContent()).resolves.toBe(`Subscriber #${subscriberId} (erased)`);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('Erased');
    await page.close();
  });
});
