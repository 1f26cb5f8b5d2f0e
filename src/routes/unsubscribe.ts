import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import { maskEmail } from '../logger.js';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { unsubscribe, unsubscribeState, type UnsubscribeState } from '../subscribers/unsubscribe.js';
import { messagePage, page, setPlace } from './layout.js';
import { payloadTooLarge, readBody } from './request-body.js';
import { bodyKind } from './request-info.js';

// These pages live at /u/:token, so the signup form is one level up.
const HOME = '../';

function statePage(c: Context, state: Exclude<UnsubscribeState, { kind: 'subscribed' }>) {
  switch (state.kind) {
    case 'invalid':
      return messagePage(c, 400, 'This link does not work', [
        html`The unsubscribe link is incomplete or has been changed. Copy the whole link from the bottom of one of our emails and try again.`,
      ]);
    case 'unknown':
      return messagePage(c, 404, 'We could not find this subscription', [html`There is nothing to unsubscribe from: no emails go to this address.`]);
    case 'unsubscribed':
      return messagePage(c, 200, 'You are unsubscribed', [
        html`You will not get any more emails from this series. Sorry to see you go.`,
        html`Changed your mind? You can <a href="${HOME}">sign up again</a> at any time.`,
      ]);
  }
}

/** RFC 8058: a mail client's one-click unsubscribe posts exactly this form field. */
function isOneClick(contentType: string | undefined, raw: Uint8Array): boolean {
  if (bodyKind(contentType) !== 'urlencoded') return false;
  return new URLSearchParams(Buffer.from(raw).toString('utf8')).get('List-Unsubscribe') === 'One-Click';
}

export function unsubscribeRoutes(deps: SubscriberDeps) {
  return (
    new Hono()
      // Link scanners follow GETs, so GET only shows the button.
      .get('/u/:token', async (c) => {
        const state = await unsubscribeState(deps, c.req.param('token'));
        if ('subscriber' in state) setPlace(c, { timezone: state.subscriber.timezone });
        if (state.kind !== 'subscribed') return statePage(c, state);
        return page(c, {
          title: 'Unsubscribe',
          personal: true,
          body: html`
<h1>Unsubscribe from the series?</h1>
<p>Press the button and <strong>${maskEmail(state.subscriber.email)}</strong> gets no more emails about MDMA-assisted therapy from us.</p>
<form method="post">
  <button type="submit">Unsubscribe</button>
</form>
`,
        });
      })
      // Answers 200 with a page, never a redirect; the token alone is the authority
      // (no cookie, no login), so a mail client's one-click POST works as is.
      .post('/u/:token', async (c) => {
        const raw = await readBody(c);
        if (raw === null) return payloadTooLarge(c);
        const method = isOneClick(c.req.header('content-type'), raw) ? 'one-click' : 'page';
        const state = await unsubscribe(deps, c.req.param('token'), method);
        if ('subscriber' in state) setPlace(c, { timezone: state.subscriber.timezone });
        if (state.kind === 'subscribed') return statePage(c, { kind: 'unknown' });
        return statePage(c, state);
      })
  );
}
