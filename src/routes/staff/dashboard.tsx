/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { healthReport, resumeSending, type HealthReport } from '../../staff/health.js';
import { hasRole } from '../../staff/roles.js';
import { pageRole, staffOf } from './auth.js';
import { askedToConfirm, FUNNEL_STAGES, funnelByDay, type Funnel, type FunnelStage } from '../../subscribers/funnel.js';
import { heldBatches } from '../../nurture/held.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { HeldBatches } from './batches.js';
import { EngagementPanel } from './engagement.js';
import { BarChart } from './chart.js';
import { CsrfInput } from './layout.js';
import { errorPage, newCsrfToken, page, viewerZone } from './view.js';

export const STAGE_COLORS: Record<string, string> = {
  signup: '#1f4fb3',
  confirmed: '#1b7f4c',
  completed: '#5b3cc4',
  unsubscribed: '#8a5a00',
  bounced: '#a4161a',
  complained: '#c2185b',
  converted: '#00758f',
};

/** A share with its base named ("40% of confirmed"); a dash when the base is 0. */
export function shareOf(n: number, of: number, base: string): string {
  return of === 0 ? `— of ${base}` : `${Math.round((n / of) * 100)}% of ${base}`;
}

/**
 * What each total is made of and what it is a share of, one line each:
 * signups by source (a re-signup apart, not counted), confirmations by
 * email as a share of those asked, every later stage of confirmed (30-day window).
 */
export function stageNotes(funnel: Funnel, stage: FunnelStage): string[] {
  const s = funnel.sources.totals;
  switch (stage) {
    case 'signup':
      return [`${s.form} on the form`, `${s.importConsent} imported with a recorded consent`, `${s.importInvited} imported, invited to opt in`, ...(s.again ? [`${s.again} signed up again (not counted twice)`] : [])];
    case 'confirmed': {
      const byEmail = funnel.totals.confirmed - s.importConsent;
      return [`${byEmail} by email: ${shareOf(byEmail, askedToConfirm(s), 'those asked to confirm')}`, `${s.importConsent} by an import's recorded consent`];
    }
    default:
      return [shareOf(funnel.totals[stage], funnel.totals.confirmed, 'confirmed')];
  }
}

