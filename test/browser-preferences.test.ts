import fs from 'node:fs';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { preferencesUrl } from '../src/mail/links.js';
import { captureLogger, storesOf, testConfig, testDb } from './helpers/app.js';
import { hasChromium, launchChromium, listen, seriousAxeViolations } from './helpers/browser.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { addSubscriber } from './helpers/staff.js';
import { fixedClock } from '../src/clock.js';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const NOW = Date.parse('2026-03-02T14:00:00Z');

describe.skipIf(!hasChromium)('the preference page in a real browser', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  let url: string;
  let t: { stores: ReturnType<typeof storesOf> };

  beforeAll(async () => {
    const db = testDb();
    const stores = storesOf(db);
    t = { stores };
    const clock = fixedClock(NOW);
    let app: ReturnType<typeof createApp> | undefined;
    server = await listen((req: Request, env?: unknown) => app!.fetch(req, env));
    const config = testConfig({ publicUrl: server.url });
    app = createApp({ stores, config, clock, transport: memoryTransport(), logger: captureLogger().logger });
    const s = addSubscriber(db, { email: 'phone@example.org', timezone: 'Europe/Berlin', confirmedAt: NOW - 86_400_000, nextStep: 2, nextSendAt: NOW + 86_400_000, lastSequenceSentAt: NOW - 86_400_000 });
    url = preferencesUrl(config, { id: s.id, tokenGeneration: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('on a phone (390x844): fits the screen, axe finds nothing serious, and pause, reader, export and delete work by tapping', async () => {
    // bypassCSP only so axe itself can be injected into the page.
    const context = await browser.newContext({ ...PHONE, bypassCSP: true, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(url);
    expect(await page.title()).toContain('Your email preferences');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await seriousAxeViolations(page)).toEqual([]);
    // Tap targets are big enough for a thumb.
    for (const box of await page.locator('button').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height))) expect(box).toBeGreaterThanOrEqual(44);

    await page.getByLabel('4 weeks').check();
    await page.getByRole('button', { name: 'Pause the emails' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('Paused. No emails until Monday, March 30');
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect((await t.stores.subscribers.byId(1))!.pausedUntil).toBe(NOW + 28 * 86_400_000);

    await page.getByLabel('Someone close to me who lives with PTSD or trauma').check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('Saved.');
    expect((await t.stores.subscribers.byId(1))!.reader).toBe('supporter');

    await page.getByLabel(/First name/).fill('Noor');
    await page.getByLabel('Time zone', { exact: true }).selectOption('Asia/Tokyo');
    await page.getByRole('button', { name: 'Save name and time zone' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('Saved. We greet you as Noor');
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(await t.stores.subscribers.byId(1)).toMatchObject({ firstName: 'Noor', timezone: 'Asia/Tokyo' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my data' }).click()]);
    const data = JSON.parse(fs.readFileSync((await download.path())!, 'utf8'));
    expect(data.you).toMatchObject({ email: 'phone@example.org', firstName: 'Noor', timezone: 'Asia/Tokyo', readingFor: 'supporter' });
    expect(data.you.signedUpAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    await page.getByRole('button', { name: 'Delete my data' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Delete all your data?');
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect((await t.stores.subscribers.byId(1))!.status).toBe('active');
    await page.getByRole('button', { name: 'Yes, delete my data' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your data is deleted');
    expect((await t.stores.subscribers.byId(1))!.status).toBe('erased');
    await context.close();
  });
});
