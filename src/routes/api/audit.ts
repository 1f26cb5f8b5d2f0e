import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { AUDIT_ACTIONS, auditLog, EMPTY_AUDIT_PAGE } from '../../audit.js';
import { AuditListQuery, auditQueryOf, withPersonFound } from '../staff/params.js';
import { apiRoute, apiRouter, json } from './openapi.js';

const AuditPage = z
  .object({
    page: z.int(),
    pageSize: z.int(),
    pageCount: z.int(),
    total: z.int(),
    items: z.array(
      z.object({
        id: z.int(),
        at: z.iso.datetime(),
        actor: z.string().meta({ description: 'The staff account.' }),
        action: z.string().meta({ description: `What was done: ${Object.keys(AUDIT_ACTIONS).join(', ')}.` }),
        subscriberId: z.int().nullable(),
        detail: z.record(z.string(), z.unknown()).nullable().meta({ description: 'Templates, decisions and counts; never personal data.' }),
      }),
    ),
  })
  .meta({ id: 'AuditPage' });

const getAudit = apiRoute({
  method: 'get',
  path: '/',
  role: 'admin',
  summary: 'The audit log, newest first, 50 a page; by subscriber, kind (actions or logins), action, staff member and days in a time zone',
  request: { query: AuditListQuery },
  responses: { 200: json(AuditPage, 'Who did what to which subscriber, when.') },
});

export function auditApi(deps: AppDeps) {
  return apiRouter().openapi(getAudit, async (c) => {
    const query = await withPersonFound(deps.stores, auditQueryOf(c.req.valid('query'), deps.config.defaultTimezone));
    const log = query === null ? EMPTY_AUDIT_PAGE : await auditLog(deps.stores, query);
    return c.json(
      {
        page: log.page,
        pageSize: log.pageSize,
        pageCount: log.pageCount,
        total: log.total,
        items: log.items.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      },
      200,
    );
  });
}
