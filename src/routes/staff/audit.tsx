/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { AUDIT_ACTION_NAMES, AUDIT_ACTIONS, auditActors, auditLog, describeAction, EMPTY_AUDIT_PAGE, LOGIN_ACTIONS, type AuditKind } from '../../audit.js';
import { catalogsWith } from '../../nurture/sequence.js';
import { auditDetailWords, type WordingContext } from '../../staff/history.js';
import { pageRole } from './auth.js';
import { formatTime, zonesWith } from './layout.js';
import { parseAuditQuery, withPersonFound, type AuditQueryParams } from './params.js';
import { errorPage, page, viewerZone } from './view.js';

type Tab = AuditKind;

const TABS: { tab: Tab; label: string }[] = [
  { tab: 'actions', label: 'Staff actions' },
  { tab: 'logins', label: 'Logins' },
];

/** The page's address with these filters (a tab's own default left out). */
function href(q: AuditQueryParams, tab: Tab, pageNo: number, zoneDefault: string): string {
  const p = new URLSearchParams();
  if (tab !== 'actions') p.set('kind', tab);
  if (q.subscriberId || q.address) p.set('subscriber', q.address ?? String(q.subscriberId));
  if (q.action) p.set('action', q.action);
  if (q.actor) p.set('staff', q.actor);
  if (q.fromDay) p.set('from', q.fromDay);
  if (q.toDay) p.set('to', q.toDay);
  if (q.zone !== zoneDefault) p.set('tz', q.zone);
  if (pageNo > 1) p.set('page', String(pageNo));
  const s = p.toString();
  return `/staff/audit${s ? `?${s}` : ''}`;
}

/** The filters in force, in words, for the caption. */
function filterWords(q: AuditQueryParams): string {
  const parts = [
    q.address ? `about ${q.address}` : q.subscriberId ? `about subscriber #${q.subscriberId}` : null,
    q.action ? `“${AUDIT_ACTIONS[q.action]}”` : null,
    q.actor ? `by ${q.actor}` : null,
    q.fromDay && q.toDay ? `from ${q.fromDay} to ${q.toDay}` : q.fromDay ? `from ${q.fromDay}` : q.toDay ? `up to ${q.toDay}` : null,
  ].filter(Boolean);
  return parts.length ? `, ${parts.join(', ')}${q.fromDay || q.toDay ? ` (${q.zone})` : ''}` : '';
}


/** GET /staff/audit (admin): who did what to which subscriber, newest first; logins on their own tab. */
export function auditRoutes(deps: AppDeps) {
  return new Hono().get('/', pageRole(deps, 'admin'), async (c) => {
    const zoneDefault = viewerZone(c, deps);
    const query = parseAuditQuery(c, zoneDefault);
    if ('error' in query) return errorPage(c, deps, 400, 'Bad audit query', `${query.error}. Dates are YYYY-MM-DD, the first not after the last.`);
    const tab: Tab = query.kind ?? 'actions';
    const found = await withPersonFound(deps.stores, query);
    const log = found === null ? EMPTY_AUDIT_PAGE : await auditLog(deps.stores, { ...found, kind: tab });
    const actors = await auditActors(deps.stores);
    const actions = AUDIT_ACTION_NAMES.filter((a) => LOGIN_ACTIONS.includes(a) === (tab === 'logins'));
    const ctx: WordingContext = { catalogs: catalogsWith(deps.sequences), time: (ms) => `${formatTime(ms, query.zone)} (${query.zone})`, showAddresses: true };
    return page(
      c,
      deps,
      { title: 'Audit log', active: 'audit' },
      <>
        <h1>Audit log</h1>
        <p class="muted">
          Every staff action, export and erasure, newest first; logins and logouts on their own tab. Also at <a href="/api/audit">/api/audit</a>.
        </p>
        <nav class="tabs" aria-label="Audit log tabs">
          {TABS.map((t) => (
            <a href={href({ page: 1, zone: query.zone }, t.tab, 1, zoneDefault)} aria-current={t.tab === tab ? 'page' : undefined}>
              {t.label}
            </a>
          ))}
        </nav>
        <form class="search" method="get" action="/staff/audit" role="search" aria-label="Filter the audit log">
          {tab !== 'actions' ? <input type="hidden" name="kind" value={tab} /> : null}
          <div>
            <label for="audit-subscriber">Subscriber (id or address)</label>
            <input id="audit-subscriber" name="subscriber" type="text" maxlength={254} value={query.address ?? (query.subscriberId ? String(query.subscriberId) : '')} autocomplete="off" />
          </div>
          <div>
            <label for="audit-action">Action</label>
            <select id="audit-action" name="action">
              <option value="">Any</option>
              {actions.map((a) => (
                <option value={a} selected={a === query.action}>
                  {AUDIT_ACTIONS[a]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="audit-staff">Staff member</label>
            <select id="audit-staff" name="staff">
              <option value="">Anyone</option>
              {(query.actor && !actors.includes(query.actor) ? [query.actor, ...actors] : actors).map((a) => (
                <option value={a} selected={a === query.actor}>
                  {a}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="audit-from">From (day, {query.zone})</label>
            <input id="audit-from" name="from" type="date" value={query.fromDay ?? ''} />
          </div>
          <div>
            <label for="audit-to">To (day included, {query.zone})</label>
            <input id="audit-to" name="to" type="date" value={query.toDay ?? ''} />
          </div>
          <div>
            <label for="audit-tz">Dates and times in</label>
            <select id="audit-tz" name="tz">
              {zonesWith(query.zone).map((z) => (
                <option value={z} selected={z === query.zone}>
                  {z}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Filter</button>
          <a href={href({ page: 1, zone: zoneDefault }, tab, 1, zoneDefault)}>Clear</a>
        </form>
        {found === null ? (
          <p class="notice" role="status">
            No subscriber has the address {query.address} (an erased person's address is gone: filter by their id instead).
          </p>
        ) : null}
        <div class="scroll" role="region" aria-labelledby="audit-caption" tabindex={0}>
          <table>
            <caption id="audit-caption">
              {log.total} {log.total === 1 ? 'entry' : 'entries'}
              {filterWords(query)}
            </caption>
            <thead>
              <tr>
                <th scope="col">When ({query.zone})</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Subscriber</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {log.items.map((e) => (
                <tr>
                  <td>{formatTime(e.at, query.zone)}</td>
                  <td>{e.actor}</td>
                  <td>{describeAction(e.action)}</td>
                  <td>{e.subscriberId === null ? '—' : <a href={`/staff/subscribers/${e.subscriberId}`}>#{e.subscriberId}</a>}</td>
                  <td>{auditDetailWords(e, ctx)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <nav class="pager" aria-label="Pages">
          {log.page > 1 ? <a href={href(query, tab, log.page - 1, zoneDefault)}>← Newer</a> : null}
          <span>
            Page {log.page} of {log.pageCount}
          </span>
          {log.page < log.pageCount ? <a href={href(query, tab, log.page + 1, zoneDefault)}>Older →</a> : null}
        </nav>
      </>,
    );
  });
}
