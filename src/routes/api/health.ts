import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { HEALTH_CHECKS, healthReport } from '../../staff/health.js';
import { apiRoute, apiRouter, json } from './openapi.js';

const Status = z.enum(['ok', 'warn', 'fail']);

const Health = z
  .object({
    status: Status.meta({ description: 'The worst status of the checks.' }),
    checkedAt: z.iso.datetime(),
    checks: z.array(
      z.object({
        id: z.enum(Object.keys(HEALTH_CHECKS) as [keyof typeof HEALTH_CHECKS, ...(keyof typeof HEALTH_CHECKS)[]]),
        label: z.string(),
        status: Status,
        message: z.string().meta({ description: 'What was found, as the dashboard says it.' }),
        action: z.string().nullable().meta({ description: 'What to do about it; null when nothing.' }),
        detail: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  })
  .meta({ id: 'Health' });

const getHealth = apiRoute({
  method: 'get',
  path: '/',
  role: 'viewer',
  summary: 'The checks that matter before real mail',
  description: 'Postal address, webhook secret, last tick, sending paused or not and why, complaint rate, and SPF, DKIM and DMARC of the MAIL_FROM domain.',
  responses: { 200: json(Health, 'Each check: ok, warn or fail, with what to do.') },
});

/** The checks that matter before real mail (any staff role). */
export function healthApi(deps: AppDeps) {
  return apiRouter().openapi(getHealth, async (c) => {
    const report = await healthReport(deps);
    return c.json(
      {
        status: report.status,
        checkedAt: new Date(report.checkedAt).toISOString(),
        checks: report.checks.map(({ id, label, status, message, action, detail }) => ({ id, label, status, message, action, ...(detail ? { detail } : {}) })),
      },
      200,
    );
  });
}
