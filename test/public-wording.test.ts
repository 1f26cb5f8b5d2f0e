// "One click" is said only where it is one click: the mail program's own
// unsubscribe button. Our link opens a page with a button, so no page we
// serve may promise one click.
import { describe, expect, it } from 'vitest';
import { consentFor } from '../src/subscribers/consent.js';
import { testApp, testConfig } from './helpers/app.js';
import { linkToken, postForm, signupForm } from './helpers/public.js';

// The wording as the test app's clinic shows it.
const CONSENT = consentFor(testConfig().clinicName);

const ONE_CLICK = /one[\s-]click/i;

describe('honest unsubscribe wording', () => {
  it('the consent names a link, not one click, under a new version', () => {
    expect(CONSENT.text).not.toMatch(ONE_CLICK);
    expect(CONSENT.text).toContain('unsubscribe link');
    expect(CONSENT.version).not.toBe('signup-2026-03-v1');
  });

  it('no public page a subscriber walks through promises one click', async () => {
    const t = testApp();
    const pages: [string, string][] = [];
    const keep = async (name: string, res: Response | Promise<Response>) => pages.push([name, await (await res).text()]);

    await keep('signup', t.app.request('/'));
    await keep('signup with errors', postForm(t.app, '/subscribe', { email: 'nope' }));
    const sent = await postForm(t.app, '/subscribe', signupForm('honest@example.org'));
    const location = sent.headers.get('location');
    await keep('after signup', location ? t.app.request(new URL(location, 'http://nurture.test').pathname) : sent);
    await t.drain();
    const mail = t.transport.sent[0]!;
    const confirm = `/confirm/${linkToken(mail, 'confirm')}`;
    await keep('confirm', t.app.request(confirm));
    await keep('confirmed', postForm(t.app, confirm, {}));
    const unsubscribe = `/u/${linkToken(mail, 'u')}`;
    await keep('unsubscribe', t.app.request(unsubscribe));
    await keep('unsubscribed', postForm(t.app, unsubscribe, {}));

    expect(pages.map(([name]) => name)).toHaveLength(7);
    for (const [name, body] of pages) expect(body, name).not.toMatch(ONE_CLICK);
    expect(pages.find(([n]) => n === 'confirmed')![1]).toContain('opens a page with one button');
  });
});
