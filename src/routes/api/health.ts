import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { healthReport } from '../../staff/health.js';

/** The checks that matter before real mail (any staff role). */
export function healthApi(deps: AppDeps) {
  return new Hono().get('/', async (c) => {
    const report = await healthReport(deps);
    return c.json({
      status: report.status,
      checkedAt: new Date(report.checkedAt).toISOString(),
      checks: report.checks.map(({ id, label, status, message, action, detail }) => ({ id, label, status, message, action, ...(detail ? { detail } : {}) })),
    });
  });
}
