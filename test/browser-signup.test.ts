import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite as openDb, type SqliteDb as Db } from '../db/sqlite/client.js';
import { subscribers } from '../db/sqlite/schema.js';
import { createApp } from '../src/app.js';
import { sqliteStoresFor } from '../db/sqlite/index.js';
import { createSequenceWorker, type Worker } from '../src/nurture/worker.js';
import { systemClock } from '../src/clock.js';
import { createOutboxTransport } from '../src/mail/outbox.js';
import { captureLogger, testConfig } from './helpers/app.js';
import { viewOf } from './helpers/staff.js';
import { hasChromium, launchChromium, listen, seriousAxeViolations } from './helpers/browser.js';

// A phone: the signup must be usable at this size.
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** Decodes the quoted-printable text part of an .eml enough to read its links. */
function emlText(eml: string): string {
  return eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

describe.skipIf(!hasChromium)('signup in a real browser', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  let outbox: string;
  let db: Db;
  let worker: Worker;

  beforeAll(async () => {
    outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-outbox-'));
    db = openDb(':memory:');
    const { logger } = captureLogger();
    let app: ReturnType<typeof createApp> | undefined;
    server = await listen((req: Request, env?: unknown) => app!.fetch(req, env));
    const config = testConfig({ publicUrl: server.url, outboxDir: outbox });
    const transport = createOutboxTransport(outbox, systemClock);
    const stores = sqliteStoresFor(db);
    worker = createSequenceWorker({ stores, clock: systemClock, transport, logger, config });
    app = createApp({ stores, config, clock: systemClock, transport, logger, worker });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await worker?.stop();
    fs.rmSync(outbox, { recursive: true, force: true });
  });

  it('fills the form on a phone, gets the confirmation .eml, and confirms through its link', async () => {
    const context = await browser.newContext({ ...PHONE, timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });

    await page.goto(server.url);
    // The time-zone script ran under the strict CSP (through its nonce).
    await expect.poll(() => page.inputValue('#timezone')).toBe('Asia/Tokyo');
    // No horizontal scrolling on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const button = await page.getByRole('button', { name: 'Sign me up' }).boundingBox();
    expect(button!.height).toBeGreaterThanOrEqual(44);

    await page.getByLabel('First name (optional)').fill('Mina');
    await page.getByLabel('Email address').fill('mina@example.org');
    await page.getByLabel(/Yes, send me the eight-email series/).check();
    await page.getByRole('button', { name: 'Sign me up' }).tap();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
    expect(await page.locator('main').textContent()).toContain('Please confirm your subscription');

    await worker.tick();
    const files = fs.readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const eml = fs.readFileSync(path.join(outbox, files[0]!), 'utf8');
    expect(eml).toMatch(/^To: mina@example\.org\r?$/m);
    expect(eml).toMatch(/^Subject: Please confirm your subscription\r?$/m);
    expect(eml).toMatch(/Content-Type: multipart\/alternative/);
    const confirmLink = new RegExp(`${server.url}/confirm/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+`).exec(emlText(eml))![0];

    await page.goto(confirmLink);
    expect(db.select().from(subscribers).get()!.status).toBe('pending');
    await page.getByRole('button', { name: 'Confirm my subscription' }).tap();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are confirmed. Thank you!');
    // The confirmation kicked the worker: email 1 lands within seconds, and step 2 is next.
    await expect.poll(() => fs.readdirSync(outbox).filter((f) => f.endsWith('.eml')).length, { timeout: 10_000 }).toBe(2);
    await worker.tick();
    expect(viewOf(db)).toMatchObject({ status: 'active', timezone: 'Asia/Tokyo', firstName: 'Mina', nextStep: 2 });
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('works without JavaScript, showing errors next to the fields and keeping what was typed', async () => {
    const context = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel('Email address').fill('no-script@example');
    await page.getByRole('button', { name: 'Sign me up' }).click();
    await expect.poll(() => page.locator('.error-summary').isVisible()).toBe(true);
    expect(await page.inputValue('#email')).toBe('no-script@example');
    expect(await page.locator('#email-error').textContent()).toContain('does not look like an email address');
    expect(await page.locator('#consent-error').textContent()).toContain('Tick the box');

    await page.getByLabel('Email address').fill('no-script@example.org');
    await page.getByLabel(/Yes, send me the eight-email series/).check();
    await page.getByRole('button', { name: 'Sign me up' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
    await worker.tick();
    expect(db.select().from(subscribers).all().find((s) => s.email === 'no-script@example.org')!.timezone).toBe('America/New_York');
    await context.close();
  });

  it('has no serious or critical axe violations on the signup, error and confirm pages', async () => {
    // bypassCSP only so axe itself can be injected into the page.
    const context = await browser.newContext({ ...PHONE, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(server.url);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Sign me up' }).click();
    await expect.poll(() => page.locator('.error-summary').isVisible()).toBe(true);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.getByLabel('Email address').fill('axe@example.org');
    await page.getByLabel(/Yes, send me the eight-email series/).check();
    await page.getByRole('button', { name: 'Sign me up' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.goto(`${server.url}/confirm/not-a-token`);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await context.close();
  });
});
