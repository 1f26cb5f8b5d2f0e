/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { UNSUBSCRIBE_REASONS, type UnsubscribeReason } from '../../db/types.js';
import { maskEmail } from '../logger.js';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { isPaused, PAUSE_WEEKS, pauseSubscriber, WEEK_MS } from '../subscribers/preferences.js';
import { UNSUBSCRIBE_REASON_LABELS, unsubscribe, unsubscribeState, type UnsubscribeState } from '../subscribers/unsubscribe.js';
import { messagePage, page, setPlace } from './layout.js';
import { dayIn } from './preferences.js';
import { payloadTooLarge, readBody } from './request-body.js';
import { bodyKind } from './request-info.js';

// These pages live at /u/:token, so the signup form is one level up.
const HOME = '../';

type Subscribed = Extract<UnsubscribeState, { kind: 'subscribed' }>;

function statePage(c: Context, state: Exclude<UnsubscribeState, { kind: 'subscribed' }>) {
  switch (state.kind) {
    case 'invalid':
      return messagePage(c, 400, 'This link does not work', [
        'The unsubscribe link is incomplete or has been changed. Copy the whole link from the bottom of one of our emails and try again.',
      ]);
    case 'unknown':
      return messagePage(c, 404, 'We could not find this subscription', ['There is nothing to unsubscribe from: no emails go to this address.']);
    case 'unsubscribed':
      return messagePage(c, 200, 'You are unsubscribed', [
        'You will not get any more emails from this series. Sorry to see you go.',
        <>
          Changed your mind? You can <a href={HOME}>sign up again</a> at any time.
        </>,
      ]);
  }
}

/** Whether the page may offer a pause: someone receiving the series, not paused now, through the link of their latest emails. */
function mayPause(state: Subscribed, now: number): boolean {
  return state.current && state.subscriber.status === 'active' && !isPaused(state.subscriber, now);
}

/**
 * The unsubscribe button comes first and works with nothing picked; the
 * reason is optional and counted apart from the person. A pause is offered
 * after it, never in its way.
 */
function unsubscribePage(c: Context, state: Subscribed, now: number, error?: string) {
  return page(c, {
    title: 'Unsubscribe',
    personal: true,
    status: error ? 422 : 200,
    body: (
      <>
        <h1>Unsubscribe from the series?</h1>
        <p>
          Press the button and <strong>{maskEmail(state.subscriber.email)}</strong> gets no more emails about MDMA-assisted therapy from us.
        </p>
        {error ? (
          <div class="error-summary" role="alert">
            <h2>Nothing was changed</h2>
            <p>{error}</p>
          </div>
        ) : null}
        <form method="post">
          <input type="hidden" name="action" value="unsubscribe" />
          <fieldset class="field choices">
            <legend>
              Why are you leaving? <span class="optional">(optional)</span>
            </legend>
            {UNSUBSCRIBE_REASONS.map((r) => (
              <div class="choice">
                <input type="radio" name="reason" id={`reason-${r}`} value={r} />
                <label for={`reason-${r}`}>{UNSUBSCRIBE_REASON_LABELS[r]}</label>
              </div>
            ))}
            <p class="note">We only count the answers, per email of the series: never with your name or address.</p>
          </fieldset>
          <button type="submit">Unsubscribe</button>
        </form>
        {mayPause(state, now) ? (
          <>
            <h2>Or take a break</h2>
            <p>Pause the emails and pick up where you left off: nothing arrives until the pause ends, then the next email comes in your morning.</p>
            {[...PAUSE_WEEKS].reverse().map((weeks) => (
              <form method="post">
                <input type="hidden" name="action" value="pause" />
                <input type="hidden" name="weeks" value={String(weeks)} />
                <button type="submit" class="secondary">
                  Pause for {weeks} weeks instead
                </button>
              </form>
            ))}
          </>
        ) : null}
      </>
    ),
  });
}

/** RFC 8058: a mail client's one-click unsubscribe posts exactly this form field. */
function isOneClick(contentType: string | undefined, raw: Uint8Array): boolean {
  if (bodyKind(contentType) !== 'urlencoded') return false;
  return new URLSearchParams(Buffer.from(raw).toString('utf8')).get('List-Unsubscribe') === 'One-Click';
}

