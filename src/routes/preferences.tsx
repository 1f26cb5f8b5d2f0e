/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { READERS } from '../../emails/_components/types.js';
import { SEQUENCE_IDS, type Enrolment, type Reader, type SequenceId, type Subscriber } from '../../db/types.js';
import type { Transport } from '../mail/transport.js';
import { maskEmail } from '../logger.js';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { eraseSubscriberEverywhere } from '../subscribers/erase.js';
import { personalDataDownload } from '../subscribers/export.js';
import { changeProfile, ProfileChangesSchema } from '../subscribers/profile.js';
import { MAX_FIRST_NAME_LENGTH } from '../subscribers/signup-input.js';
import { changeReader, isPaused, PAUSE_WEEKS, pauseSubscriber, preferencesState, resumeSubscriber, WEEK_MS, type PauseOutcome } from '../subscribers/preferences.js';
import { leaveSequence } from '../subscribers/sequences.js';
import { isMailable, unsubscribeSubscriber } from '../subscribers/unsubscribe.js';
import { errorBody } from './errors.js';
import { messagePage, page, setPlace } from './layout.js';
import { payloadTooLarge, readSubmission } from './request-body.js';
import { READER_CHOICES } from './signup.js';

type Deps = SubscriberDeps & { transport: Pick<Transport, 'name'> };

type Action =
  | { kind: 'pause'; weeks: (typeof PAUSE_WEEKS)[number] }
  | { kind: 'resume' }
  | { kind: 'reader'; reader: Reader | null }
  | { kind: 'profile'; firstName?: string | null; timezone?: string }
  | { kind: 'export' }
  | { kind: 'delete'; confirmed: boolean }
  | { kind: 'leave'; sequence: SequenceId }
  | { kind: 'unsubscribe' };

const ACTIONS = ['pause', 'resume', 'reader', 'profile', 'leave', 'export', 'delete', 'unsubscribe'] as const;

/** Each series as the preference page names it to the reader. */
const SERIES: Record<SequenceId, string> = {
  education: 'the education series (eight emails over three weeks)',
  'consult-follow-up': 'the consult follow-up (three emails before a consult)',
};

/** One change from a form or JSON body, or what is wrong with it. */
export function parseAction(body: unknown): { ok: true; action: Action } | { ok: false; message: string } {
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  switch (b.action) {
    case 'pause': {
      const weeks = typeof b.weeks === 'string' && /^\d+$/.test(b.weeks) ? Number(b.weeks) : b.weeks;
      if (weeks !== 2 && weeks !== 4) return { ok: false, message: 'A pause is for 2 or 4 weeks: send weeks=2 or weeks=4.' };
      return { ok: true, action: { kind: 'pause', weeks } };
    }
    case 'reader': {
      const reader = b.reader === '' || b.reader === null ? null : b.reader;
      if (reader !== null && !(READERS as readonly unknown[]).includes(reader)) return { ok: false, message: `reader must be one of ${READERS.join(', ')}, or empty for none.` };
      return { ok: true, action: { kind: 'reader', reader: reader as Reader | null } };
    }
    case 'profile': {
      const changes = ProfileChangesSchema.safeParse({ firstName: b.firstName, timezone: b.timezone });
      if (!changes.success) return { ok: false, message: `Nothing was changed: ${changes.error.issues.map((i) => i.message).join('; ')}.` };
      return { ok: true, action: { kind: 'profile', ...changes.data } };
    }
    case 'leave':
      if (!(SEQUENCE_IDS as readonly unknown[]).includes(b.sequence)) return { ok: false, message: `sequence must be one of ${SEQUENCE_IDS.join(', ')}.` };
      return { ok: true, action: { kind: 'leave', sequence: b.sequence as SequenceId } };
    case 'delete':
      return { ok: true, action: { kind: 'delete', confirmed: b.confirm === 'yes' || b.confirm === true } };
    case 'resume':
    case 'export':
    case 'unsubscribe':
      return { ok: true, action: { kind: b.action } };
    default:
      return { ok: false, message: `action must be one of ${ACTIONS.join(', ')}.` };
  }
}

