import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { FUNNEL_STAGES, funnelByDay } from '../../subscribers/funnel.js';

export function funnelApi(deps: AppDeps) {
  return new Hono().get('/', async (c) => {
    const f = await funnelByDay(deps.stores, { now: deps.clock.now(), timeZone: deps.config.defaultTimezone });
    return c.json({
      timeZone: f.timeZone,
      stages: FUNNEL_STAGES,
      days: f.days.map((d) => ({ date: d.date, ...d.counts })),
      totals: f.totals,
      allTime: f.allTime,
      // Sequence emails over all time: delivered, opened and clicked are null when not tracked.
      engagement: await engagementSummary(deps.stores, deps.config),
    });
  });
}
