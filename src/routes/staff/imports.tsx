/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppDeps } from '../../deps.js';
import { IMPORT_OUTCOMES, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, readImportCsv, runImport, type ImportOutcome, type ImportReport, type ImportRowReport } from '../../subscribers/import.js';
import { downloadRowsToFix, keptImportReport, keptImportReports, type KeptReport, type RowToFix } from '../../subscribers/import-reports.js';
import { importUpload } from '../import-upload.js';
import { pageRole, staffOf } from './auth.js';
import { cspNonce, usePageKind } from '../page-security.js';
import { CsrfInput, formatTime } from './layout.js';
import { parseId } from './params.js';
import { errorPage, newCsrfToken, page, viewerZone } from './view.js';

/** How the report names each outcome (the page and its script say the same). */
const OUTCOME_LABELS: Record<ImportOutcome, string> = {
  enrolled: 'enrolled',
  invited: 'invited',
  duplicate: 'duplicates',
  exists: 'already known',
  suppressed: 'suppressed',
  erased: 'erased',
  invalid: 'invalid',
};

const n = (value: number) => value.toLocaleString('en-US');

function Warnings({ warnings }: { warnings: string[] | undefined }) {
  return warnings?.length ? (
    <ul class="warnings">
      {warnings.map((w) => (
        <li>Warning: {w}</li>
      ))}
    </ul>
  ) : null;
}

function rowDetail(r: ImportRowReport) {
  const person = 'subscriberId' in r ? <a href={`/staff/subscribers/${r.subscriberId}`}>#{r.subscriberId}</a> : null;
  switch (r.outcome) {
    case 'enrolled':
      return (
        <>
          Confirmed with the recorded consent; email 1 goes in their next send window. {person}
          <Warnings warnings={r.warnings} />
        </>
      );
    case 'invited':
      return (
        <>
          The confirmation email alone is on its way. {person}
          <Warnings warnings={r.warnings} />
        </>
      );
    case 'exists':
      return (
        <>
          Already here ({r.status}): left as it is, not mailed. {person}
        </>
      );
    case 'suppressed':
      return <>On the suppression list: not added, never mailed.</>;
    case 'erased':
      return <>Erased at their request: not added, never mailed.</>;
    case 'duplicate':
      return (
        <>
          Same address as row {r.of}. {r.note ?? ''}
        </>
      );
    case 'invalid':
      return <>{r.reason}</>;
  }
}

