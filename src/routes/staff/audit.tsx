/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { auditLog, describeAction } from '../../audit.js';
import { pageRole } from './auth.js';
import { formatTime } from './layout.js';
import { parseAuditQuery } from './params.js';
import { errorPage, page } from './view.js';

const href = (pageNo: number, subscriberId?: number) => {
  const p = new URLSearchParams();
  if (subscriberId) p.set('subscriber', String(subscriberId));
  if (pageNo > 1) p.set('page', String(pageNo));
  const s = p.toString();
  return `/staff/audit${s ? `?${s}` : ''}`;
};

/** GET /staff/audit (admin): who did what to which subscriber, newest first. */
export function auditRoutes(deps: AppDeps) {
  return new Hono().get('/', pageRole(deps, 'admin'), async (c) => {
    const query = parseAuditQuery(c);
    if ('error' in query) return errorPage(c, deps, 400, 'Bad audit query', query.error);
    const log = await auditLog(deps.stores, query);
    return page(
      c,
      deps,
      { title: 'Audit log', active: 'audit' },
      <>
        <h1>Audit log</h1>
        <p class="muted">
          Every staff action, export and erasure, newest first{query.subscriberId ? `, for subscriber #${query.subscriberId}` : ''}. Also at <a href="/api/audit">/api/audit</a>.
        </p>
        <div class="scroll" role="region" aria-labelledby="audit-caption" tabindex={0}>
          <table>
            <caption id="audit-caption">
              {log.total} {log.total === 1 ? 'entry' : 'entries'}
            </caption>
            <thead>
              <tr>
                <th scope="col">When (UTC)</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Subscriber</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {log.items.map((e) => (
                <tr>
                  <td>{formatTime(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{describeAction(e.action)}</td>
                  <td>{e.subscriberId === null ? '—' : <a href={`/staff/subscribers/${e.subscriberId}`}>#{e.subscriberId}</a>}</td>
                  <td>{e.detail === null ? '' : <code>{JSON.stringify(e.detail)}</code>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <nav class="pager" aria-label="Pages">
          {log.page > 1 ? <a href={href(log.page - 1, query.subscriberId)}>← Newer</a> : null}
          <span>
            Page {log.page} of {log.pageCount}
          </span>
          {log.page < log.pageCount ? <a href={href(log.page + 1, query.subscriberId)}>Older →</a> : null}
        </nav>
      </>,
    );
  });
}
