// What the worker and the staff previews put into every email: the reader's
// type, crisis lines by their time zone, the consult link, Reply-To and the
// privacy contact, each from the subscriber or the configuration.
import { describe, expect, it } from 'vitest';
import { FIRST_VERSION } from '../src/nurture/sequence.js';
import { preferencesUrl } from '../src/mail/links.js';
import { testApp, testConfig } from './helpers/app.js';
import { postJson } from './helpers/public.js';
import { addSubscriber, asStaff } from './helpers/staff.js';

const SEQUENCE = FIRST_VERSION.steps;

const SETTINGS = { bookingUrl: 'https://clinic.example/book', replyTo: 'care@clinic.example', privacyContact: 'privacy@clinic.example' };
const SUPPORTER = 'If you are helping someone think about ketamine';
const STEP5 = SEQUENCE.find((s) => s.step === 5)!;
// 09:30 in London and Dublin (UTC in early March): inside the send window.
const MORNING_IN_LONDON = '2026-03-02T09:30:00Z';

function dueAtStep5(t: ReturnType<typeof testApp>, fields: Parameters<typeof addSubscriber>[1]) {
  const at = Date.parse(MORNING_IN_LONDON);
  return addSubscriber(t.db, { confirmedAt: at - 10 * 86_400_000, nextStep: 5, nextSendAt: at - 60_000, ...fields });
}

describe('the worker', () => {
  it('sends the confirmation email with the Reply-To, the crisis line of the time zone and the privacy contact', async () => {
    const t = testApp({ config: testConfig(SETTINGS) });
    await postJson(t.app, '/subscribe', { email: 'wren@example.org', consent: true, timezone: 'Europe/London', reader: 'supporter' });
    await t.drain();
    const [mail] = t.transport.sent;
    expect(mail).toMatchObject({ to: 'wren@example.org', replyTo: 'care@clinic.example' });
    expect(mail!.text).toContain('116 123');
    expect(mail!.text).not.toContain('988');
    expect(mail!.text).toContain('privacy@clinic.example');
  });

  it('sends a sequence email in the reader\u2019s version, with their crisis line, the consult button, Reply-To and privacy contact', async () => {
    const t = testApp({ now: MORNING_IN_LONDON, config: testConfig(SETTINGS) });
    dueAtStep5(t, { email: 'sam@example.org', reader: 'supporter', timezone: 'Europe/London' });
    await t.drain();
    const [mail] = t.transport.sent;
    expect(mail).toMatchObject({ to: 'sam@example.org', replyTo: 'care@clinic.example', subject: STEP5.subject });
    expect(mail!.headers!['List-Unsubscribe']).toMatch(/^<http:\/\/nurture\.test\/u\//);
    for (const part of [mail!.html, mail!.text]) {
      expect(part).toContain(SUPPORTER);
      expect(part).toContain('116 123');
      expect(part).toContain('https://clinic.example/book');
      expect(part).toContain('privacy@clinic.example');
      expect(part).toContain('do not send health details by email');
    }
  });

  it('leaves out what is not set: no reader paragraph, no consult link, no Reply-To, the US crisis line by default', async () => {
    const t = testApp({ now: '2026-03-02T14:30:00Z' });
    dueAtStep5(t, { email: 'ny@example.org', reader: null, timezone: 'America/New_York' });
    await t.drain();
    const [mail] = t.transport.sent;
    expect(mail!.to).toBe('ny@example.org');
    expect(mail!.replyTo).toBeUndefined();
    expect(mail!.text).not.toContain(SUPPORTER);
    expect(mail!.text).not.toContain('clinic.example');
    expect(mail!.text).not.toContain('health details');
    expect(mail!.text).toContain('988');
  });
});

describe('the footer', () => {
  it('of every sequence email links the subscriber\u2019s own preference page beside unsubscribe, in html and text', async () => {
    const t = testApp({ now: MORNING_IN_LONDON });
    const at = Date.parse(MORNING_IN_LONDON);
    const ids = SEQUENCE.map((step) => addSubscriber(t.db, { email: `step${step.step}@example.org`, timezone: 'Europe/London', confirmedAt: at - 30 * 86_400_000, nextStep: step.step, nextSendAt: at - 60_000 }).id);
    await t.drain();
    expect(t.transport.sent).toHaveLength(SEQUENCE.length);
    for (const [i, step] of SEQUENCE.entries()) {
      const mail = t.transport.sent.find((m) => m.to === `step${step.step}@example.org`)!;
      const url = preferencesUrl(t.config, { id: ids[i]!, tokenGeneration: 0 });
      expect(mail.html).toContain(`href="${url}"`);
      expect(mail.text).toContain(url);
      const footer = mail.text.slice(mail.text.indexOf('Unsubscribe'));
      expect(footer).toContain('Manage your email preferences');
    }
  });
});

describe('staff previews', () => {
  it("show a subscriber's email as the worker builds it: their version, their crisis line, the consult link and Reply-To", async () => {
    const t = testApp({ config: testConfig(SETTINGS) });
    const s = addSubscriber(t.db, { email: 'pro@example.org', reader: 'supporter', timezone: 'Europe/Dublin' });
    const body = await (await t.app.request(`/api/templates/${STEP5.templateId}?subscriber=${s.id}`, asStaff())).json();
    expect(body.text).toContain(SUPPORTER);
    expect(body.text).toContain('116 123');
    expect(body.text).toContain('https://clinic.example/book');
    expect(body.replyTo).toBe('care@clinic.example');
    const page = await (await t.app.request(`/staff/templates/${STEP5.templateId}?subscriber=${s.id}`, asStaff())).text();
    expect(page).toMatch(/<dt>Reply-To<\/dt>\s*<dd>care@clinic\.example<\/dd>/);
  });

  it('show the configured consult link on the sample preview too', async () => {
    const withBooking = testApp({ config: testConfig(SETTINGS) });
    expect((await (await withBooking.app.request(`/api/templates/${STEP5.templateId}`, asStaff())).json()).text).toContain('https://clinic.example/book');
    const without = testApp();
    expect((await (await without.app.request(`/api/templates/${STEP5.templateId}`, asStaff())).json()).text).not.toContain('clinic.example/book');
  });
});
