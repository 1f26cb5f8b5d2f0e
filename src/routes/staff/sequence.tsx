/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { AppDeps } from '../../deps.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { leavingReasonsByStep, sequenceOverview, type LeavingReasonsRow } from '../../nurture/sequence-stats.js';
import type { SequenceId } from '../../../db/types.js';
import { SEQUENCE_IDS, UNSUBSCRIBE_REASONS } from '../../../db/enums.js';
import { SEQUENCE_NAMES } from '../../nurture/sequence.js';
import { catalogOf, previewPublish, publishVersion, versionEffect, versionsOverview } from '../../nurture/versions.js';
import { hasRole } from '../../staff/roles.js';
import { UNSUBSCRIBE_REASON_LABELS } from '../../subscribers/unsubscribe.js';
import { pageRole, staffOf } from './auth.js';
import { LeftOutNotes, pct, Reported } from './engagement.js';
import { CsrfInput } from './layout.js';
import { EffectPeople, EffectSummary, SequenceVersions, stepTitles } from './sequence-versions.js';
import { errorPage, newCsrfToken, page, viewerZone } from './view.js';

/**
 * One sequence's page: each step's numbers, its versions and publishing.
 * `base`: where it is mounted (/staff/sequences/:id; /staff/sequence stays
 * the education series').
 */
export function sequenceRoutes(deps: AppDeps, id: SequenceId = 'education', base = `/staff/sequences/${id}`) {
  const app = new Hono();
  const name = SEQUENCE_NAMES[id];
  // Without confirm=yes this answers the confirmation: the same preview, computed again now, and the final button.
  app.post('/publish', pageRole(deps, 'admin'), async (c) => {
    const form = await c.req.parseBody();
    const version = Number(form.version);
    const again = form.again === 'yes';
    if (!Number.isInteger(version)) return errorPage(c, deps, 400, 'Not published', 'Pick a version to publish.');
    const refused = (outcome: { reason: 'unknown_version' | 'running' | 'not_newer'; running: number }) =>
      outcome.reason === 'unknown_version'
        ? errorPage(c, deps, 404, 'Not published', `This release has no sequence version ${version}.`)
        : errorPage(c, deps, 409, 'Not published', outcome.reason === 'running' ? `Version ${version} is what runs now.` : `Version ${outcome.running} is running and version ${version} is older: roll back to it with its own button.`);
    if (form.confirm !== 'yes') {
      const preview = await previewPublish(deps, version, {}, id);
      if (!preview.ok) return refused(preview);
      if (preview.candidate.again && !again) return refused({ reason: 'not_newer', running: preview.running });
      const title = stepTitles(await versionsOverview(deps, id));
      const { candidate, effect } = preview;
      const what = candidate.again ? `version ${version} again as version ${candidate.version}` : `version ${candidate.version}`;
      return page(
        c,
        deps,
        { title: `Publish ${what}?`, active: 'sequence' },
        <>
          <h1>Publish {what}?</h1>
          <p>{candidate.summary}</p>
          {candidate.again && <p>Version {preview.running} runs now. This publishes the steps of version {version} as version {candidate.version}: everyone in flight moves onto them from where they are, and nobody gets a step twice.</p>}
          <h2>What it changes, as of now</h2>
          <EffectSummary effect={effect} title={title} />
          <EffectPeople effect={effect} title={title} />
          <form method="post" action={`${base}/publish`}>
            <CsrfInput token={newCsrfToken(deps)} />
            <input type="hidden" name="version" value={String(version)} />
            {candidate.again && <input type="hidden" name="again" value="yes" />}
            <p>
              <input type="checkbox" id="confirm" name="confirm" value="yes" required />{' '}
              <label for="confirm" class="inline-label">
                I have read what it changes: publish {what} now
              </label>
            </p>
            <button type="submit">Publish {what}</button>
          </form>
          <p>
            <a href={base}>Back to the {name.toLowerCase()}</a>
          </p>
        </>,
      );
    }
    const outcome = await publishVersion(deps, version, staffOf(c).name, { again, sequence: id });
    if (!outcome.ok) return refused(outcome);
    return c.redirect(`${base}?done=published`, 303);
  });
  app.get('/', async (c) => {
    const summary = await engagementSummary(deps.stores, deps.config, id);
    const rows = await sequenceOverview(deps.stores, deps.config.bookingUrl, summary.tracking, catalogOf(deps, id), id);
    const overview = await versionsOverview(deps, id);
    const reasons = await leavingReasonsByStep(deps.stores, id, catalogOf(deps, id));
    const catalog = overview.versions.filter((v) => v.status === 'unpublished');
    const effects = await Promise.all(catalog.map((v) => versionEffect(deps, v, {}, undefined, id)));
    const token = hasRole(staffOf(c).role, 'admin') ? newCsrfToken(deps) : null;
    return page(
      c,
      deps,
      { title: name, active: 'sequence' },
      <>
        <p>
          <a href="/staff/sequences">All sequences</a>
        </p>
        <h1>{name} at a glance</h1>
        <p class="muted">
          Waiting: active subscribers whose next email this is. Sent, delivered, opened and clicked count sequence deliveries (percentages are of
          sent); opened and clicked count people only: opens by mail-privacy proxies and clicks by link scanners are kept but left out. Unsubscribed:
          people whose last email before unsubscribing was this one. Consult clicks count clicks on the booking page (BOOKING_URL) from each step
          {deps.config.bookingUrl ? '' : '; BOOKING_URL is not set, so they are not tracked'}.
        </p>
        <LeftOutNotes summary={summary} />
        <StepTable
          id="seq-caption"
          caption="Sequence steps"
          rows={rows}
          step={(r) => r.step}
          columns={[
            { head: 'Day', num: true, cell: (r) => r.dayOffset },
            {
              head: 'Subject',
              cell: (r) => (
                <>
                  <a href={`/staff/templates/${r.templateId}`}>{r.subject}</a>
                  <br />
                  <span class="muted">{r.preheader}</span>
                </>
              ),
            },
            { head: 'Waiting', num: true, cell: (r) => r.waiting },
            { head: 'Sent', num: true, cell: (r) => r.sent },
            { head: 'Delivered', num: true, cell: (r) => <Reported n={r.delivered} of={r.sent} /> },
            { head: 'Opened', num: true, cell: (r) => <Reported n={r.opened} of={r.sent} leftOut={r.opensLeftOut} by="proxies" /> },
            { head: 'Clicked', num: true, cell: (r) => <Reported n={r.clicked} of={r.sent} leftOut={r.clicksLeftOut} by="scanners" /> },
            {
              head: 'Unsubscribed',
              num: true,
              cell: (r) => (
                <>
                  {r.unsubscribed}
                  {pct(r.unsubscribed, r.sent)}
                </>
              ),
            },
            { head: 'Consult clicks', num: true, cell: (r) => (r.consultClicks === null ? 'not tracked' : r.consultClicks) },
          ]}
        />
        <LeavingReasons rows={reasons} />
        {c.req.query('done') === 'published' && (
          <p class="notice" role="status">
            Published: version {overview.running} runs now. People in flight move onto it at the worker's next tick.
          </p>
        )}
        <SequenceVersions overview={overview} effects={effects} token={token} zone={viewerZone(c, deps)} base={base} />
      </>,
    );
  });
  return app;
}

