import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { resumeSending } from '../../staff/health.js';
import { errorBody } from '../errors.js';
import { apiRole, staffOf } from '../staff/auth.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Resuming sequence emails after the complaint guard paused them (admin). */
export function sendingApi(deps: AppDeps) {
  return new Hono().post('/resume', apiRole('admin'), async (c) => {
    const resumed = await resumeSending(deps, staffOf(c).name);
    if (!resumed) return c.json(errorBody('not_paused', 'Sequence emails are not paused.'), 409);
    const { pause } = resumed;
    return c.json({
      status: 'resumed',
      resumedAt: iso(resumed.resumedAt),
      pause: { since: iso(pause.since), rate: pause.rate, complained: pause.complained, delivered: pause.delivered, threshold: pause.threshold },
    });
  });
}
