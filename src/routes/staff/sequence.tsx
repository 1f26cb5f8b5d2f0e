/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { sequenceOverview } from '../../nurture/sequence-stats.js';
import { publishVersion, versionEffect, versionsOverview } from '../../nurture/versions.js';
import { hasRole } from '../../staff/roles.js';
import { pageRole, staffOf } from './auth.js';
import { LeftOutNotes, pct, Reported } from './engagement.js';
import { SequenceVersions } from './sequence-versions.js';
import { errorPage, newCsrfToken, page } from './view.js';

export function sequenceRoutes(deps: AppDeps) {
  const app = new Hono();
  app.post('/publish', pageRole(deps, 'admin'), async (c) => {
    const form = await c.req.parseBody();
    const version = Number(form.version);
    if (!Number.isInteger(version) || form.confirm !== 'yes') return errorPage(c, deps, 400, 'Not published', 'Pick a version and tick the box that says you read what it changes.');
    const outcome = await publishVersion(deps, version, staffOf(c).name);
    if (!outcome.ok) return errorPage(c, deps, 409, 'Not published', `Version ${version} cannot be published: version ${outcome.running} is running and only a newer version of this release can follow it.`);
    return c.redirect('/staff/sequence?done=published', 303);
  });
  app.get('/', async (c) => {
    const summary = await engagementSummary(deps.stores, deps.config);
    const rows = await sequenceOverview(deps.stores, deps.config.bookingUrl, summary.tracking, deps.sequences);
    const overview = await versionsOverview(deps);
    const catalog = overview.versions.filter((v) => v.status === 'unpublished');
    const effects = await Promise.all(catalog.map((v) => versionEffect(deps, { version: v.version, summary: v.summary, steps: v.steps })));
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
