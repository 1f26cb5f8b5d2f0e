// The signup page as a visitor sees it at a phone's and a laptop's size, and
// one email in a dark colour scheme, in a real browser.
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribers } from '../db/sqlite/schema.js';
import { createApp } from '../src/app.js';
import { renderSequenceEmail } from '../src/mail/render.js';
import { FIRST_VERSION } from '../src/nurture/sequence.js';
import { sampleProps } from '../emails/_components/props.js';
import { storesOf, testConfig, testDb, captureLogger, testWorker } from './helpers/app.js';
import { fixedClock } from '../src/clock.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { hasChromium, launchChromium, listen, seriousAxeViolations } from './helpers/browser.js';

const SEQUENCE = FIRST_VERSION.steps;

const SIZES: [string, BrowserContextOptions][] = [
  ['phone 390x844', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
  ['laptop 1280x800', { viewport: { width: 1280, height: 800 } }],
];

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = c.match(/[\d.]+/g)!.slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe.skipIf(!hasChromium)('the signup page in a real browser', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  const db = testDb();
  const stores = storesOf(db);
  const clock = fixedClock('2026-03-02T14:00:00Z');
  const transport = memoryTransport(() => clock.now());
  const { logger } = captureLogger();

  beforeAll(async () => {
    let app: ReturnType<typeof createApp> | undefined;
    server = await listen((req: Request, env?: unknown) => app!.fetch(req, env));
    const config = testConfig({ publicUrl: server.url, privacyContact: 'privacy@clinic.example' });
    const worker = testWorker({ stores, clock, transport, config, logger });
    app = createApp({ stores, config, clock, transport, logger, worker, subscribeRateLimit: { max: 100, windowMs: 60_000 } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [name, size] of SIZES) {
    it(`${name}: the form is on the first screen, a typo gets a suggestion, the sent page reloads without posting, axe finds nothing serious`, async () => {
      // bypassCSP only so axe itself can be injected into the page.
      const context = await browser.newContext({ ...size, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(server.url);
      const height = size.viewport!.height;
      // The whole form, the consent box and "Sign me up" included, is on the first screen, with the advice line under the lead.
      for (const selector of ['#email', '#reader', '#consent', 'label[for=consent]', 'button[type=submit]', 'p.advice']) {
        const box = (await page.locator(selector).boundingBox())!;
        expect(box.y + box.height, selector).toBeLessThanOrEqual(height);
      }
      const lead = (await page.locator('p.lead').boundingBox())!;
      const advice = (await page.locator('p.advice').boundingBox())!;
      expect(advice.y).toBeGreaterThanOrEqual(lead.y + lead.height);
      expect(await page.locator('p.advice').textContent()).toContain('not medical advice');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.viewport!.width);
      expect(await seriousAxeViolations(page)).toEqual([]);

      // A mistyped common domain: a suggestion appears, applying it is one tap, and nothing is blocked.
      const address = `mina.${name.split(' ')[0]}@gmial.com`;
      await page.getByLabel('Email address').fill(address);
      await page.getByLabel('First name (optional)').focus();
      const suggestion = page.locator('#email-suggestion');
      await expect.poll(() => suggestion.textContent()).toBe(`Did you mean ${address.replace('gmial', 'gmail')}? `);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await suggestion.getByRole('button').click();
      expect(await page.inputValue('#email')).toBe(address.replace('gmial', 'gmail'));
      expect(await suggestion.textContent()).toBe('');

      await page.getByLabel('I am reading for (optional)').selectOption('supporter');
      await page.getByLabel(/Yes, send me the eight-email series/).check();
      await page.getByRole('button', { name: 'Sign me up' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
      expect(new URL(page.url()).pathname).toBe('/subscribe/sent');
      expect(await page.locator('main').textContent()).toContain('Please confirm your subscription');
      // The address as typed, so a typo shows.
      expect(await page.locator('main strong').first().textContent()).toBe(address.replace('gmial', 'gmail'));
      expect(await seriousAxeViolations(page)).toEqual([]);

      const rows = () => db.select().from(subscribers).all().filter((s) => s.email === address.replace('gmial', 'gmail'));
      expect(rows()).toHaveLength(1);
      expect(rows()[0]!.reader).toBe('supporter');
      const before = JSON.stringify(db.select().from(subscribers).all());
      const reload = await page.reload();
      expect(reload!.request().method()).toBe('GET');
      expect(await page.locator('h1').textContent()).toBe('Check your inbox');
      expect(await page.locator('main').textContent()).toContain(address.replace('gmial', 'gmail'));
      expect(JSON.stringify(db.select().from(subscribers).all())).toBe(before);
      await context.close();
    });
  }

  it('a typo suggestion never blocks: the address is sent as typed when it is ignored', async () => {
    const context = await browser.newContext({ ...SIZES[0]![1], javaScriptEnabled: true });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel('Email address').fill('keep@hotmial.com');
    await page.getByLabel(/Yes, send me the eight-email series/).check();
    await page.getByRole('button', { name: 'Sign me up' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
    expect(db.select().from(subscribers).all().some((s) => s.email === 'keep@hotmial.com')).toBe(true);
    await context.close();
  });

  it('an email in dark mode keeps its text at 4.5:1 or better against its background', async () => {
    const step = SEQUENCE.find((s) => s.step === 5)!;
    const rendered = await renderSequenceEmail(step, { ...sampleProps, bookingUrl: 'https://clinic.example/book', replyTo: 'care@clinic.example' });
    const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setContent(rendered.html);
    const pairs = await page.evaluate(() => {
      /** The first non-transparent background behind an element. */
      const background = (el: Element | null): string => {
        for (let e = el; e; e = e.parentElement) {
          const bg = getComputedStyle(e).backgroundColor;
          if (bg && !/rgba\(\d+, \d+, \d+, 0\)|transparent/.test(bg)) return bg;
        }
        return 'rgb(255, 255, 255)';
      };
      const out: { text: string; color: string; bg: string }[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement!;
        const text = n.textContent!.trim();
        const style = getComputedStyle(el);
        if (!text || style.display === 'none' || style.visibility === 'hidden' || el.closest('[style*="display:none"],[style*="display: none"]')) continue;
        out.push({ text: text.slice(0, 40), color: style.color, bg: background(el) });
      }
      return { out, body: background(document.body.querySelector('table, div') ?? document.body) };
    });
    expect(pairs.out.length).toBeGreaterThan(50);
    // Dark mode is on: the page behind the text is dark.
    expect(contrast(pairs.body, 'rgb(0, 0, 0)')).toBeLessThan(3);
    const low = pairs.out.filter((p) => contrast(p.color, p.bg) < 4.5).map((p) => `${p.text} ${p.color} on ${p.bg}`);
    expect(low).toEqual([]);
    await context.close();
  });
});
