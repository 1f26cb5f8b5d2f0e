// The unsubscribe page as a reader meets it from an email, on a phone and a
// laptop: the button on the first screen, an optional reason, a pause instead.
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { fixedClock } from '../src/clock.js';
import { unsubscribeUrl } from '../src/mail/links.js';
import { captureLogger, storesOf, testConfig, testDb } from './helpers/app.js';
import { hasChromium, launchChromium, listen, seriousAxeViolations } from './helpers/browser.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { addDelivery, addSubscriber } from './helpers/staff.js';

const SIZES: [string, BrowserContextOptions][] = [
  ['phone 390x844', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
  ['laptop 1280x800', { viewport: { width: 1280, height: 800 } }],
];
const NOW = Date.parse('2026-03-02T14:00:00Z');
const DAY = 86_400_000;

describe.skipIf(!hasChromium)('the unsubscribe page in a real browser', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  const db = testDb();
  const stores = storesOf(db);
  let linkOf: (email: string) => string;

  beforeAll(async () => {
    let app: ReturnType<typeof createApp> | undefined;
    server = await listen((req: Request, env?: unknown) => app!.fetch(req, env));
    const config = testConfig({ publicUrl: server.url });
    app = createApp({ stores, config, clock: fixedClock(NOW), transport: memoryTransport(), logger: captureLogger().logger });
    linkOf = (email: string) => {
      const s = addSubscriber(db, { email, timezone: 'Europe/Berlin', confirmedAt: NOW - DAY, nextStep: 2, nextSendAt: NOW + DAY, lastSequenceSentAt: NOW - DAY });
      addDelivery(db, { subscriberId: s.id, step: 1, sentAt: NOW - DAY });
      return unsubscribeUrl(config, { id: s.id, tokenGeneration: 0 });
    };
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [name, size] of SIZES) {
    it(`${name}: the button is on the first screen, axe finds nothing serious, a reason is counted and a pause works instead`, async () => {
      const context = await browser.newContext({ ...size, bypassCSP: true });
      const page = await context.newPage();
      const who = name.split(' ')[0]!;
      await page.goto(linkOf(`leaving.${who}@example.org`));
      const button = (await page.getByRole('button', { name: 'Unsubscribe' }).boundingBox())!;
      expect(button.y + button.height).toBeLessThanOrEqual(size.viewport!.height);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.viewport!.width);
      expect(await seriousAxeViolations(page)).toEqual([]);

      await page.getByRole('button', { name: 'Pause for 4 weeks instead' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Paused');
      expect(await seriousAxeViolations(page)).toEqual([]);

      const before = (await stores.subscribers.unsubscribeReasons('education')).find((r) => r.step === 1 && r.reason === 'too-hard')?.count ?? 0;
      await page.goto(linkOf(`leaving.${who}.2@example.org`));
      await page.getByLabel('The subject is hard for me to read about right now').check();
      await page.getByRole('button', { name: 'Unsubscribe' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('You are unsubscribed');
      expect((await stores.subscribers.unsubscribeReasons('education')).find((r) => r.step === 1 && r.reason === 'too-hard')?.count).toBe(before + 1);
      await context.close();
    });
  }
});
