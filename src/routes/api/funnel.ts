import { Hono } from 'hono';
import type { AppDeps } from '../../app.js';
import { FUNNEL_STAGES, funnelByDay } from '../../subscribers/funnel.js';

export function funnelApi(deps: AppDeps) {
  return new Hono().get('/', (c) => {
    const f = funnelByDay(deps.db, { now: deps.clock.now(), timeZone: deps.config.defaultTimezone });
    return c.json({
      timeZone: f.timeZone,
      stages: FUNNEL_STAGES,
      days: f.days.map((d) => ({ date: d.date, ...d.counts })),
      totals: f.totals,
      allTime: f.allTime,
    });
  });
}
