/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { Subscriber } from '../../db/types.js';
import { confirmState, confirmSubscription, type ConfirmState } from '../subscribers/confirm.js';
import { consentFor } from '../subscribers/consent.js';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { messagePage, page, setPlace } from './layout.js';
import { requestMeta } from './request-info.js';

// These pages live at /confirm/:token, so the signup form is one level up.
const HOME = '../';

function confirmedPage(c: Context, s: Subscriber, windowText: string) {
  if (s.status === 'completed') {
    return messagePage(c, 200, 'You are confirmed', ['You have already received all eight emails of this series. Thank you for reading.']);
  }
  return messagePage(c, 200, 'You are confirmed. Thank you!', [
    `Your first email is on its way now. The other seven follow over the next three weeks, one every few days, each arriving in your morning (${windowText}, ${s.timezone} time).`,
    'Every email has an unsubscribe link at the bottom: it opens a page with one button that stops all our emails, so you can stop whenever you like.',
  ]);
}

/** The page for every state other than "waiting for the button". */
function statePage(c: Context, state: Exclude<ConfirmState, { kind: 'pending' }>, windowText: string) {
  switch (state.kind) {
    case 'invalid':
      return messagePage(c, 400, 'This link does not work', [
        <>
          The confirmation link is incomplete, has been changed, or has expired. Copy the whole link from the email, or <a href={HOME}>sign up again</a> for a fresh one.
        </>,
      ]);
    case 'unknown':
    case 'suppressed':
      return messagePage(c, 404, 'This link is no longer valid', [
        <>
          It may have been replaced by a newer confirmation email. Use the link in the latest email, or <a href={HOME}>sign up again</a>.
        </>,
      ]);
    case 'unsubscribed':
      return messagePage(c, 200, 'You have unsubscribed', [
        <>
          This address unsubscribed from the series, so this link no longer starts it. To receive the emails again, <a href={HOME}>sign up again</a>.
        </>,
      ]);
    case 'confirmed':
      return confirmedPage(c, state.subscriber, windowText);
  }
}

export function confirmRoutes(deps: SubscriberDeps) {
  const [start, end] = deps.config.sendWindow.text.split('-');
  const windowText = `between ${start} and ${end}`;
  return (
    new Hono()
      // Link scanners follow GETs, so GET only shows the button.
      .get('/confirm/:token', async (c) => {
        const state = await confirmState(deps, c.req.param('token'));
        if ('subscriber' in state) setPlace(c, { timezone: state.subscriber.timezone });
        if (state.kind !== 'pending') return statePage(c, state, windowText);
        return page(c, {
          title: 'Confirm your subscription',
          personal: true,
          body: (
            <>
              <h1>Confirm your subscription</h1>
              <p>One step left: press the button to start your free series of 8 emails over 3 weeks on MDMA-assisted therapy.</p>
              <p>By confirming, you agree to this:</p>
              <p class="quote">{consentFor(deps.config.clinicName).text}</p>
              <form method="post">
                <button type="submit">Confirm my subscription</button>
              </form>
              <p class="note">Did not sign up? Close this page and you will hear nothing more from us.</p>
            </>
          ),
        });
      })
      .post('/confirm/:token', async (c) => {
        const state = await confirmSubscription(deps, c.req.param('token'), requestMeta(c));
        if ('subscriber' in state) setPlace(c, { timezone: state.subscriber.timezone });
        if (state.kind === 'pending') return statePage(c, { kind: 'unknown' }, windowText);
        return statePage(c, state, windowText);
      })
  );
}
