// The clinic profile (CLINIC_NAME, CLINIC_URL, CLINIC_SESSION_SETTING,
// RETENTION_DAYS): with a configured clinic, no other clinic's name appears in
// any page or email, and the public pages give the crisis lines of the
// reader's place by the emails' rule.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { subscribers } from '../db/sqlite/schema.js';
import { EXAMPLE_CLINIC_NAME } from '../src/env.js';
import { allTemplates, renderDirect, type TemplateDef } from '../src/mail/render.js';
import { confirmationProps, sequenceProps } from '../src/nurture/email-props.js';
import { consentFor } from '../src/subscribers/consent.js';
import { testApp, testConfig } from './helpers/app.js';
import { linkToken, postForm, signupForm } from './helpers/public.js';
import { asStaff, basicAuthOf } from './helpers/staff.js';

const CLINIC = 'Harbor Clinic';
// Names that must not reach a reader of a configured clinic: the example
// clinic of the defaults, and the clinic whose name the code once carried.
const OTHER_CLINICS = [EXAMPLE_CLINIC_NAME, 'Isha'];

function expectOnlyOurClinic(where: string, body: string) {
  for (const name of OTHER_CLINICS) expect(body, where).not.toContain(name);
}

describe('a configured clinic, everywhere', () => {
  it('every public page, every email the service sends or previews, and the sender name carry CLINIC_NAME and no other clinic', async () => {
    const config = testConfig({ clinicName: CLINIC, clinicUrl: 'https://harborclinic.example', mailFrom: `${CLINIC} <education@harborclinic.example>`, clinicSessionSetting: 'in-clinic' });
    const t = testApp({ config });
    const pages: [string, Response][] = [];
    const get = async (p: string, init?: RequestInit) => {
      const res = await t.app.request(p, init);
      pages.push([p, res.clone()]);
      return res;
    };
    await get('/');
    const posted = await postForm(t.app, '/subscribe', signupForm('reader@example.org'));
    await get(posted.headers.get('location')!.replace(/^subscribe/, '/subscribe'));
    await t.drain();
    const confirmation = t.transport.sent[0]!;
    const token = linkToken(confirmation, 'confirm');
    await get(`/confirm/${token}`);
    await get(`/confirm/${token}`, { method: 'POST' });
    await t.drain();
    const email1 = t.transport.sent[1]!;
    await get(`/u/${linkToken(email1, 'u')}`);
    await get(`/p/${linkToken(email1, 'p')}`);
    await get('/no-such-page', { headers: { accept: 'text/html' } });
    for (const def of allTemplates) {
      await get(`/staff/templates/${def.id}`, asStaff());
      await get(`/staff/templates/${def.id}/html`, asStaff());
    }
    for (const [p, res] of pages) {
      const body = await res.text();
      expect(res.status, p).toBeLessThan(p === '/no-such-page' ? 500 : 400);
      expectOnlyOurClinic(p, body);
      if (!p.startsWith('/staff')) expect(body, p).toContain(CLINIC);
    }
    // What was sent: sender, subject lines, both parts.
    for (const m of t.transport.sent) {
      expect(m.from).toBe(`${CLINIC} <education@harborclinic.example>`);
      expectOnlyOurClinic(m.subject, `${m.html}\n${m.text}`);
      expect(m.text).toContain(CLINIC);
    }
    // The consent the person saw, stored word for word with the clinic's name in it.
    const row = t.db.select().from(subscribers).all()[0]!;
    expect(row.consentText).toBe(consentFor(CLINIC).text);
    expect(row.consentText).toContain(`from ${CLINIC} (8 emails over 3 weeks)`);
  });

  it('every template, rendered with the props the worker builds, names the clinic (masthead, sign-off, site) and no other', async () => {
    const config = testConfig({ clinicName: CLINIC, clinicUrl: 'https://harborclinic.example' });
    const recipient = { firstName: 'Ria', timezone: 'Europe/London', reader: null, source: 'signup-form', consentSource: 'signup-form', consentVersion: 'signup-2026-12-v3', consentGivenAt: 1 };
    const links = { unsubscribeUrl: `${config.publicUrl}/u/t`, preferencesUrl: `${config.publicUrl}/p/t` };
    for (const def of allTemplates) {
      const props = def.kind === 'sequence' ? sequenceProps(config, recipient, links) : confirmationProps(config, recipient, { ...links, confirmUrl: `${config.publicUrl}/confirm/t` });
      const { html, text } = await renderDirect(def as TemplateDef<any>, props);
      expectOnlyOurClinic(def.id, `${html}\n${text}`);
      expect(text, def.id).toContain(`${CLINIC}: https://harborclinic.example`);
      if (def.kind === 'sequence') expect(text, def.id).toContain(`The education team at ${CLINIC}`);
    }
  });

  it('unconfigured, the defaults describe the example clinic', async () => {
    const t = testApp({ config: testConfig({ clinicName: EXAMPLE_CLINIC_NAME, clinicNameIsDefault: true }) });
    expect(await (await t.app.request('/')).text()).toContain(`These emails come from <strong>${EXAMPLE_CLINIC_NAME}</strong>`);
  });

  it("no clinic's name is written in the code: the example clinic only in the defaults and the preview samples", () => {
    const root = path.resolve(import.meta.dirname, '..');
    const files = ['src', 'emails'].flatMap((d) => fs.readdirSync(path.join(root, d), { recursive: true, encoding: 'utf8' }).map((f) => path.join(d, f)));
    const allowed = new Set([path.join('src', 'env.ts'), path.join('emails', '_components', 'props.ts')]);
    for (const f of files.filter((x) => /\.(tsx?|js)$/.test(x))) {
      const source = fs.readFileSync(path.join(root, f), 'utf8');
      expect(source, f).not.toMatch(/Isha/i);
      if (!allowed.has(f)) expect(source, f).not.toContain(EXAMPLE_CLINIC_NAME);
    }
    expect(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).not.toMatch(/Isha/i);
  });
});