type StepColumn<R> = { head: string; num?: boolean; cell: (row: R) => Child };

/** A table of figures per step: the step heads each row, then one cell per column. */
function StepTable<R>({ id, caption, rows, step, columns }: { id: string; caption?: string; rows: R[]; step: (row: R) => string | number; columns: StepColumn<R>[] }) {
  return (
    <div class="scroll" role="region" aria-labelledby={id} tabindex={0}>
      <table>
        {caption && <caption id={id}>{caption}</caption>}
        <thead>
          <tr>
            <th scope="col">Step</th>
            {columns.map((col) => (
              <th scope="col" class={col.num ? 'num' : undefined}>
                {col.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr>
              <th scope="row">{step(row)}</th>
              {columns.map((col) => (
                <td class={col.num ? 'num' : undefined}>{col.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Why people unsubscribed, as they said on the unsubscribe page (optional, counted without who said it), by the email they last had. */
function LeavingReasons({ rows }: { rows: LeavingReasonsRow[] }) {
  return (
    <>
      <h2 id="reasons-caption">Why people unsubscribed</h2>
      <p class="muted">
        The reason people picked on the unsubscribe page (optional), by the last email they had before it; step 0 is before the first email. Only counts
        are kept: nothing links an answer to a person.
      </p>
      {rows.length === 0 ? (
        <p>No reasons given yet.</p>
      ) : (
        <StepTable
          id="reasons-caption"
          rows={rows}
          step={(r) => (r.step === 0 ? 'Before email 1' : `${r.step}${r.subject ? `: ${r.subject}` : ''}`)}
          columns={[
            ...UNSUBSCRIBE_REASONS.map((reason) => ({ head: UNSUBSCRIBE_REASON_LABELS[reason], num: true, cell: (r: LeavingReasonsRow) => r.byReason[reason] })),
            { head: 'All', num: true, cell: (r: LeavingReasonsRow) => r.total },
          ]}
        />
      )}
    </>
  );
}

/** Every sequence: its running version, who is in it now and where, and a link to its page. */
export function sequencesIndexRoutes(deps: AppDeps) {
  const app = new Hono();
  app.get('/', async (c) => {
    const all = await Promise.all(SEQUENCE_IDS.map(async (id) => ({ id, overview: await versionsOverview(deps, id) })));
    return page(
      c,
      deps,
      { title: 'Sequences', active: 'sequence' },
      <>
        <h1>Sequences</h1>
        <p class="muted">
          The education series starts when a person confirms. The consult follow-up starts when they click the booking link in one of our emails, or
          when staff start it on their page; each person enters it once. A person gets at most one email a day across both, in their morning.
        </p>
        <div class="scroll" role="region" aria-labelledby="sequences-caption" tabindex={0}>
          <table>
            <caption id="sequences-caption">Sequences</caption>
            <thead>
              <tr>
                <th scope="col">Sequence</th>
                <th scope="col" class="num">
                  Running version
                </th>
                <th scope="col" class="num">
                  Emails
                </th>
                <th scope="col" class="num">
                  People in it now
                </th>
              </tr>
            </thead>
            <tbody>
              {all.map(({ id, overview }) => {
                const running = overview.versions.find((v) => v.status === 'running');
                const people = overview.versions.reduce((n, v) => n + v.people, 0);
                return (
                  <tr>
                    <th scope="row">
                      <a href={`/staff/sequences/${id}`}>{SEQUENCE_NAMES[id]}</a>
                    </th>
                    <td class="num">{overview.running}</td>
                    <td class="num">{running?.steps.length ?? ''}</td>
                    <td class="num">{people}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </>,
    );
  });
  for (const id of SEQUENCE_IDS) app.route(`/${id}`, sequenceRoutes(deps, id));
  return app;
}
