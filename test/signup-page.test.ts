import { describe, expect, it } from 'vitest';
import { subscribers } from '../db/sqlite/schema.js';
import { sealAddress } from '../src/mail/tokens.js';
import { prefersHtml } from '../src/routes/request-info.js';
import { TEST_SECRET, testApp, testConfig } from './helpers/app.js';
import { postForm, postJson, signupForm } from './helpers/public.js';

describe('the signup page', () => {
  it('says who the clinic is: CLINIC_NAME, CLINIC_URL and the postal address from the config', async () => {
    const t = testApp({ config: testConfig({ clinicName: 'Harbor Clinic', clinicUrl: 'https://harborclinic.example', postalAddress: 'Harbor Clinic, 9 Real Road, Austin, TX 78701, USA' }) });
    const body = await (await t.app.request('/')).text();
    expect(body).toContain('<h2>Who we are</h2>');
    expect(body).toContain('These emails come from <strong>Harbor Clinic</strong> (<a href="https://harborclinic.example">harborclinic.example</a>)');
    expect(body).toContain('Harbor Clinic, 9 Real Road, Austin, TX 78701, USA');
    expect(body).toContain('<header><a href="https://harborclinic.example">Harbor Clinic</a> · Education series</header>');
    // No CLINIC_URL, no site link (the sending domain is not taken for one).
    const bare = await (await testApp({ config: testConfig({ mailFrom: 'Harbor Clinic <education@harborclinic.example>' }) }).app.request('/')).text();
    expect(bare).not.toContain('href="https://harborclinic.example"');
  });

  it('has the optional reader field as one compact labelled select, "rather not say" chosen by default', async () => {
    const body = await (await testApp().app.request('/')).text();
    expect(body).toContain('<label for="reader">I am reading for <span class="optional">(optional)</span></label>');
    for (const value of ['self', 'supporter', 'professional']) expect(body).toMatch(new RegExp(`<option value="${value}">[^<]+</option>`));
    expect(body).toContain('<option value="" selected="">I would rather not say</option>');
    expect(body.match(/<option[^>]*selected/g)).toHaveLength(1);
    expect(body).not.toContain('type="radio"');
  });

  it('keeps the reader chosen when the form comes back with an error', async () => {
    const t = testApp();
    const res = await postForm(t.app, '/subscribe', { email: 'not-an-address', consent: 'yes', reader: 'supporter' });
    expect(res.status).toBe(422);
    const body = await res.text();
    expect(body).toContain('<option value="supporter" selected="">');
    expect(body.match(/<option[^>]*selected/g)).toHaveLength(1);
  });

  it('says "education, not medical advice" right under the lead, before the form', async () => {
    const body = await (await testApp().app.request('/')).text();
    expect(body).toMatch(/<p class="lead">[\s\S]*?<\/p>\s*<p class="note advice">[^<]*not medical advice[^<]*<\/p>/);
    expect(body.indexOf('not medical advice')).toBeLessThan(body.indexOf('<form'));
  });

  it('carries the typo suggestion (a live region and its script) without making it a field', async () => {
    const body = await (await testApp().app.request('/')).text();
    expect(body).toContain('<p class="suggestion" id="email-suggestion" aria-live="polite"></p>');
    expect(body).toContain('globalThis.suggestEmail');
    expect(body).toContain('Did you mean ');
  });

  it.each([
    [{ privacyContact: 'privacy@clinic.example' }, 'write to <a href="mailto:privacy@clinic.example">privacy@clinic.example</a>'],
    [{ privacyContact: 'https://clinic.example/privacy' }, 'use <a href="https://clinic.example/privacy">our data request page</a>'],
    [{}, 'write to us at the postal address above'],
  ])('has the privacy text of the brief with PRIVACY_CONTACT %j', async (settings, contact) => {
    const body = await (await testApp({ config: testConfig(settings) }).app.request('/')).text();
    const privacy = body.slice(body.indexOf('<h2>Your privacy</h2>'));
    expect(privacy).toContain('Harbor Clinic processes your email address');
    expect(privacy).toContain('we delete them 730 days later, or sooner if you ask.');
    expect(privacy).toContain('If you never confirm your address, we delete what you typed 30 days after our confirmation email.');
    expect(privacy).toContain('a link to your preference page, where you can pause the emails, change who you read for, and download or delete your data yourself.');
    expect(privacy).toContain(`To get a copy of your data or have it deleted, ${contact}.`);
  });
});

