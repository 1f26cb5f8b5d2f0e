/** @jsxImportSource hono/jsx */
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { auditTrailOf, recordAudit } from '../../audit.js';
import { seesPersonalData, subscriberFor } from '../../staff/personal-data.js';
import { hasRole } from '../../staff/roles.js';
import { pageRole, staffOf } from './auth.js';
import { z } from 'zod';
import { SEQUENCE_IDS, SUBSCRIBER_STATUSES, type DeliveryWithEvents, type EnrolmentEndReason } from '../../../db/types.js';
import { listSubscribers, markConverted, MAX_QUERY_LENGTH, subscriberRecord, type SubscriberPage } from '../../subscribers/directory.js';
import { catalogsWith, emailName, emailPlace, SEQUENCE_NAMES, type SequenceCatalogs } from '../../nurture/sequence.js';
import { actorWords, subscriberHistory } from '../../staff/history.js';
import { FLAG_LABELS, LEFT_OUT_REASONS } from '../../nurture/engagement.js';
import { plannedSends } from '../../nurture/previews.js';
import { eraseSubscriberEverywhere } from '../../subscribers/erase.js';
import { subscriberExport, subscribersCsv } from '../../subscribers/export.js';
import { firstInstantAtOrAfter } from '../../nurture/schedule.js';
import { RESENDABLE_STATUSES } from '../../nurture/send-again.js';
import { isPaused, type PauseOutcome } from '../../subscribers/preferences.js';
import { ProfileChangesSchema } from '../../subscribers/profile.js';
import { CORRECTABLE_STATUSES } from '../../subscribers/correct-address.js';
import { isMailable } from '../../subscribers/unsubscribe.js';
import { addressCorrectionMessage, changeProfileFor, confirmationResendMessage, correctAddressFor, enrolFor, leaveFor, pauseFor, resendConfirmationFor, resendFor, resendRefusalMessage, resumeFor, unsubscribeFor, UnsubscribeReasonSchema } from '../../staff/act-for-person.js';
import { READERS } from '../../../emails/_components/types.js';
import { CsrfInput, formatTime, zonesWith } from './layout.js';
import { parseId, parseListQuery } from './params.js';
import { errorPage, newCsrfToken, page, viewerZone } from './view.js';

function listHref(q: string | undefined, status: string | undefined, paused: boolean, pageNo: number): string {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (status) p.set('status', status);
  if (paused) p.set('paused', 'true');
  if (pageNo > 1) p.set('page', String(pageNo));
  const s = p.toString();
  return `/staff/subscribers${s ? `?${s}` : ''}`;
}