/** A day as the reader's own calendar shows it, e.g. "Monday, March 16". */
export function dayIn(timezone: string, at: number): string {
  const options: Intl.DateTimeFormatOptions = { weekday: 'long', month: 'long', day: 'numeric' };
  try {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: timezone }).format(at);
  } catch {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' }).format(at);
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function readerLabel(reader: Reader | null): string {
  return READER_CHOICES.find((r) => r.value === (reader ?? ''))!.label.toLowerCase();
}

function statusLine(s: Subscriber, now: number) {
  switch (s.status) {
    case 'active':
      if (isPaused(s, now)) {
        return (
          <>
            Your emails are <strong>paused until {dayIn(s.timezone, s.pausedUntil!)}</strong>. After that, the next one arrives in your morning.
          </>
        );
      }
      return s.nextSendAt === null ? (
        'You are receiving the series. Your next email is on its way.'
      ) : (
        <>
          You are receiving the series. Your next email arrives on <strong>{dayIn(s.timezone, Math.max(s.nextSendAt, now))}</strong>.
        </>
      );
    case 'pending':
      return 'You have not confirmed this subscription, so no emails of the series go to you.';
    case 'completed':
      return 'You have received every email of the series.';
    case 'converted':
      return 'The series has ended for you: no more emails of it go to you.';
    default:
      return 'No emails go to this address any more.';
  }
}

/** The series a person gets now, each with its next email and, while another runs, a way to leave it alone. */
function SeriesSection({ s, running, now }: { s: Subscriber; running: readonly Enrolment[]; now: number }) {
  if (s.status !== 'active' || running.length < 2) return null;
  return (
    <>
      <h2 id="series">Your series</h2>
      <p>You get two series of emails, never more than one email a day between them.</p>
      <ul>
        {running.map((e) => (
          <li>
            {SERIES[e.sequence].replace(/^t/, 'T')}
            {e.nextSendAt === null ? null : (
              <>
                : next email on <strong>{dayIn(s.timezone, Math.max(e.nextSendAt, now))}</strong>
              </>
            )}
            .
          </li>
        ))}
      </ul>
      {running.map((e) => (
        <form method="post">
          <input type="hidden" name="action" value="leave" />
          <input type="hidden" name="sequence" value={e.sequence} />
          <button type="submit" class="secondary">
            Stop {SERIES[e.sequence].replace(/ \(.*\)$/, '')} only
          </button>
        </form>
      ))}
    </>
  );
}

/** Every IANA zone the runtime knows, the person's own first among them if it is an alias it does not list. */
function TimeZoneOptions({ current }: { current: string }) {
  const zones = Intl.supportedValuesOf('timeZone');
  const all = zones.includes(current) ? zones : [current, ...zones];
  return (
    <>
      {all.map((z) => (
        <option value={z} selected={z === current}>
          {z.replaceAll('_', ' ')}
        </option>
      ))}
    </>
  );
}

/** A form of one action, posted back to this same address. */
function ActionForm({ action, label, className, labelledBy, children }: { action: string; label: string; className?: string; labelledBy?: string; children?: Child }) {
  return (
    <form method="post" aria-labelledby={labelledBy}>
      <input type="hidden" name="action" value={action} />
      {children}
      <button type="submit" class={className}>
        {label}
      </button>
    </form>
  );
}

/** The preference page: every form posts back to this same address. */
function preferencesPage(c: Context, s: Subscriber, running: readonly Enrolment[], now: number, notice?: string, status: ContentfulStatusCode = 200) {
  const active = s.status === 'active';
  const paused = isPaused(s, now);
  return page(c, {
    title: 'Your email preferences',
    personal: true,
    status,
    body: (
      <>
        <h1>Your email preferences</h1>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        <p>
          For <strong>{maskEmail(s.email)}</strong>. {statusLine(s, now)}
        </p>
        <SeriesSection s={s} running={running} now={now} />
        {active && !paused ? (
          <>
            <h2 id="pause">Take a break</h2>
            <ActionForm action="pause" label="Pause the emails" labelledBy="pause">
              <fieldset>
                <legend>Pause the emails for</legend>
                {PAUSE_WEEKS.map((w, i) => (
                  <div class="choice">
                    <input type="radio" name="weeks" id={`weeks-${w}`} value={String(w)} checked={i === 0} />
                    <label for={`weeks-${w}`}>{w} weeks</label>
                  </div>
                ))}
              </fieldset>
            </ActionForm>
          </>
        ) : null}
        {active && paused ? (
          <>
            <h2 id="resume">Back from your break?</h2>
            <ActionForm action="resume" label="Resume the emails now" labelledBy="resume" />
          </>
        ) : null}
        <h2 id="reader">Who you read for</h2>
        <ActionForm action="reader" label="Save" labelledBy="reader">
          <fieldset>
            <legend>The emails speak to you as someone reading for</legend>
            {READER_CHOICES.map((r) => (
              <div class="choice">
                <input type="radio" name="reader" id={`reader-${r.value || 'none'}`} value={r.value} checked={(s.reader ?? '') === r.value} />
                <label for={`reader-${r.value || 'none'}`}>{r.label}</label>
              </div>
            ))}
          </fieldset>
        </ActionForm>
        <h2 id="details">Your name and time zone</h2>
        <ActionForm action="profile" label="Save name and time zone" labelledBy="details">
          <div class="field">
            <label for="firstName">
              First name <span class="optional">(optional: leave empty for no name)</span>
            </label>
            <input id="firstName" name="firstName" type="text" autocomplete="given-name" maxlength={MAX_FIRST_NAME_LENGTH} value={s.firstName ?? ''} />
          </div>
          <div class="field">
            <label for="timezone">Time zone</label>
            <select id="timezone" name="timezone" aria-describedby="timezone-note">
              <TimeZoneOptions current={s.timezone} />
            </select>
            <p class="note" id="timezone-note">
              Your emails arrive in the morning in this time zone.
            </p>
          </div>
        </ActionForm>
        <h2 id="data">Your data</h2>
        <p>Download everything we hold about you as a file, or delete it all. Deleting also stops every email.</p>
        <ActionForm action="export" label="Download my data" className="secondary" />
        <ActionForm action="delete" label="Delete my data" className="secondary" />
        {isMailable(s) ? (
          <>
            <h2 id="stop">Stop the emails</h2>
            <ActionForm action="unsubscribe" label="Unsubscribe" className="secondary" labelledBy="stop" />
          </>
        ) : null}
      </>
    ),
  });
}

function deleteConfirmPage(c: Context, s: Subscriber, token: string) {
  return page(c, {
    title: 'Delete your data?',
    personal: true,
    body: (
      <>
        <h1>Delete all your data?</h1>
        <p>
          This removes <strong>{maskEmail(s.email)}</strong>, your name and everything else we hold about you, and stops every email. It cannot be undone.
        </p>
        <p>We keep only a one-way coded form of your address, so that we never email it again.</p>
        <ActionForm action="delete" label="Yes, delete my data" className="danger">
          <input type="hidden" name="confirm" value="yes" />
        </ActionForm>
        <p>
          <a href={token}>No, keep my data</a>
        </p>
      </>
    ),
  });
}

function outdatedPage(c: Context, s: Subscriber, status: ContentfulStatusCode = 200) {
  return page(c, {
    title: 'This link is from an older email',
    personal: true,
    status,
    body: (
      <>
        <h1>This link is from an older email</h1>
        <p>
          You signed up again since this email was sent, so this link can no longer change your preferences or your data. Use the link at the bottom of your latest email from us.
        </p>
        {isMailable(s) ? (
          <>
            <p>You can still stop every email from us here.</p>
            <ActionForm action="unsubscribe" label="Unsubscribe" />
          </>
        ) : (
          <p>No emails go to this address any more.</p>
        )}
      </>
    ),
  });
}

/** Why nothing changed, for a person (a page) or a script (the error shape). */
function refuse(c: Context, asPage: boolean, status: ContentfulStatusCode, code: string, title: string, message: string) {
  if (asPage) return messagePage(c, status, title, [message]);
  return c.json(errorBody(code, message), status);
}

function pauseRefusal(c: Context, asPage: boolean, outcome: Exclude<PauseOutcome, { ok: true }>) {
  switch (outcome.reason) {
    case 'not_active':
      return refuse(
        c,
        asPage,
        409,
        'not_active',
        'Nothing to pause',
        outcome.status === 'pending'
          ? 'You have not confirmed this subscription, so no emails of the series go to you. Nothing was changed.'
          : 'No emails of the series are waiting for you, so there is nothing to pause or resume. Nothing was changed.',
      );
    case 'not_paused':
      return refuse(c, asPage, 409, 'not_paused', 'Not paused', 'Your emails are not paused, so there is nothing to resume. Nothing was changed.');
    case 'until_not_in_future':
      return refuse(c, asPage, 400, 'invalid_input', 'Nothing to pause', 'A pause has to end in the future.');
    case 'not_found':
      return refuse(c, asPage, 404, 'not_found', 'We could not find this subscription', 'No emails go to this address.');
  }
}

export function preferencesRoutes(deps: Deps) {
  const running = async (id: number) => (await deps.stores.subscribers.enrolments(id)).filter((e) => e.endedAt === null);
  const invalidMessage = 'The preference link is incomplete or has been changed. Copy the whole link from the bottom of one of our emails and try again.';
  const unknownMessage = 'There is no subscription for this link any more: no emails go to this address, and we hold no data for it.';

  return (
    new Hono()
      // Link scanners follow GETs, so GET only shows the page; every change is a POST.
      .get('/p/:token', async (c) => {
        const state = await preferencesState(deps, c.req.param('token'));
        if ('subscriber' in state) setPlace(c, { timezone: state.subscriber.timezone });
        switch (state.kind) {
          case 'invalid':
            return messagePage(c, 400, 'This link does not work', [invalidMessage]);
          case 'unknown':
            return messagePage(c, 404, 'We could not find this subscription', [unknownMessage]);
          case 'outdated':
            return outdatedPage(c, state.subscriber);
          case 'current':
            return preferencesPage(c, state.subscriber, await running(state.subscriber.id), deps.clock.now());
        }
      })
      // The token alone is the authority, as for unsubscribe links: no cookie, no login.
      .post('/p/:token', async (c) => {
        const token = c.req.param('token');
        const submission = await readSubmission(c);
        if (!submission.ok) {
          if (submission.reason === 'unsupported_media_type') return c.json(errorBody('unsupported_media_type', 'Send the change as a form (application/x-www-form-urlencoded) or as JSON (application/json).'), 415);
          if (submission.reason === 'too_large') return payloadTooLarge(c);
          return refuse(c, submission.asPage, 400, 'invalid_body', 'We could not read that form', 'The request body could not be read. Go back and try again.');
        }
        const { body, asPage } = submission;
        const parsed = parseAction(body);
        if (!parsed.ok) return refuse(c, asPage, 400, 'invalid_input', 'We could not read that change', parsed.message);
        const { action } = parsed;

        const state = await preferencesState(deps, token);
        if (state.kind === 'invalid') return refuse(c, asPage, 400, 'invalid_token', 'This link does not work', invalidMessage);
        if (state.kind === 'unknown') return refuse(c, asPage, 404, 'not_found', 'We could not find this subscription', unknownMessage);
        const s = state.subscriber;
        setPlace(c, { timezone: s.timezone });
        if (state.kind === 'outdated' && action.kind !== 'unsubscribe') {
          const message = 'This link is from an email sent before you signed up again: it can only unsubscribe. Use the link in your latest email.';
          return asPage ? outdatedPage(c, s, 403) : c.json(errorBody('outdated_link', message), 403);
        }

        const now = deps.clock.now();
        switch (action.kind) {
          case 'pause': {
            const outcome = await pauseSubscriber(deps, s.id, now + action.weeks * WEEK_MS, { via: 'preferences', weeks: action.weeks });
            if (!outcome.ok) return pauseRefusal(c, asPage, outcome);
            const r = outcome.subscriber;
            if (asPage) return preferencesPage(c, r, await running(r.id), now, `Paused. No emails until ${dayIn(r.timezone, r.pausedUntil!)}; the next one arrives in your morning after that.`);
            return c.json({ status: 'paused', pausedUntil: iso(r.pausedUntil), nextSendAt: iso(r.nextSendAt) });
          }
          case 'resume': {
            const outcome = await resumeSubscriber(deps, s.id, { via: 'preferences' });
            if (!outcome.ok) return pauseRefusal(c, asPage, outcome);
            const r = outcome.subscriber;
            if (asPage) return preferencesPage(c, r, await running(r.id), now, 'Welcome back. The emails have resumed.');
            return c.json({ status: 'active', nextSendAt: iso(r.nextSendAt) });
          }
          case 'reader': {
            const r = await changeReader(deps, s.id, action.reader);
            if (!r) return refuse(c, asPage, 404, 'not_found', 'We could not find this subscription', unknownMessage);
            if (asPage) return preferencesPage(c, r, await running(r.id), now, `Saved. Your next emails speak to you as someone reading for ${readerLabel(r.reader)}.`);
            return c.json({ reader: r.reader });
          }
          case 'profile': {
            const outcome = await changeProfile(deps, s.id, { firstName: action.firstName, timezone: action.timezone });
            if (!outcome) return refuse(c, asPage, 404, 'not_found', 'We could not find this subscription', unknownMessage);
            const r = outcome.subscriber;
            setPlace(c, { timezone: r.timezone });
            if (asPage) return preferencesPage(c, r, await running(r.id), now, `Saved. We greet you as ${r.firstName ?? 'you (no name)'}, and your emails arrive in the morning, ${r.timezone.replaceAll('_', ' ')} time.`);
            return c.json({ firstName: r.firstName, timezone: r.timezone, nextSendAt: iso(r.nextSendAt) });
          }
          case 'export': {
            const data = await personalDataDownload(deps.stores, s.id, now);
            if (!data) return refuse(c, asPage, 404, 'not_found', 'We could not find this subscription', unknownMessage);
            return new Response(JSON.stringify(data, null, 2), {
              headers: { 'Content-Type': 'application/json; charset=utf-8', 'Content-Disposition': 'attachment; filename="my-data.json"', 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' },
            });
          }
          case 'delete': {
            if (!action.confirmed) {
              if (asPage) return deleteConfirmPage(c, s, token);
              return c.json(errorBody('confirmation_required', 'Deleting your data cannot be undone: send the same request with confirm=yes to delete it.'), 400);
            }
            const outcome = await eraseSubscriberEverywhere(deps, s.id, now);
            if (!outcome) return refuse(c, asPage, 404, 'not_found', 'We could not find this subscription', unknownMessage);
            deps.logger.info({ subscriberId: s.id, via: 'preferences' }, 'subscriber erased at their request');
            if (asPage) {
              return messagePage(c, 200, 'Your data is deleted', [
                'We removed your email address, your name and everything else we held about you, and no more emails will come from us.',
                'We keep only a one-way coded form of your address, so that we never email it again.',
              ]);
            }
            return c.json({ status: 'erased' });
          }
          case 'leave': {
            const outcome = await leaveSequence(deps, s.id, action.sequence, 'left');
            if (outcome.kind === 'last') {
              return refuse(c, asPage, 409, 'last_sequence', 'Nothing else to keep', 'This is the only series you get now. To stop it, unsubscribe below; nothing was changed.');
            }
            if (outcome.kind === 'not_enrolled') return refuse(c, asPage, 409, 'not_enrolled', 'Nothing to stop', `You do not get ${SERIES[action.sequence]} now. Nothing was changed.`);
            if (asPage) return preferencesPage(c, s, await running(s.id), now, `Done: you will get no more of ${SERIES[action.sequence]}. Your other emails go on.`);
            return c.json({ status: 'left', sequence: action.sequence });
          }
          case 'unsubscribe': {
            const r = (await unsubscribeSubscriber(deps, s, 'preferences')) ?? s;
            if (asPage) {
              if (state.kind === 'outdated') return messagePage(c, 200, 'You are unsubscribed', ['You will not get any more emails from this series.']);
              return preferencesPage(c, r, await running(r.id), now, 'You are unsubscribed. You will not get any more emails from this series.');
            }
            return c.json({ status: r.status });
          }
        }
      })
  );
}
