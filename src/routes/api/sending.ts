import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { resumeSending } from '../../staff/health.js';
import { errorBody } from '../errors.js';
import { staffOf } from '../staff/auth.js';
import { apiRoute, apiRouter, error, json } from './openapi.js';

const iso = (ms: number) => new Date(ms).toISOString();

const resume = apiRoute({
  method: 'post',
  path: '/resume',
  role: 'admin',
  summary: 'Resume sequence emails after the complaint guard paused them',
  description: 'From then on only complaints reported after the resume count toward a new pause.',
  responses: {
    200: json(
      z.object({
        status: z.literal('resumed'),
        resumedAt: z.iso.datetime(),
        pause: z.object({ since: z.iso.datetime(), rate: z.number(), complained: z.int(), delivered: z.int(), threshold: z.number() }).meta({ description: 'The pause that was lifted, with its figures.' }),
      }),
      'Resumed.',
    ),
    409: error('Sequence emails are not paused (not_paused).'),
  },
});

/** Resuming sequence emails after the complaint guard paused them (admin). */
export function sendingApi(deps: AppDeps) {
  return apiRouter().openapi(resume, async (c) => {
    const resumed = await resumeSending(deps, staffOf(c).name);
    if (!resumed) return c.json(errorBody('not_paused', 'Sequence emails are not paused.'), 409);
    const { pause } = resumed;
    return c.json(
      {
        status: 'resumed' as const,
        resumedAt: iso(resumed.resumedAt),
        pause: { since: iso(pause.since), rate: pause.rate, complained: pause.complained, delivered: pause.delivered, threshold: pause.threshold },
      },
      200,
    );
  });
}