describe('crisis help on the public pages, by the place the page knows', () => {
  const crisisOf = (body: string) => /<footer>\s*<p><strong>If you are in crisis or thinking about suicide:<\/strong> ([^\n]*?)<\/p>/.exec(body)?.[1] ?? '';

  async function readerIn(timezone: string) {
    const t = testApp();
    const posted = await postForm(t.app, '/subscribe', signupForm('reader@example.org', { timezone }));
    const sent = posted.headers.get('location')!.replace(/^subscribe/, '/subscribe');
    await t.drain();
    const token = linkToken(t.transport.sent[0]!, 'confirm');
    const page = async (p: string, init?: RequestInit) => crisisOf(await (await t.app.request(p, init)).text());
    const pages: Record<string, string> = { sent: await page(sent), confirm: await page(`/confirm/${token}`), confirmed: await page(`/confirm/${token}`, { method: 'POST' }) };
    await t.drain();
    const email1 = t.transport.sent[1]!;
    pages.preferences = await page(`/p/${linkToken(email1, 'p')}`);
    pages.unsubscribe = await page(`/u/${linkToken(email1, 'u')}`);
    pages.unsubscribed = await page(`/u/${linkToken(email1, 'u')}`, { method: 'POST' });
    return pages;
  }

  it.each([
    ['America/Chicago', /^in the US, Puerto Rico, Guam and the US Virgin Islands, call or text 988 \(Veterans: dial 988 then press 1, or text 838255\)\. In an emergency, call 911\.$/],
    ['America/Puerto_Rico', /^in the US, Puerto Rico, Guam and the US Virgin Islands, call or text 988/],
    ['Pacific/Guam', /call or text 988/],
    ['America/St_Thomas', /call or text 988/],
    ['Europe/London', /^in the UK, Jersey, Guernsey and the Isle of Man, call Samaritans free on 116 123\. In an emergency, call 999\.$/],
    ['Europe/Jersey', /^in the UK, Jersey, Guernsey and the Isle of Man, call Samaritans free on 116 123/],
    ['Europe/Guernsey', /Samaritans free on 116 123/],
    ['Europe/Isle_of_Man', /Samaritans free on 116 123/],
    ['Australia/Sydney', /^in Australia, call Lifeline on 13 11 14\. In an emergency, call 000\.$/],
    ['Europe/Berlin', /^in Germany, call TelefonSeelsorge/],
    ['Asia/Tokyo', /^find a free helpline in your country at <a href="https:\/\/findahelpline\.com">findahelpline\.com<\/a>\. In an emergency, call your local emergency number\.$/],
  ])('%s: check-your-inbox, confirm, confirmed, preference and unsubscribe pages', async (timezone, expected) => {
    const pages = await readerIn(timezone);
    for (const [name, line] of Object.entries(pages)) expect(line, name).toMatch(expected);
  });

  it('a page that knows no place uses DEFAULT_TIMEZONE; the check-your-inbox page takes only a known crisis country', async () => {
    const t = testApp({ config: testConfig({ defaultTimezone: 'Europe/Dublin' }) });
    expect(crisisOf(await (await t.app.request('/')).text())).toMatch(/^in Ireland, call Samaritans/);
    expect(crisisOf(await (await t.app.request('/subscribe/sent')).text())).toMatch(/^in Ireland/);
    expect(crisisOf(await (await t.app.request('/subscribe/sent?crisis=<script>')).text())).toMatch(/^in Ireland/);
    expect(crisisOf(await (await t.app.request('/subscribe/sent?crisis=NZ')).text())).toMatch(/^in New Zealand, call or text 1737/);
  });

  it('a link that finds nobody knows no place: the lines of DEFAULT_TIMEZONE', async () => {
    const t = testApp();
    expect(crisisOf(await (await t.app.request('/p/not-a-token', { headers: { accept: 'text/html' } })).text())).toMatch(/^in the US/);
  });
});

describe('the footer says how the person came, as the worker sends it', () => {
  it('signed up on the form: the site; imported with a recorded consent: its source and day', async () => {
    const t = testApp();
    await postForm(t.app, '/subscribe', signupForm('form@example.org'));
    await t.drain();
    await t.app.request(`/confirm/${linkToken(t.transport.sent[0]!, 'confirm')}`, { method: 'POST' });
    const csv = 'email,timezone,consent_source,consent_date,consent_text\nimported@example.org,America/Chicago,Clinic intake form,2026-02-27,Yes to the emails.\n';
    const res = await t.app.request('/api/imports', { method: 'POST', headers: { authorization: basicAuthOf('admin'), 'content-type': 'text/csv' }, body: csv });
    expect(res.status).toBe(200);
    await t.drain();
    // The imported person's email 1 goes in their window: 09:00 in Chicago.
    t.clock.set('2026-03-02T15:00:00Z');
    await t.drain();
    const firstEmail = (to: string) => t.transport.sent.find((m) => m.to === to && m.tags?.some((x) => x.value === 'sequence'))!;
    expect(firstEmail('form@example.org').text).toContain('You are getting this email because you signed up at http://nurture.test to learn about MDMA-assisted therapy.');
    const imported = firstEmail('imported@example.org').text;
    expect(imported).toContain('You are getting this email because you agreed to receive these emails (Clinic intake form, February 27, 2026).');
    expect(imported).not.toContain('you signed up at');
  });
});