type PageRequest = { kind: 'unsubscribe'; reason?: UnsubscribeReason } | { kind: 'pause'; weeks: (typeof PAUSE_WEEKS)[number] } | { kind: 'bad'; message: string };

/** What the page's forms ask; any other body (a bare POST) unsubscribes, as links in older emails expect. */
function pageRequest(contentType: string | undefined, raw: Uint8Array): PageRequest {
  if (bodyKind(contentType) !== 'urlencoded') return { kind: 'unsubscribe' };
  const form = new URLSearchParams(Buffer.from(raw).toString('utf8'));
  if (form.get('action') === 'pause') {
    const weeks = Number(form.get('weeks'));
    return weeks === 2 || weeks === 4 ? { kind: 'pause', weeks } : { kind: 'bad', message: 'A pause is for 2 or 4 weeks. Pick one of the buttons below.' };
  }
  const reason = form.get('reason') ?? '';
  if (reason === '') return { kind: 'unsubscribe' };
  if ((UNSUBSCRIBE_REASONS as readonly string[]).includes(reason)) return { kind: 'unsubscribe', reason: reason as UnsubscribeReason };
  return { kind: 'bad', message: 'We do not know that reason. Pick one from the list, or none, and press Unsubscribe again.' };
}

async function pauseInstead(c: Context, deps: SubscriberDeps, state: Subscribed, weeks: (typeof PAUSE_WEEKS)[number]) {
  if (!state.current) {
    return messagePage(c, 403, 'This link can only unsubscribe', [
      'It comes from an email sent before you signed up again. To pause, use the link in one of your latest emails; nothing was changed.',
    ]);
  }
  const now = deps.clock.now();
  const outcome = await pauseSubscriber(deps, state.subscriber.id, now + weeks * WEEK_MS, { via: 'unsubscribe-page', weeks });
  if (!outcome.ok) {
    const why = state.subscriber.status === 'pending' ? 'You have not confirmed yet, so no emails of the series go to you.' : 'No emails of the series are going to you now.';
    return messagePage(c, 409, 'There is nothing to pause', [`${why} Nothing was changed.`]);
  }
  const s = outcome.subscriber;
  return messagePage(c, 200, 'Paused', [
    <>
      No emails until <strong>{dayIn(s.timezone, s.pausedUntil!)}</strong>; the next one arrives in your morning after that.
    </>,
    'You can still unsubscribe at any time with the link at the bottom of any of our emails.',
  ]);
}

export function unsubscribeRoutes(deps: SubscriberDeps) {
  return (
    new Hono()
      // Link scanners follow GETs, so GET only shows the buttons.
      .get('/u/:token', async (c) => {
        const state = await unsubscribeState(deps, c.req.param('token'));
        if ('subscriber' in state) setPlace(c, { timezone: state.subscriber.timezone });
        if (state.kind !== 'subscribed') return statePage(c, state);
        return unsubscribePage(c, state, deps.clock.now());
      })
      // Answers 200 with a page, never a redirect; the token alone is the authority
      // (no cookie, no login), so a mail client's one-click POST works as is.
      .post('/u/:token', async (c) => {
        const raw = await readBody(c);
        if (raw === null) return payloadTooLarge(c);
        const token = c.req.param('token');
        const contentType = c.req.header('content-type');
        const request: PageRequest = isOneClick(contentType, raw) ? { kind: 'unsubscribe' } : pageRequest(contentType, raw);
        if (request.kind !== 'unsubscribe') {
          const current = await unsubscribeState(deps, token);
          if ('subscriber' in current) setPlace(c, { timezone: current.subscriber.timezone });
          if (current.kind !== 'subscribed') return statePage(c, current);
          if (request.kind === 'bad') return unsubscribePage(c, current, deps.clock.now(), request.message);
          return pauseInstead(c, deps, current, request.weeks);
        }
        const state = await unsubscribe(deps, token, isOneClick(contentType, raw) ? 'one-click' : 'page', request.reason);
        if ('subscriber' in state) setPlace(c, { timezone: state.subscriber.timezone });
        if (state.kind === 'subscribed') return statePage(c, { kind: 'unknown' });
        return statePage(c, state);
      })
  );
}