export function FunnelView({ funnel }: { funnel: Funnel }) {
  return (
    <>
      <h2 id="totals">Last 30 days</h2>
      <ul class="totals" aria-labelledby="totals">
        {FUNNEL_STAGES.map((s) => (
          <li>
            <span class="n">{funnel.totals[s.type]}</span>
            <span class="l">{s.label}</span>
            {stageNotes(funnel, s.type).map((note) => (
              <span class="l">{note}</span>
            ))}
            <span class="l">{funnel.allTime[s.type]} all time</span>
          </li>
        ))}
      </ul>
      <h2>Per day</h2>
      <div class="charts">
        {FUNNEL_STAGES.map((s) => (
          <figure class="card">
            <figcaption>{s.label}</figcaption>
            <BarChart
              id={`chart-${s.type}`}
              series={{ label: s.label, color: STAGE_COLORS[s.type]!, points: funnel.days.map((d) => ({ date: d.date, value: d.counts[s.type] })) }}
            />
          </figure>
        ))}
      </div>
      <div class="scroll" role="region" aria-labelledby="funnel-caption" tabindex={0}>
        <table>
          <caption id="funnel-caption">Funnel per day ({funnel.timeZone})</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {FUNNEL_STAGES.map((s) => (
                <th scope="col" class="num">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[...funnel.days].reverse().map((d) => (
              <tr>
                <th scope="row">{d.date}</th>
                {FUNNEL_STAGES.map((s) => (
                  <td class="num">{d.counts[s.type]}</td>
                ))}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              {FUNNEL_STAGES.map((s) => (
                <td class="num">{funnel.totals[s.type]}</td>
              ))}
            </tr>
          </tfoot>
        </table>
      </div>
    </>
  );
}

const STATUS_TEXT = { ok: 'OK', warn: 'Check', fail: 'Fix' } as const;

/** One check on one line, its explanation folded; the resume button of a complaint pause stays in view. */
function HealthLine({ check: c, resumeToken }: { check: HealthReport['checks'][number]; resumeToken: string | null }) {
  return (
    <li id={`health-${c.id}`}>
      <details>
        <summary>
          <span class={`badge ${c.status}`}>{STATUS_TEXT[c.status]}</span> <strong>{c.label}</strong>
        </summary>
        <p>{c.message}</p>
        {c.action ? (
          <p>
            <strong>What to do:</strong> {c.action}
          </p>
        ) : null}
      </details>
      {c.id === 'sending' && c.detail?.paused === 'complaints' ? (
        resumeToken === null ? (
          <p>An admin resumes sending.</p>
        ) : (
          <form method="post" action="/staff/sending/resume">
            <CsrfInput token={resumeToken} />
            <button type="submit">Resume sequence emails</button>
          </form>
        )
      ) : null}
    </li>
  );
}

/** The health checks in the design's order; `resumeToken` (admins) offers the resume button during a complaint pause. */
export function HealthPanel({ report, resumeToken }: { report: HealthReport; resumeToken: string | null }) {
  const fix = report.checks.filter((c) => c.status === 'fail').length;
  const check = report.checks.filter((c) => c.status === 'warn').length;
  const summary = fix + check === 0 ? 'all checks pass' : [fix ? `${fix} to fix` : null, check ? `${check} to check` : null].filter(Boolean).join(', ');
  return (
    <section class="card" aria-labelledby="health">
      <h2 id="health">Health: {summary}</h2>
      <p class="muted">
        What matters before real mail goes out: open a line for what it means and what to do. The same as JSON at <a href="/api/health">/api/health</a>.
      </p>
      <ul class="health">
        {report.checks.map((c) => (
          <HealthLine check={c} resumeToken={resumeToken} />
        ))}
      </ul>
    </section>
  );
}

export function dashboardRoutes(deps: AppDeps) {
  const app = new Hono();
  app.post('/sending/resume', pageRole(deps, 'admin'), async (c) => {
    if (!(await resumeSending(deps, staffOf(c).name))) return errorPage(c, deps, 409, 'Sending is not paused', 'Sequence emails are not paused (an admin may have resumed them already).');
    return c.redirect('/staff?done=resumed', 303);
  });
  return app.get('/', async (c) => {
    const zone = viewerZone(c, deps);
    const funnel = await funnelByDay(deps.stores, { now: deps.clock.now(), timeZone: zone });
    const held = await heldBatches(deps.stores);
    const health = await healthReport(deps, zone);
    const role = staffOf(c).role;
    const engagement = await engagementSummary(deps.stores, deps.config);
    return page(
      c,
      deps,
      { title: 'Dashboard', active: 'dashboard' },
      <>
        <h1>Dashboard</h1>
        {c.req.query('done') === 'batch' ? (
          <p class="notice" role="status">
            Decision recorded.
          </p>
        ) : null}
        {c.req.query('done') === 'resumed' ? (
          <p class="notice" role="status">
            Sequence emails resumed. Only complaints from now on count toward a new pause.
          </p>
        ) : null}
        <HeldBatches held={held} token={hasRole(role, 'editor') ? newCsrfToken(deps) : null} zone={zone} />
        <HealthPanel report={health} resumeToken={hasRole(role, 'admin') ? newCsrfToken(deps) : null} />
        <EngagementPanel summary={engagement} />
        <p class="muted">
          The funnel counts what happened each day in {funnel.timeZone}, from the activity log. Signups are new people (a re-signup is not a second signup); confirmed is each person's first confirmation, by email or by an import's recorded consent; every later stage is a share of confirmed. The same numbers are at{' '}
          <a href="/api/funnel">/api/funnel</a>.
        </p>
        <FunnelView funnel={funnel} />
      </>,
    );
  });
}
