/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { sequenceOverview } from '../../nurture/sequence-stats.js';
import { previewPublish, publishVersion, versionEffect, versionsOverview } from '../../nurture/versions.js';
import { hasRole } from '../../staff/roles.js';
import { pageRole, staffOf } from './auth.js';
import { LeftOutNotes, pct, Reported } from './engagement.js';
import { CsrfInput } from './layout.js';
import { EffectPeople, EffectSummary, SequenceVersions, stepTitles } from './sequence-versions.js';
import { errorPage, newCsrfToken, page } from './view.js';

export function sequenceRoutes(deps: AppDeps) {
  const app = new Hono();
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
      const preview = await previewPublish(deps, version);
      if (!preview.ok) return refused(preview);
      if (preview.candidate.again && !again) return refused({ reason: 'not_newer', running: preview.running });
      const title = stepTitles(await versionsOverview(deps));
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
          <form method="post" action="/staff/sequence/publish">
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
            <a href="/staff/sequence">Back to the sequence</a>
          </p>
        </>,
      );
    }
    const outcome = await publishVersion(deps, version, staffOf(c).name, { again });
    if (!outcome.ok) return refused(outcome);
    return c.redirect('/staff/sequence?done=published', 303);
  });
  app.get('/', async (c) => {
    const summary = await engagementSummary(deps.stores, deps.config);
    const rows = await sequenceOverview(deps.stores, deps.config.bookingUrl, summary.tracking, deps.sequences);
    const overview = await versionsOverview(deps);
    const catalog = overview.versions.filter((v) => v.status === 'unpublished');
    const effects = await Promise.all(catalog.map((v) => versionEffect(deps, v)));
    const token = hasRole(staffOf(c).role, 'admin') ? newCsrfToken(deps) : null;
    return page(
      c,
      deps,
      { title: 'Sequence', active: 'sequence' },
      <>
        <h1>The sequence at a glance</h1>
        <p class="muted">
          Waiting: active subscribers whose next email this is. Sent, delivered, opened and clicked count sequence deliveries (percentages are of
          sent); opened and clicked count people only: opens by mail-privacy proxies and clicks by link scanners are kept but left out. Unsubscribed:
          people whose last email before unsubscribing was this one. Consult clicks count clicks on the booking page (BOOKING_URL) from each step
          {deps.config.bookingUrl ? '' : '; BOOKING_URL is not set, so they are not tracked'}.
        </p>
        <LeftOutNotes summary={summary} />
        <div class="scroll" role="region" aria-labelledby="seq-caption" tabindex={0}>
          <table>
            <caption id="seq-caption">Sequence steps</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col" class="num">
                  Day
                </th>
                <th scope="col">Subject</th>
                <th scope="col" class="num">
                  Waiting
                </th>
                <th scope="col" class="num">
                  Sent
                </th>
                <th scope="col" class="num">
                  Delivered
                </th>
                <th scope="col" class="num">
                  Opened
                </th>
                <th scope="col" class="num">
                  Clicked
                </th>
                <th scope="col" class="num">
                  Unsubscribed
                </th>
                <th scope="col" class="num">
                  Consult clicks
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <th scope="row">{r.step}</th>
                  <td class="num">{r.dayOffset}</td>
                  <td>
                    <a href={`/staff/templates/${r.templateId}`}>{r.subject}</a>
                    <br />
                    <span class="muted">{r.preheader}</span>
                  </td>
                  <td class="num">{r.waiting}</td>
                  <td class="num">{r.sent}</td>
                  <td class="num">
                    <Reported n={r.delivered} of={r.sent} />
                  </td>
                  <td class="num">
                    <Reported n={r.opened} of={r.sent} leftOut={r.opensLeftOut} by="proxies" />
                  </td>
                  <td class="num">
                    <Reported n={r.clicked} of={r.sent} leftOut={r.clicksLeftOut} by="scanners" />
                  </td>
                  <td class="num">
                    {r.unsubscribed}
                    {pct(r.unsubscribed, r.sent)}
                  </td>
                  <td class="num">{r.consultClicks === null ? 'not tracked' : r.consultClicks}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {c.req.query('done') === 'published' && (
          <p class="notice" role="status">
            Published: version {overview.running} runs now. People in flight move onto it at the worker's next tick.
          </p>
        )}
        <SequenceVersions overview={overview} effects={effects} token={token} />
      </>,
    );
  });
  return app;
}
