// The import page in a real browser, under its own CSP: with script the file
// goes to the API and a <progress> follows the NDJSON lines, then the report
// appears and takes the focus; without script the form post answers the
// report page. No serious axe violations either way.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/routes/staff/auth.js';
import { testApp } from './helpers/app.js';
import { hasChromium, launchChromium, listen, seriousAxeViolations } from './helpers/browser.js';
import { TEST_ACCOUNTS } from './helpers/staff.js';

const HEADER = 'email,first_name,consent_source,consent_date,consent_text';

function csv(prefix: string, rows: number): { name: string; mimeType: string; buffer: Buffer } {
  const lines = Array.from({ length: rows }, (_, i) => (i % 3 ? `${prefix}${i}@example.org,Reader ${i},,,` : `${prefix}${i}@example.org,Reader ${i},Clinic form,2025-11-20,"I agree, on paper"`));
  return { name: `${prefix}.csv`, mimeType: 'text/csv', buffer: Buffer.from(`${HEADER}\n${lines.join('\n')}\nnot-an-address,,,,\n`) };
}

describe.skipIf(!hasChromium)('the import page in a real browser', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  let t: ReturnType<typeof testApp>;

  beforeAll(async () => {
    t = testApp();
    server = await listen(t.app.fetch);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function context(options: { javaScriptEnabled?: boolean; bypassCSP?: boolean } = {}): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    await ctx.addCookies([{ name: SESSION_COOKIE, value: TEST_ACCOUNTS.admin.session, url: server.url, httpOnly: true, sameSite: 'Strict' }]);
    return ctx;
  }

  it('with script: progress while the rows are written, then the report, focused; nothing the CSP refuses', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(`${server.url}/staff/imports`);
    await expect(page.locator('#import-progress-box').isHidden()).resolves.toBe(true);
    // What the progress said on the way, as a sighted user would have seen it.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
      new MutationObserver(() => seen.push(document.getElementById('import-count')!.textContent ?? '')).observe(document.getElementById('import-count')!, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.setInputFiles('#import-file', csv('js', 1200));
    await page.click('#import-form button[type=submit]');
    await page.locator('#import-result h2').waitFor();
    await expect(page.locator('#import-result h2').textContent()).resolves.toBe('Import report: 1,201 rows');
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen).toContain('1,201 of 1,201 rows done');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    await expect(page.locator('#import-live').textContent()).resolves.toBe('Import finished: 400 enrolled, 800 invited, 0 duplicates, 0 already known, 0 suppressed, 0 erased, 1 invalid.');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('import-result');
    await expect(page.locator('#import-progress-box').isHidden()).resolves.toBe(true);
    await expect(page.locator('#import-result tbody tr').count()).resolves.toBe(1201);
    await expect(page.locator('#import-result tbody tr').last().textContent()).resolves.toMatch(/^1202not-an-addressinvalidemail: /);
    // A file the server refuses: its message, in an alert, and the form ready again.
    await page.setInputFiles('#import-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('name\nAnn\n') });
    await page.click('#import-form button[type=submit]');
    await page.locator('[role=alert]').waitFor();
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('one of them email');
    await expect(page.locator('#import-form button').isEnabled()).resolves.toBe(true);
    expect(refused).toEqual([]);
    await ctx.close();
  });

  it('without script: the form posts and the answer is the report page', async () => {
    const ctx = await context({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/staff/imports`);
    await page.setInputFiles('#import-file', csv('plain', 30));
    await Promise.all([page.waitForNavigation(), page.click('#import-form button[type=submit]')]);
    await expect(page.locator('#import-result h2').textContent()).resolves.toBe('Import report: 31 rows');
    await expect(page.locator('#import-result .totals li').first().textContent()).resolves.toBe('10enrolled');
    await ctx.close();
  });

  it('has no serious axe violations, before and after an import', async () => {
    const ctx = await context({ bypassCSP: true });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/staff/imports`);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.setInputFiles('#import-file', csv('axe', 20));
    await page.click('#import-form button[type=submit]');
    await page.locator('#import-result h2').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    // The kept report it links to: its rows to fix, at desktop and phone widths.
    await Promise.all([page.waitForNavigation(), page.click('#import-result a[href^="/staff/imports/"]')]);
    await expect(page.locator('h1').textContent()).resolves.toMatch(/^Import #\d+$/);
    await expect(page.locator('#fix-caption').isVisible()).resolves.toBe(true);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.goto(`${server.url}/staff/imports`);
    await expect(page.locator('#kept-caption').isVisible()).resolves.toBe(true);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await ctx.close();
  });
});