describe('the privacy text follows this install', () => {
  const privacyOf = async (settings: Partial<ReturnType<typeof testConfig>>) => {
    const body = await (await testApp({ config: testConfig(settings) }).app.request('/')).text();
    return body.slice(body.indexOf('<h2>Your privacy</h2>'));
  };

  it('states a retention period shorter than 30 days for people who never confirm too', async () => {
    const privacy = await privacyOf({ retentionDays: 14 });
    expect(privacy).toContain('we delete them 14 days later');
    expect(privacy).toContain('we delete what you typed 14 days after our confirmation email');
  });

  it('names no email provider in outbox mode, and records no opens or clicks there', async () => {
    const privacy = await privacyOf({ resendApiKey: undefined });
    expect(privacy).not.toMatch(/Resend|email service/);
    expect(privacy).not.toMatch(/opened|clicked/);
  });

  it('names Resend when it sends; opens and clicks only when its events reach us (the webhook secret)', async () => {
    const sending = await privacyOf({ resendApiKey: 're_x' });
    expect(sending).toContain('Harbor Clinic and Resend, the email service that delivers our emails, process your email address');
    expect(sending).not.toMatch(/opened|clicked/);
    const tracked = await privacyOf({ resendApiKey: 're_x', resendWebhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    expect(tracked).toContain('We record when an email is opened and which links in it are clicked, to improve the series.');
  });

  it('states RETENTION_DAYS', async () => {
    expect(await privacyOf({ retentionDays: 365 })).toContain('we delete them 365 days later');
  });
});

describe('after a signup', () => {
  it('lands on a page that names the sender, the subject and the address typed (sealed in the link, never in clear), and reloads without posting', async () => {
    const t = testApp({ config: testConfig({ mailFrom: 'Harbor Clinic <education@harborclinic.example>' }) });
    const posted = await postForm(t.app, '/subscribe', signupForm('Reload@example.org', { firstName: 'Rae' }));
    expect(posted.status).toBe(303);
    const location = posted.headers.get('location')!;
    expect(location).not.toMatch(/reload|example|Rae/i);
    const url = new URL(location, 'http://nurture.test/subscribe');
    expect(url.pathname).toBe('/subscribe/sent');
    await t.drain();
    for (let i = 0; i < 3; i++) {
      const res = await t.app.request(url.pathname + url.search);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.text();
      expect(body).toContain('<h1>Check your inbox</h1>');
      expect(body).toContain('<strong>Reload@example.org</strong>');
      expect(body).toContain('Harbor Clinic &lt;education@harborclinic.example&gt;');
      expect(body).toContain('“Please confirm your subscription”');
      expect(body).not.toContain('Rae');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
    // Without the sealed address, or with one tampered with, expired or sealed under another key, the page names no address.
    const sealed = url.searchParams.get('to')!;
    const other = sealAddress('b'.repeat(64), 'Reload@example.org', t.clock.now() + 60_000);
    for (const to of [null, `${sealed.slice(0, -2)}AA`, other, 'garbage']) {
      const res = await t.app.request(to === null ? '/subscribe/sent' : `/subscribe/sent?to=${encodeURIComponent(to)}`);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain('<h1>Check your inbox</h1>');
      expect(body).not.toMatch(/reload@example/i);
    }
    t.clock.advance(2 * 60 * 60_000);
    expect(await (await t.app.request(url.pathname + url.search)).text()).not.toMatch(/reload@example/i);
    await t.drain();
    expect(t.db.select().from(subscribers).all()).toHaveLength(1);
    expect(t.transport.sent).toHaveLength(1);
  });
});

describe('the per-client signup limit', () => {
  it('counts only accepted signups: mistyped forms cost nothing', async () => {
    const t = testApp({ subscribeRateLimit: { max: 1, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++) expect((await postForm(t.app, '/subscribe', { email: 'typo@', consent: 'yes' }, { ip: '203.0.113.7' })).status).toBe(422);
    expect((await postJson(t.app, '/subscribe', { email: 'bad', consent: true }, { ip: '203.0.113.7' })).status).toBe(422);
    expect((await postForm(t.app, '/subscribe', signupForm('first@example.org'), { ip: '203.0.113.7' })).status).toBe(303);
    expect((await postForm(t.app, '/subscribe', signupForm('second@example.org'), { ip: '203.0.113.7' })).status).toBe(429);
    await t.drain();
  });

  it('gives a limited visitor the form back with everything they typed', async () => {
    const t = testApp({ subscribeRateLimit: { max: 1, windowMs: 60_000 } });
    await postForm(t.app, '/subscribe', signupForm('one@example.org'), { ip: '203.0.113.8' });
    const res = await postForm(t.app, '/subscribe', signupForm('two@example.org', { firstName: 'Tomas', reader: 'professional', timezone: 'Europe/Dublin' }), { ip: '203.0.113.8' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    const body = await res.text();
    expect(body).toContain('role="alert"');
    expect(body).toContain('Please wait 60 seconds');
    expect(body).toMatch(/<input id="email"[^>]*value="two@example.org"/);
    expect(body).toMatch(/<input id="firstName"[^>]*value="Tomas"/);
    expect(body).toMatch(/<option value="professional" selected="">/);
    expect(body).toMatch(/id="consent"[^>]*checked/);
    expect(body).toContain('name="timezone" id="timezone" value="Europe/Dublin"');
    await t.drain();
    expect(t.transport.sent.map((m) => m.to)).toEqual(['one@example.org']);
  });
});

describe('unknown URLs', () => {
  it('answer a browser with a readable page', async () => {
    const res = await testApp().app.request('/no/such/page', { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const body = await res.text();
    expect(body).toContain('<h1>Page not found</h1>');
    expect(body).toContain('<a href="/">');
  });

  it("carry the reader pages' security headers, the page's style allowed by its own nonce", async () => {
    const res = await testApp().app.request('/no/such/page', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(await res.text()).toContain(`<style nonce="${nonce}">`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it.each([[undefined], ['application/json'], ['*/*'], ['application/json, text/html;q=0.5']])('answer a script (Accept %j) with the JSON error', async (accept) => {
    const res = await testApp().app.request('/nope', accept ? { headers: { accept } } : {});
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No such route.' } });
  });
});

describe('prefersHtml', () => {
  it.each([
    ['text/html', true],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true],
    ['application/json', false],
    ['*/*', false],
    ['application/json;q=0.9, text/html', true],
    ['text/html;q=0', false],
    ['', false],
  ])('%j -> %s', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});

describe('the check-your-inbox page', () => {
  it('escapes the address it shows', async () => {
    const t = testApp();
    const to = sealAddress(TEST_SECRET, '"<script>alert(1)</script>"@example.org', t.clock.now() + 60_000);
    const body = await (await t.app.request(`/subscribe/sent?to=${encodeURIComponent(to)}`)).text();
    expect(body).not.toContain('<script>alert');
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
