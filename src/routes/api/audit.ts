import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { auditLog } from '../../staff/audit.js';
import { errorBody } from '../errors.js';
import { apiRole } from '../staff/auth.js';
import { parseAuditQuery } from '../staff/params.js';

/** GET /api/audit?page=&subscriber= (admin): the audit log, newest first. */
export function auditApi(deps: AppDeps) {
  return new Hono().get('/', apiRole('admin'), async (c) => {
    const query = parseAuditQuery(c);
    if ('error' in query) return c.json(errorBody('bad_query', query.error), 400);
    const log = await auditLog(deps.stores, query);
    return c.json({
      page: log.page,
      pageSize: log.pageSize,
      pageCount: log.pageCount,
      total: log.total,
      items: log.items.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
    });
  });
}