function SubscriberList({ result, q, status, paused, canExport, catalogs, zone }: { result: SubscriberPage; q?: string; status?: string; paused: boolean; canExport: boolean; catalogs: SequenceCatalogs; zone: string }) {
  return (
    <>
      <form class="search" method="get" action="/staff/subscribers" role="search">
        <div>
          <label for="q">Address or name contains</label>
          <input id="q" name="q" type="search" value={q ?? ''} maxlength={MAX_QUERY_LENGTH} autocomplete="off" />
        </div>
        <div>
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="">Any ({result.all})</option>
            {SUBSCRIBER_STATUSES.map((s) => (
              <option value={s} selected={s === status}>
                {s} ({result.statusCounts[s]})
              </option>
            ))}
          </select>
        </div>
        <div>
          <input type="checkbox" id="paused" name="paused" value="true" checked={paused} /> <label for="paused" class="inline-label">Paused only</label>
        </div>
        <button type="submit">Search</button>
        {canExport ? (
          <a class="button" href="/staff/subscribers/export.csv">
            Export all as CSV
          </a>
        ) : null}
      </form>
      <p aria-live="polite">
        {result.total} {result.total === 1 ? 'subscriber' : 'subscribers'} match
        {result.total > 0 ? `; page ${result.page} of ${result.pageCount}` : ''}.
      </p>
      <div class="scroll" role="region" aria-labelledby="list-caption" tabindex={0}>
        <table>
          <caption id="list-caption">Subscribers, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Signed up ({zone})</th>
              <th scope="col">Next education email ({zone})</th>
            </tr>
          </thead>
          <tbody>
            {result.items.map((s) => (
              <tr>
                <td>
                  <a href={`/staff/subscribers/${s.id}`}>{s.email ?? `#${s.id} (erased)`}</a>
                </td>
                <td>{s.firstName ?? ''}</td>
                <td>
                  <span class="badge">{s.status}</span>
                </td>
                <td>{formatTime(s.createdAt, zone)}</td>
                <td>{s.nextStep === null ? '—' : `${emailName(catalogs, 'education', s.nextStep)} at ${formatTime(s.nextSendAt, zone)}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        {result.page > 1 ? <a href={listHref(q, status, paused, result.page - 1)}>← Newer</a> : null}
        <span>
          Page {result.page} of {result.pageCount}
        </span>
        {result.page < result.pageCount ? <a href={listHref(q, status, paused, result.page + 1)}>Older →</a> : null}
      </nav>
    </>
  );
}

export async function subscriberListPage(c: Context, deps: AppDeps) {
  const query = parseListQuery(c);
  if ('error' in query) return errorPage(c, deps, 400, 'Bad search', query.error);
  const role = staffOf(c).role;
  const listed = await listSubscribers(deps.stores, query, deps.clock.now());
  const result = { ...listed, items: listed.items.map((s) => subscriberFor(role, s)) };
  return page(
    c,
    deps,
    { title: 'Subscribers', active: 'subscribers' },
    <>
      <h1>Subscribers</h1>
      <SubscriberList result={result} q={query.q} status={query.status} paused={query.paused} canExport={hasRole(role, 'admin')} catalogs={catalogsWith(deps.sequences)} zone={viewerZone(c, deps)} />
    </>,
  );
}

/** The CSV of every subscriber, streamed as it is read. */
export function csvResponse(deps: AppDeps): Response {
  const date = new Date(deps.clock.now()).toISOString().slice(0, 10);
  return new Response(Readable.toWeb(subscribersCsv(deps.stores)) as ReadableStream, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="subscribers-${date}.csv"`,
      'Cache-Control': 'no-store',
    },
  });
}

export async function gdprExportResponse(deps: AppDeps, id: number): Promise<Response | null> {
  const data = await subscriberExport(deps.stores, id, deps.clock.now());
  if (!data) return null;
  return new Response(JSON.stringify(data, null, 2), {
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="subscriber-${id}.json"`,
      'Cache-Control': 'no-store',
    },
  });
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '';

/** Label and value pairs; `skipEmpty` leaves out those with no value (an em dash otherwise). */
function Kv({ items, skipEmpty = false }: { items: [string, unknown][]; skipEmpty?: boolean }) {
  return (
    <dl class="kv">
      {items.filter(([, v]) => !skipEmpty || !isEmpty(v)).map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{isEmpty(v) ? '—' : String(v)}</dd>
        </>
      ))}
    </dl>
  );
}


/** "2026-03-02", the local date of `ms` in a zone (a date input's value). */
function localDate(ms: number, timeZone: string): string {
  return formatTime(ms, timeZone).slice(0, 10);
}

/** The start of a local date (YYYY-MM-DD) in a zone, or null when it is not a date. */
function startOfLocalDate(value: unknown, timeZone: string): number | null {
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(wall) || new Date(wall).toISOString().slice(0, 10) !== value) return null;
  return firstInstantAtOrAfter(timeZone, wall);
}

/** Why an enrolment ended, in words. */
const ENDED_WORDS: Record<EnrolmentEndReason, string> = {
  completed: 'every email went',
  unsubscribed: 'they unsubscribed',
  left: 'they left it and kept their other sequence',
  converted: 'they became a patient',
  suppressed: 'their address bounced or complained',
  erased: 'erased',
  staff: 'ended by staff',
};

const NOTICES: Record<string, string> = {
  erased: 'Erased: the personal data is gone and the address is kept only as a keyed hash so it is never mailed again.',
  converted: 'Marked as converted: the sequence has ended for this subscriber.',
  unsubscribed: 'Unsubscribed on their behalf: nothing more is sent to them.',
  paused: 'Paused: nothing is sent to them before the date; then their next email goes in their send window.',
  resumed: 'Resumed: their next email goes at its usual time in their send window.',
  resent: 'Queued: the worker sends the step to them again within seconds.',
  confirmation: 'Queued: the worker sends them the confirmation email again within seconds (the same link as before).',
  optin: 'Queued: a new opt-in email goes to them within seconds. They are pending until they confirm it; their old links no longer work.',
  enrolled: 'Started: the first email of that sequence goes on its day, in their send window, never within 20 hours of another.',
  left: 'Ended: nothing more of that sequence is sent to them; their other sequence goes on.',
  corrected: 'Corrected: the confirmation email goes to the new address within seconds. They are pending until they confirm it; nothing is sent to the old address any more.',
  respelled: 'The new spelling is saved: it is the same address, so nothing was sent and their links still work.',
  updated: 'Their details are saved.',
  unchanged: 'Nothing changed: the details were already as given.',
};

/** A delivery's email as the reader knows it: the sequence and its place, or what kind of email it was. */
function deliveryName(catalogs: SequenceCatalogs, d: DeliveryWithEvents): string {
  switch (d.kind) {
    case 'sequence':
      return emailName(catalogs, d.sequence ?? 'education', d.step, true);
    case 'resend':
      return `${emailName(catalogs, d.sequence ?? 'education', d.step, true)}, sent again`;
    case 'confirmation':
      return 'Confirmation email';
    case 'test':
      return 'Test email';
  }
}

const READER_LABELS: Record<(typeof READERS)[number], string> = {
  self: 'themselves (self)',
  supporter: 'someone close to them (supporter)',
  professional: 'their patients or clients (professional)',
};

export function subscriberRoutes(deps: AppDeps) {
  const app = new Hono();

  app.get('/', (c) => subscriberListPage(c, deps));
  app.get('/export.csv', pageRole(deps, 'admin'), async (c) => {
    await recordAudit(deps, staffOf(c).name, 'subscribers.exported', null, { format: 'csv' });
    return csvResponse(deps);
  });

  app.get('/:id/export.json', pageRole(deps, 'admin'), async (c) => {
    const id = parseId(c.req.param('id'));
    const res = id === null ? null : await gdprExportResponse(deps, id);
    if (!res) return errorPage(c, deps, 404, 'No such subscriber', 'There is no subscriber with that id.');
    await recordAudit(deps, staffOf(c).name, 'subscriber.exported', id, { format: 'json' });
    return res;
  });

  app.get('/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    const record = id === null ? null : await subscriberRecord(deps.stores, id);
    if (!record) return errorPage(c, deps, 404, 'No such subscriber', 'There is no subscriber with that id.');
    const role = staffOf(c).role;
    const s = subscriberFor(role, record.subscriber);
    // A viewer is told the IPs and user agents are held back, not that none were recorded.
    const hidden = (v: string | null) => (seesPersonalData(role) ? v : 'not shown to viewers');
    // Times in the viewer's zone, labelled; the reader's own clock beside planned emails and in what they set (a pause).
    const tz = viewerZone(c, deps);
    const theirs = s.timezone;
    const both = (ms: number | null) => `${formatTime(ms, tz)} (${tz}); ${formatTime(ms, theirs)} their time (${theirs})`;
    const token = newCsrfToken(deps);
    const catalogs = catalogsWith(deps.sequences);
    const history = subscriberHistory(record.activity, await auditTrailOf(deps.stores, s.id), {
      catalogs,
      time: (ms) => `${formatTime(ms, tz)} (${tz})`,
      showAddresses: seesPersonalData(role),
    });
    const now = deps.clock.now();
    const planned = await plannedSends(deps, s, now);
    const notice = c.req.query('done');
    const sentSteps = [...new Set(record.deliveries.filter((d) => d.kind === 'sequence' && d.status === 'sent').map((d) => d.step))].sort((a, b) => a - b);
    const resendWaiting = record.deliveries.some((d) => d.kind === 'resend' && d.status === 'queued');
    return page(
      c,
      deps,
      { title: s.email ?? `Subscriber ${s.id}`, active: 'subscribers' },
      <>
        <h1>{s.email ?? `Subscriber #${s.id} (erased)`}</h1>
        {notice && NOTICES[notice] ? (
          <p class="notice" role="status">
            {NOTICES[notice]}
          </p>
        ) : null}
        <nav class="jump" aria-label="On this page">
          <ul>
            {[
              ['status-h', 'Status'],
              ...(hasRole(role, 'editor') ? [['actions-h', 'Actions']] : []),
              ['sequences-h', 'Sequences'],
              ['consent-h', 'Consent'],
              ['plan-h', 'Planned'],
              ['deliveries-h', 'Deliveries'],
              ['activity-h', 'History'],
            ].map(([id, label]) => (
              <li>
                <a href={`#${id}`}>{label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <section class="card" aria-labelledby="status-h">
          <h2 id="status-h">Status</h2>
          <Kv
            skipEmpty
            items={[
              ['Status', s.status],
              ['First name', s.firstName],
              ['Time zone', tz],
              ['Reads for', s.reader ?? 'not given (reads the self version)'],
              ['Signed up', `${formatTime(s.createdAt, tz)} (${tz})`],
              ['Signup IP', hidden(s.signupIp)],
              ['Signup user agent', hidden(s.signupUserAgent)],
              ['Next education email', s.nextStep === null ? null : `${emailName(catalogs, 'education', s.nextStep)} at ${both(s.nextSendAt)}`],
              ['Paused until', isPaused(s, now) ? both(s.pausedUntil) : null],
              ['Unsubscribed', s.unsubscribedAt && `${formatTime(s.unsubscribedAt, tz)} (${tz})`],
              ['Suppressed', s.suppressedAt && `${formatTime(s.suppressedAt, tz)} (${tz}), ${s.suppressedReason ?? ''}`],
              ['Converted', s.convertedAt && `${formatTime(s.convertedAt, tz)} (${tz})`],
              ['Completed', s.completedAt && `${formatTime(s.completedAt, tz)} (${tz})`],
              ['Erased', s.erasedAt && `${formatTime(s.erasedAt, tz)} (${tz})`],
            ]}
          />
        </section>
        {hasRole(role, 'editor') ? (
          <section class="card" aria-labelledby="actions-h">
            <h2 id="actions-h">Actions</h2>
            {hasRole(role, 'admin') ? (
              <p>
                <a href={`/staff/subscribers/${s.id}/export.json`}>Download everything we hold (GDPR export, JSON)</a>
              </p>
            ) : null}
            {s.status !== 'erased' ? (
              <form method="post" action={`/staff/subscribers/${s.id}/details`} class="act" aria-labelledby="details-h">
                <h3 id="details-h">Change their details</h3>
                <CsrfInput token={token} />
                <p>
                  <label for="first-name">First name</label>
                  <input id="first-name" name="firstName" type="text" value={s.firstName ?? ''} maxlength={60} autocomplete="off" />
                </p>
                <p>
                  <label for="timezone">Time zone</label>
                  <select id="timezone" name="timezone">
                    {zonesWith(theirs).map((z) => (
                      <option value={z} selected={z === theirs}>
                        {z}
                      </option>
                    ))}
                  </select>
                </p>
                <p>
                  <label for="reader">Reads for</label>
                  <select id="reader" name="reader">
                    <option value="" selected={s.reader === null}>
                      not given (reads the self version)
                    </option>
                    {READERS.map((r) => (
                      <option value={r} selected={s.reader === r}>
                        {READER_LABELS[r]}
                      </option>
                    ))}
                  </select>
                </p>
                <p class="muted">A new time zone moves their next email into that zone's send window.</p>
                <button type="submit">Save details</button>
              </form>
            ) : null}
            {CORRECTABLE_STATUSES.includes(s.status) ? (
              <form method="post" action={`/staff/subscribers/${s.id}/email`} class="act" aria-labelledby="email-h">
                <h3 id="email-h">Correct their address</h3>
                <CsrfInput token={token} />
                <p>
                  <label for="email">The address they meant</label>
                  <input id="email" name="email" type="text" inputmode="email" autocomplete="off" spellcheck={false} required maxlength={254} value={s.email ?? ''} />
                </p>
                <p class="muted">
                  The new address gets the confirmation email, and nothing more goes to them until they confirm it from there. The old address keeps nothing:
                  emails waiting for it do not go and its links stop working. A change of capital letters only is just saved.
                </p>
                <button type="submit">Correct the address</button>
              </form>
            ) : null}
            {s.status === 'active' && !isPaused(s, now) ? (
              <form method="post" action={`/staff/subscribers/${s.id}/pause`} class="act" aria-labelledby="pause-h">
                <h3 id="pause-h">Pause their emails</h3>
                <CsrfInput token={token} />
                <p>
                  <label for="pause-until">Send nothing before (a date on their clock, {theirs})</label>
                  <input id="pause-until" name="until" type="date" required min={localDate(now + 86_400_000, theirs)} />
                </p>
                <button type="submit">Pause</button>
              </form>
            ) : null}
            {s.status === 'active' && isPaused(s, now) ? (
              <form method="post" action={`/staff/subscribers/${s.id}/resume`} class="act" aria-labelledby="resume-h">
                <h3 id="resume-h">Paused until {both(s.pausedUntil)}</h3>
                <CsrfInput token={token} />
                <button type="submit">Resume now</button>
              </form>
            ) : null}
            {s.status === 'pending' ? (
              <form method="post" action={`/staff/subscribers/${s.id}/confirmation`} class="act" aria-labelledby="confirmation-h">
                <h3 id="confirmation-h">Send the confirmation email again</h3>
                <CsrfInput token={token} />
                <p>They have not confirmed yet. The same link goes again (at most one every 10 minutes, 3 a day).</p>
                <button type="submit">Send it again</button>
              </form>
            ) : null}
            {s.status === 'unsubscribed' ? (
              <form method="post" action={`/staff/subscribers/${s.id}/confirmation`} class="act" aria-labelledby="optin-h">
                <h3 id="optin-h">Send a new opt-in email</h3>
                <CsrfInput token={token} />
                <p>
                  Only if they asked to come back. They get a confirmation email and stay unsubscribed from the series until they
                  confirm it themselves; then their next email is the first one they have not had.
                </p>
                <button type="submit">Send the opt-in email</button>
              </form>
            ) : null}
            {RESENDABLE_STATUSES.includes(s.status) && sentSteps.length > 0 ? (
              <form method="post" action={`/staff/subscribers/${s.id}/resend`} class="act" aria-labelledby="resend-h">
                <h3 id="resend-h">Send a step again</h3>
                <CsrfInput token={token} />
                {resendWaiting ? (
                  <p>A step is waiting to be sent to them again; another can be sent once it has gone.</p>
                ) : (
                  <>
                    <p>
                      <label for="resend-step">Step they already had</label>
                      <select id="resend-step" name="step">
                        {sentSteps.map((n) => (
                          <option value={String(n)}>
                            {emailName(catalogs, 'education', n)}: {emailPlace(catalogs, 'education', n)?.subject ?? ''}
                          </option>
                        ))}
                      </select>
                    </p>
                    <button type="submit">Send again</button>
                  </>
                )}
              </form>
            ) : null}
            {isMailable(s) ? (
              <form method="post" action={`/staff/subscribers/${s.id}/unsubscribe`} class="act" aria-labelledby="unsubscribe-h">
                <h3 id="unsubscribe-h">Unsubscribe on their behalf</h3>
                <CsrfInput token={token} />
                <p>
                  <label for="unsubscribe-reason">What they asked (kept on their history and in the audit log)</label>
                  <input id="unsubscribe-reason" name="reason" type="text" required maxlength={500} autocomplete="off" />
                </p>
                <button type="submit" class="danger">
                  Unsubscribe
                </button>
              </form>
            ) : null}
            {s.status !== 'erased' && s.status !== 'pending' && s.convertedAt === null ? (
              <form method="post" action={`/staff/subscribers/${s.id}/converted`} class="act">
                <CsrfInput token={token} />
                <p>Booked a consult? Marking them converted ends their sequence.</p>
                <p>
                  <button type="submit">Mark converted</button>
                </p>
              </form>
            ) : null}
            {s.status !== 'erased' && hasRole(role, 'admin') ? (
              <form method="post" action={`/staff/subscribers/${s.id}/erase`} class="act">
                <CsrfInput token={token} />
                <p>
                  <input type="checkbox" id="erase-confirm" name="confirm" value="yes" required />{' '}
                  <label for="erase-confirm" class="inline-label">
                    Erase this subscriber's personal data for good (the address is kept only as a hash so it is never mailed again)
                  </label>
                </p>
                <button type="submit" class="danger">
                  Erase
                </button>
              </form>
            ) : null}
          </section>
        ) : null}
        <section class="card" aria-labelledby="sequences-h">
          <h2 id="sequences-h">Sequences</h2>
          {record.enrolments.length === 0 ? (
            <p>In no sequence: {s.confirmedAt === null ? 'they have not confirmed yet.' : `the subscriber is ${s.status}.`}</p>
          ) : (
            <ul>
              {record.enrolments.map((e) => (
                <li>
                  <strong>{SEQUENCE_NAMES[e.sequence]}</strong>: entered {formatTime(e.startedAt, tz)} ({tz}) ·{' '}
                  {e.endedAt !== null
                    ? `ended ${formatTime(e.endedAt, tz)} (${ENDED_WORDS[e.endedReason ?? 'completed']})`
                    : e.nextStep === null
                      ? 'running'
                      : e.nextSendAt === null
                        ? `${emailName(catalogs, e.sequence, e.nextStep).toLowerCase()} going now`
                        : `${emailName(catalogs, e.sequence, e.nextStep).toLowerCase()} planned ${both(e.nextSendAt)}`}
                </li>
              ))}
            </ul>
          )}
          {hasRole(role, 'editor') ? (
            <>
              {(s.status === 'active' || s.status === 'completed') && !record.enrolments.some((e) => e.sequence === 'consult-follow-up') ? (
                <form method="post" action={`/staff/subscribers/${s.id}/sequences`} class="act">
                  <CsrfInput token={token} />
                  <input type="hidden" name="sequence" value="consult-follow-up" />
                  <button type="submit">Start the consult follow-up</button>
                </form>
              ) : null}
              {record.enrolments.filter((e) => e.endedAt === null).length > 1
                ? record.enrolments
                    .filter((e) => e.endedAt === null)
                    .map((e) => (
                      <form method="post" action={`/staff/subscribers/${s.id}/sequences/${e.sequence}/end`} class="act">
                        <CsrfInput token={token} />
                        <button type="submit">End the {SEQUENCE_NAMES[e.sequence].toLowerCase()} (keep the other)</button>
                      </form>
                    ))
                : null}
            </>
          ) : null}
        </section>
        <section class="card" aria-labelledby="consent-h">
          <h2 id="consent-h">Consent record</h2>
          {s.confirmedAt === null ? (
            <p>Not confirmed yet: no consent recorded.</p>
          ) : (
            <Kv
              items={[
                ['Confirmed', `${formatTime(s.confirmedAt, tz)} (${tz}) · ${new Date(s.confirmedAt).toISOString()}`],
                // An imported consent was given before the import confirmed it.
                ...(s.consentGivenAt !== null && s.consentGivenAt !== s.confirmedAt
                  ? [['Consent given', `${formatTime(s.consentGivenAt, tz)} (${tz}) · ${new Date(s.consentGivenAt).toISOString()}`] as [string, unknown]]
                  : []),
                ['Wording', s.consentText],
                ['Wording version', s.consentVersion],
                ['IP', hidden(s.consentIp)],
                ['User agent', hidden(s.consentUserAgent)],
                ['Source', s.consentSource ?? s.source],
              ]}
            />
          )}
        </section>
        <section class="card" aria-labelledby="plan-h">
          <h2 id="plan-h">Planned education emails</h2>
          {planned.length === 0 ? (
            <p>Nothing planned: {s.status === 'active' ? 'the sequence is in flight or complete.' : `the subscriber is ${s.status}.`}</p>
          ) : (
            <>
              <ul>
                {planned.map((p) => (
                  <li>
                    {emailName(catalogs, 'education', p.step)}, “{p.detail.subject}”: {both(p.at)}
                  </li>
                ))}
              </ul>
              <p>
                <a href={`/staff/subscribers/${s.id}/next`}>See the next email as it will look when it goes</a>
              </p>
            </>
          )}
        </section>
        <section aria-labelledby="deliveries-h">
          <h2 id="deliveries-h">Deliveries</h2>
          {record.deliveries.length === 0 ? (
            <p>No email has been sent to this subscriber.</p>
          ) : (
            <div class="scroll" role="region" aria-labelledby="deliveries-h" tabindex={0}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Status</th>
                    <th scope="col">Sent ({tz})</th>
                    <th scope="col">Provider events</th>
                  </tr>
                </thead>
                <tbody>
                  {record.deliveries.map((d) => (
                    <tr>
                      <td>{deliveryName(catalogs, d)}</td>
                      <td>{d.subject}</td>
                      <td>
                        {d.status}
                        {d.error ? ` (${d.error})` : ''}
                      </td>
                      <td>{formatTime(d.sentAt, tz)}</td>
                      <td>
                        {d.events.length === 0 ? (
                          '—'
                        ) : (
                          <ul>
                            {d.events.map((e) => (
                              <li>
                                {e.type} · {formatTime(e.occurredAt, tz)}
                                {e.flag ? ` · left out of the rates: ${FLAG_LABELS[e.flag]}${e.flagReason ? `, ${LEFT_OUT_REASONS[e.flagReason]}` : ''}` : ''}
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <section aria-labelledby="activity-h">
          <h2 id="activity-h">History</h2>
          {hasRole(role, 'admin') ? (
            <p>
              <a href={`/staff/audit?subscriber=${s.id}`}>Their entries in the audit log</a>
            </p>
          ) : null}
          {history.length === 0 ? (
            <p>No history recorded.</p>
          ) : (
            <div class="scroll" role="region" aria-labelledby="history-caption" tabindex={0}>
              <table>
                <caption id="history-caption">What happened and who did it, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">When ({tz})</th>
                    <th scope="col">What</th>
                    <th scope="col">Who</th>
                  </tr>
                </thead>
                <tbody>
                  {history.map((h) => (
                    <tr>
                      <td>{formatTime(h.at, tz)}</td>
                      <td>{h.what}</td>
                      <td>{actorWords(h.who)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </>,
    );
  });

  app.post('/:id/converted', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    const result = id === null ? null : await markConverted(deps.stores, id, deps.clock.now());
    if (!result || (!result.ok && result.reason === 'not_found')) return errorPage(c, deps, 404, 'No such subscriber', 'There is no subscriber with that id.');
    if (!result.ok) return errorPage(c, deps, 409, 'Not converted', result.reason === 'pending' ? 'This subscriber has not confirmed yet: there is no sequence to end.' : 'This subscriber was erased; there is nothing to convert.');
    if (result.changed) {
      deps.logger.info({ subscriberId: id, status: result.subscriber.status, staff: staffOf(c).name }, 'subscriber converted by staff');
      await recordAudit(deps, staffOf(c).name, 'subscriber.converted', id);
    }
    return c.redirect(`/staff/subscribers/${id}?done=converted`, 303);
  });

  // Acting for a person: the same services (and audit entries) as the API; a refusal is a page that says why.
  const refused = (c: Context, id: number, status: 400 | 404 | 409, title: string, message: string) =>
    page(
      c,
      deps,
      { title, status, active: 'subscribers' },
      <>
        <h1>{title}</h1>
        <p class="notice error" role="alert">
          {message}
        </p>
        <p>
          <a href={`/staff/subscribers/${id}`}>Back to the subscriber</a>
        </p>
      </>,
    );
  const noSuchSubscriber = (c: Context) => errorPage(c, deps, 404, 'No such subscriber', 'There is no subscriber with that id.');
  const done = (c: Context, id: number, what: keyof typeof NOTICES) => c.redirect(`/staff/subscribers/${id}?done=${what}`, 303);
  const pauseRefused = (c: Context, id: number, r: Exclude<PauseOutcome, { ok: true }>) => {
    if (r.reason === 'not_found') return noSuchSubscriber(c);
    if (r.reason === 'until_not_in_future') return refused(c, id, 400, 'Not paused', 'Pick a date after today.');
    if (r.reason === 'not_active') return refused(c, id, 409, 'Not changed', `Only someone receiving the series can be paused or resumed; this subscriber is ${r.status}.`);
    return refused(c, id, 409, 'Not resumed', 'Their emails are not paused.');
  };

  app.post('/:id/sequences', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return noSuchSubscriber(c);
    const sequence = z.enum(SEQUENCE_IDS).safeParse((await c.req.parseBody()).sequence);
    if (!sequence.success) return refused(c, id, 400, 'Not started', 'Pick a sequence.');
    const r = await enrolFor(deps, staffOf(c).name, id, sequence.data);
    if (r.ok) return done(c, id, 'enrolled');
    if (r.reason === 'already') return refused(c, id, 409, 'Not started', 'They were in that sequence before: a person enters a sequence once.');
    if (r.reason === 'not_enrollable') return refused(c, id, 409, 'Not started', 'People enter the education series by confirming their signup.');
    if (r.reason === 'not_mailable') return refused(c, id, 409, 'Not started', `This subscriber is ${r.status}: nothing is sent to them.`);
    return noSuchSubscriber(c);
  });

  app.post('/:id/sequences/:sequence/end', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return noSuchSubscriber(c);
    const sequence = z.enum(SEQUENCE_IDS).safeParse(c.req.param('sequence'));
    if (!sequence.success) return refused(c, id, 400, 'Not ended', 'There is no such sequence.');
    const r = await leaveFor(deps, staffOf(c).name, id, sequence.data);
    if (r.ok) return done(c, id, 'left');
    if (r.reason === 'last') return refused(c, id, 409, 'Not ended', 'It is their only running sequence: to stop all their emails, unsubscribe them.');
    if (r.reason === 'not_enrolled') return refused(c, id, 409, 'Not ended', 'They are not in that sequence now.');
    return noSuchSubscriber(c);
  });

  app.post('/:id/unsubscribe', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return noSuchSubscriber(c);
    const reason = UnsubscribeReasonSchema.safeParse((await c.req.parseBody()).reason);
    if (!reason.success) return refused(c, id, 400, 'Not unsubscribed', 'Say why: what the person asked (at most 500 characters).');
    const r = await unsubscribeFor(deps, staffOf(c).name, id, reason.data);
    if (r.ok) return done(c, id, 'unsubscribed');
    if (r.reason === 'not_found') return noSuchSubscriber(c);
    return refused(c, id, 409, 'Not unsubscribed', `This subscriber is ${r.status}: nothing is sent to them already.`);
  });

  app.post('/:id/pause', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    const s = id === null ? undefined : await deps.stores.subscribers.byId(id);
    if (id === null || !s || s.status === 'erased') return noSuchSubscriber(c);
    // The date is theirs: nothing goes before it starts in their time zone.
    const until = startOfLocalDate((await c.req.parseBody()).until, s.timezone);
    if (until === null) return refused(c, id, 400, 'Not paused', 'Pick the date their emails may start again.');
    const r = await pauseFor(deps, staffOf(c).name, id, until);
    return r.ok ? done(c, id, 'paused') : pauseRefused(c, id, r);
  });

  app.post('/:id/resume', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return noSuchSubscriber(c);
    const r = await resumeFor(deps, staffOf(c).name, id);
    return r.ok ? done(c, id, 'resumed') : pauseRefused(c, id, r);
  });

  app.post('/:id/confirmation', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return noSuchSubscriber(c);
    const r = await resendConfirmationFor(deps, staffOf(c).name, id);
    if (r.ok) return done(c, id, r.reopened ? 'optin' : 'confirmation');
    if (r.reason === 'not_found') return noSuchSubscriber(c);
    return refused(c, id, 409, 'Not sent', confirmationResendMessage(r.reason));
  });

  app.post('/:id/email', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return noSuchSubscriber(c);
    const r = await correctAddressFor(deps, staffOf(c).name, id, (await c.req.parseBody()).email);
    if (r.ok) return done(c, id, r.kind);
    if (r.reason === 'not_found') return noSuchSubscriber(c);
    if (r.reason === 'invalid_email') return refused(c, id, 400, 'Not corrected', r.message);
    return refused(c, id, 409, 'Not corrected', addressCorrectionMessage(r));
  });

  app.post('/:id/resend', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return noSuchSubscriber(c);
    const raw = (await c.req.parseBody()).step;
    const step = typeof raw === 'string' && /^[1-9]\d{0,2}$/.test(raw) ? Number(raw) : null;
    const r = step === null ? ({ ok: false, reason: 'unknown_step' } as const) : await resendFor(deps, staffOf(c).name, id, step);
    if (r.ok) return done(c, id, 'resent');
    if (r.reason === 'not_found') return noSuchSubscriber(c);
    if (r.reason === 'unknown_step') return refused(c, id, 400, 'Not sent', 'Pick one of the steps of the sequence.');
    return refused(c, id, 409, 'Not sent', resendRefusalMessage(r.reason, r.status, emailName(catalogsWith(deps.sequences), 'education', step!)));
  });

  app.post('/:id/details', pageRole(deps, 'editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return noSuchSubscriber(c);
    const body = await c.req.parseBody();
    const parsed = ProfileChangesSchema.safeParse({ firstName: body.firstName, timezone: body.timezone, reader: body.reader });
    if (!parsed.success) return refused(c, id, 400, 'Not saved', parsed.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; '));
    const r = await changeProfileFor(deps, staffOf(c).name, id, parsed.data);
    if (!r) return noSuchSubscriber(c);
    return done(c, id, r.changed.length ? 'updated' : 'unchanged');
  });

  app.post('/:id/erase', pageRole(deps, 'admin'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return errorPage(c, deps, 404, 'No such subscriber', 'There is no subscriber with that id.');
    const body = await c.req.parseBody();
    if (body.confirm !== 'yes') return errorPage(c, deps, 400, 'Not erased', 'Tick the box to confirm the erasure, then press Erase.');
    const outcome = await eraseSubscriberEverywhere(deps, id, deps.clock.now());
    if (!outcome) return errorPage(c, deps, 404, 'No such subscriber', 'There is no subscriber with that id.');
    deps.logger.info({ subscriberId: id, alreadyErased: outcome.alreadyErased, staff: staffOf(c).name }, 'subscriber erased by staff');
    await recordAudit(deps, staffOf(c).name, 'subscriber.erased', id, { alreadyErased: outcome.alreadyErased, withdrawnFromBatches: outcome.withdrawnFromBatches });
    return c.redirect(`/staff/subscribers/${id}?done=erased`, 303);
  });

  return app;
}