export function ImportReportView({ report }: { report: ImportReport }) {
  return (
    <section id="import-result" aria-labelledby="import-result-h" tabindex={-1}>
      <h2 id="import-result-h">Import report: {n(report.summary.rows)} rows</h2>
      <ul class="totals">
        {IMPORT_OUTCOMES.map((o) => (
          <li>
            <span class="n">{n(report.summary[o])}</span>
            <span class="l">{OUTCOME_LABELS[o]}</span>
          </li>
        ))}
        <li>
          <span class="n">{n(report.summary.warnings)}</span>
          <span class="l">with a warning</span>
        </li>
      </ul>
      {report.notes.map((note) => (
        <p class="notice">{note}</p>
      ))}
      <p>
        The rows to fix are kept: <a href={`/staff/imports/${report.id}`}>import #{report.id}</a>, listed below the form.
      </p>
      <div class="scroll" role="region" aria-labelledby="import-rows-caption" tabindex={0}>
        <table>
          <caption id="import-rows-caption">Every row of the file (row = its line; the header is line 1)</caption>
          <thead>
            <tr>
              <th scope="col">Row</th>
              <th scope="col">Email as given</th>
              <th scope="col">Outcome</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.map((r) => (
              <tr>
                <td class="num">{r.row}</td>
                <td>{r.email}</td>
                <td>{r.outcome}</td>
                <td>{rowDetail(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * With script, the page sends the file itself to /api/imports as a text/csv
 * body (streamed, nothing held whole) and shows NDJSON progress in a
 * <progress>, then the report. Without script the form posts and the answer
 * is the report page. The report is built with textContent only: cells come
 * from the uploaded file.
 */
const IMPORT_SCRIPT = `(() => {
  const form = document.getElementById('import-form');
  if (!form || !window.fetch || !window.TextDecoder || !window.ReadableStream) return;
  const labels = ${JSON.stringify(OUTCOME_LABELS)};
  const outcomes = ${JSON.stringify(IMPORT_OUTCOMES)};
  const input = form.querySelector('input[type=file]');
  const button = form.querySelector('button');
  const box = document.getElementById('import-progress-box');
  const progress = document.getElementById('import-progress');
  const count = document.getElementById('import-count');
  const live = document.getElementById('import-live');
  const out = document.getElementById('import-output');
  const fmt = (v) => v.toLocaleString('en-US');
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  };
  const person = (r) => ['subscriberId' in r ? el('a', { href: '/staff/subscribers/' + r.subscriberId }, '#' + r.subscriberId) : ''];
  const warnings = (r) => r.warnings && r.warnings.length ? [el('ul', { class: 'warnings' }, ...r.warnings.map((w) => el('li', {}, 'Warning: ' + w)))] : [];
  const detail = (r) => {
    switch (r.outcome) {
      case 'enrolled': return ['Confirmed with the recorded consent; email 1 goes in their next send window. ', ...person(r), ...warnings(r)];
      case 'invited': return ['The confirmation email alone is on its way. ', ...person(r), ...warnings(r)];
      case 'exists': return ['Already here (' + r.status + '): left as it is, not mailed. ', ...person(r)];
      case 'suppressed': return ['On the suppression list: not added, never mailed.'];
      case 'erased': return ['Erased at their request: not added, never mailed.'];
      case 'duplicate': return ['Same address as row ' + r.of + '. ' + (r.note || '')];
      default: return [r.reason];
    }
  };
  const show = (report) => {
    const s = report.summary;
    const section = el('section', { id: 'import-result', 'aria-labelledby': 'import-result-h', tabindex: '-1' },
      el('h2', { id: 'import-result-h' }, 'Import report: ' + fmt(s.rows) + ' rows'),
      el('ul', { class: 'totals' }, ...outcomes.map((o) => el('li', {}, el('span', { class: 'n' }, fmt(s[o])), el('span', { class: 'l' }, labels[o]))), el('li', {}, el('span', { class: 'n' }, fmt(s.warnings)), el('span', { class: 'l' }, 'with a warning'))),
      ...report.notes.map((note) => el('p', { class: 'notice' }, note)),
      el('p', {}, 'The rows to fix are kept: ', el('a', { href: '/staff/imports/' + report.id }, 'import #' + report.id), ', listed below the form.'),
      el('div', { class: 'scroll', role: 'region', 'aria-labelledby': 'import-rows-caption', tabindex: '0' },
        el('table', {},
          el('caption', { id: 'import-rows-caption' }, 'Every row of the file (row = its line; the header is line 1)'),
          el('thead', {}, el('tr', {}, ...['Row', 'Email as given', 'Outcome', 'Detail'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, ...report.rows.map((r) => el('tr', {}, el('td', { class: 'num' }, String(r.row)), el('td', {}, r.email), el('td', {}, r.outcome), el('td', {}, ...detail(r))))))));
    out.replaceChildren(section);
    section.focus();
  };
  const fail = (message) => {
    out.replaceChildren(el('p', { class: 'notice error', role: 'alert' }, message));
    live.textContent = '';
  };
  form.addEventListener('submit', async (event) => {
    const file = input.files && input.files[0];
    if (!file) return;
    event.preventDefault();
    button.disabled = true;
    out.replaceChildren();
    box.hidden = false;
    progress.removeAttribute('value');
    count.textContent = '';
    live.textContent = 'Sending and checking ' + file.name + '…';
    try {
      const res = await fetch('/api/imports', { method: 'POST', body: file, credentials: 'same-origin', headers: { 'content-type': 'text/csv', accept: 'application/x-ndjson' } });
      if (!res.ok) {
        const body = await res.json().catch(() => null);
        throw new Error(body && body.error ? body.error.message : 'The import failed (' + res.status + ').');
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      let report = null;
      let announced = false;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let at;
        while ((at = buffered.indexOf('\\n')) >= 0) {
          const line = buffered.slice(0, at);
          buffered = buffered.slice(at + 1);
          if (!line) continue;
          const message = JSON.parse(line);
          if (message.type === 'progress') {
            progress.max = Math.max(1, message.total);
            progress.value = message.done;
            count.textContent = fmt(message.done) + ' of ' + fmt(message.total) + ' rows done';
            if (!announced) live.textContent = 'The file is fine; writing ' + fmt(message.total) + ' rows…';
            announced = true;
          } else if (message.type === 'report') report = message.report;
          else if (message.type === 'error') throw new Error(message.error.message);
        }
      }
      if (!report) throw new Error('The import stopped before it finished. The audit log has what was written; uploading the file again finishes it.');
      box.hidden = true;
      const s = report.summary;
      live.textContent = 'Import finished: ' + outcomes.map((o) => fmt(s[o]) + ' ' + labels[o]).join(', ') + '.';
      show(report);
    } catch (err) {
      box.hidden = true;
      fail(err instanceof Error ? err.message : String(err));
    } finally {
      button.disabled = false;
    }
  });
})();`;

/** The kept reports: when, who, the counts, and the way to their rows to fix. */
function KeptReports({ reports, zone }: { reports: KeptReport[]; zone: string }) {
  return (
    <section aria-labelledby="kept-h">
      <h2 id="kept-h">Kept reports</h2>
      <p>
        Each import's report is kept with its rows to fix (refused, or imported with a warning) for 30 days, then deleted; erasing a person deletes the rows that name them. Times
        are in {zone}.
      </p>
      {reports.length === 0 ? (
        <p>No kept reports.</p>
      ) : (
        <div class="scroll" role="region" aria-labelledby="kept-caption" tabindex={0}>
          <table>
            <caption id="kept-caption">Imports, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Import</th>
                <th scope="col">When ({zone})</th>
                <th scope="col">By</th>
                <th scope="col">Rows</th>
                <th scope="col">Outcomes</th>
                <th scope="col">Rows to fix</th>
                <th scope="col">Kept until ({zone})</th>
              </tr>
            </thead>
            <tbody>
              {reports.map((r) => (
                <tr>
                  <td>
                    <a href={`/staff/imports/${r.id}`}>#{r.id}</a>
                  </td>
                  <td>{formatTime(r.createdAt, zone)}</td>
                  <td>{r.actor}</td>
                  <td class="num">{n(r.summary.rows)}</td>
                  <td>{outcomeWords(r.summary)}</td>
                  <td>
                    {r.rowsToFix === 0 ? (
                      'none'
                    ) : (
                      <a href={`/staff/imports/${r.id}/rows.csv`} download>
                        {n(r.rowsToFix)} (CSV)
                      </a>
                    )}
                  </td>
                  <td>{formatTime(r.expiresAt, zone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** "3 enrolled, 1 invalid, 2 with a warning": the outcomes that happened. */
function outcomeWords(summary: ImportReport['summary']): string {
  const parts = IMPORT_OUTCOMES.filter((o) => (summary[o] ?? 0) > 0).map((o) => `${n(summary[o])} ${OUTCOME_LABELS[o]}`);
  if (summary.warnings) parts.push(`${n(summary.warnings)} with a warning`);
  return parts.join(', ') || 'nothing';
}

/** One kept report: its counts and notes, and the rows to fix with why. */
function keptReportPage(c: Context, deps: AppDeps, report: KeptReport, rows: RowToFix[]): Response {
  return page(
    c,
    deps,
    { title: `Import #${report.id}`, active: 'imports' },
    <>
      <h1>Import #{report.id}</h1>
      <p>
        By {report.actor} on {formatTime(report.createdAt, viewerZone(c, deps))} ({viewerZone(c, deps)}): {n(report.summary.rows)} rows, {outcomeWords(report.summary)}. Kept until{' '}
        {formatTime(report.expiresAt, viewerZone(c, deps))} ({viewerZone(c, deps)}).
      </p>
      {report.notes.map((note) => (
        <p class="notice">{note}</p>
      ))}
      {rows.length === 0 ? (
        <p>No rows to fix{report.rowsToFix === 0 ? '.' : ' are left.'}</p>
      ) : (
        <>
          <p>
            <a href={`/staff/imports/${report.id}/rows.csv`} download>
              Download the {n(rows.length)} rows to fix (CSV)
            </a>
            : each with its problem and its cells as given. Correct a refused row and upload the file again (the import ignores the row, outcome, problem and subscriber_id columns);
            a row imported with a warning is already here, so correct it on the person's page.
          </p>
          <div class="scroll" role="region" aria-labelledby="fix-caption" tabindex={0}>
            <table>
              <caption id="fix-caption">Rows to fix (row = the line in the file; the header is line 1)</caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Email as given</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">What to fix</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr>
                    <td class="num">{r.row}</td>
                    <td>{r.email}</td>
                    <td>
                      {r.outcome}
                      {r.subscriberId !== null ? (
                        <>
                          {' '}
                          <a href={`/staff/subscribers/${r.subscriberId}`}>#{r.subscriberId}</a>
                        </>
                      ) : null}
                    </td>
                    <td>{r.problems.join(' ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <p>
        <a href="/staff/imports">All imports</a>
      </p>
    </>,
  );
}

function importPage(c: Context, deps: AppDeps, report: ImportReport | null, problem: string | null, kept: KeptReport[], status: ContentfulStatusCode = 200): Response {
  const mb = MAX_IMPORT_BYTES / 1024 / 1024;
  // Its script and its calls to our API are what the staffImport policy allows.
  usePageKind(c, 'staffImport');
  return page(
    c,
    deps,
    { title: 'Import subscribers', active: 'imports', status },
    <>
      <h1>Import subscribers</h1>
      <p>
        Add people who gave their address elsewhere (a clinic form, an earlier list) from a CSV file saved as UTF-8, up to {mb} MB and {n(MAX_IMPORT_ROWS)} rows. The first line names the columns;
        their case does not matter and other columns are ignored.
      </p>
      <div class="scroll" role="region" aria-labelledby="import-columns-caption" tabindex={0}>
        <table>
          <caption id="import-columns-caption">Columns</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Holds</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>
                <code>email</code> (required)
              </td>
              <td>The address. A repeated address is imported once, from its first row.</td>
            </tr>
            <tr>
              <td>
                <code>first_name</code>
              </td>
              <td>Used in the greeting.</td>
            </tr>
            <tr>
              <td>
                <code>timezone</code>
              </td>
              <td>
                An IANA zone such as Europe/Berlin; empty: {deps.config.defaultTimezone}. Emails go in the person's morning. An abbreviation or fixed offset (EST, UTC+2) or an unknown zone
                is flagged with a warning and {deps.config.defaultTimezone} is used.
              </td>
            </tr>
            <tr>
              <td>
                <code>reader</code>
              </td>
              <td>self, supporter or professional; empty reads the self version. Anything else is flagged with a warning and left empty.</td>
            </tr>
            <tr>
              <td>
                <code>consent_source</code>, <code>consent_date</code>, <code>consent_text</code>
              </td>
              <td>
                A consent recorded elsewhere: where it was given, when (2025-11-20, or a date-time with its offset), and the exact wording agreed to. With all three the person is enrolled and email 1
                goes in their next send window; without them they get only the double opt-in email and join once they confirm. A consent with a column empty, or a date that
                is not ISO (11/25/2025), is flagged with a warning and not recorded: the person is invited instead.
              </td>
            </tr>
          </tbody>
        </table>
      </div>
      <p>Nobody already here is changed or mailed again (an unsubscribe stands), and suppressed or erased addresses are never added or mailed.</p>
      <form id="import-form" class="card" method="post" action="/staff/imports" enctype="multipart/form-data">
        <CsrfInput token={newCsrfToken(deps)} />
        <p>
          <label for="import-file">CSV file</label>
          <input id="import-file" type="file" name="file" accept=".csv,text/csv" required />
        </p>
        <button type="submit">Import</button>
      </form>
      <div id="import-progress-box" hidden>
        <label for="import-progress">Import progress</label>
        <progress id="import-progress"></progress> <span id="import-count"></span>
      </div>
      <p id="import-live" role="status" aria-live="polite"></p>
      <div id="import-output">
        {problem ? (
          <p class="notice error" role="alert">
            {problem}
          </p>
        ) : null}
        {report ? <ImportReportView report={report} /> : null}
      </div>
      <KeptReports reports={kept} zone={viewerZone(c, deps)} />
      <script nonce={cspNonce(c)} dangerouslySetInnerHTML={{ __html: IMPORT_SCRIPT }} />
    </>,
  );
}

/**
 * GET /staff/imports (admin): the upload form and the kept reports; POST: the
 * same import as the API, answered with the report page. GET /:id: a kept
 * report's rows to fix; GET /:id/rows.csv: them as CSV (audited).
 */
export function importRoutes(deps: AppDeps) {
  const app = new Hono();
  app.get('/', pageRole(deps, 'admin'), async (c) => importPage(c, deps, null, null, await keptImportReports(deps)));
  app.post('/', pageRole(deps, 'admin'), async (c) => {
    const upload = await importUpload(c);
    if (!upload.ok) return importPage(c, deps, null, upload.message, await keptImportReports(deps), upload.status);
    const checked = await readImportCsv(upload.source, { defaultTimezone: deps.config.defaultTimezone, now: deps.clock.now() });
    if (!checked.ok) return importPage(c, deps, null, `Nothing was imported. ${checked.message}`, await keptImportReports(deps), checked.status);
    const report = await runImport(deps, checked.file, staffOf(c).name);
    return importPage(c, deps, report, null, await keptImportReports(deps));
  });
  const gone = (c: Context) => errorPage(c, deps, 404, 'No such import report', 'This import report does not exist or has expired (reports are kept for 30 days).');
  app.get('/:id/rows.csv', pageRole(deps, 'admin'), async (c) => {
    const id = parseId(c.req.param('id'));
    const download = id === null ? null : await downloadRowsToFix(deps, id, staffOf(c).name);
    if (!download) return gone(c);
    return c.body(download.csv, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${download.filename}"`,
      'Cache-Control': 'no-store',
    });
  });
  app.get('/:id', pageRole(deps, 'admin'), async (c) => {
    const id = parseId(c.req.param('id'));
    const kept = id === null ? null : await keptImportReport(deps, id);
    if (!kept) return gone(c);
    return keptReportPage(c, deps, kept.report, kept.rows);
  });
  return app;
}
