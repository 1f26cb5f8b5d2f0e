import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { SUBSCRIBER_STATUSES } from '../../../db/types.js';
import type { AppDeps } from '../../deps.js';
import { recordAudit } from '../../audit.js';
import { markConverted } from '../../subscribers/directory.js';
import { errorBody } from '../errors.js';
import { staffOf } from '../staff/auth.js';
import { idParams } from '../staff/params.js';
import { apiRoute, apiRouter, error, json } from './openapi.js';

/**
 * Browsers may replay cached basic-auth credentials on a cross-site request;
 * a state change is only taken from scripts (no Sec-Fetch-Site) or our own pages.
 */
const sameOriginOnly = createMiddleware(async (c, next) => {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') {
    return c.json(errorBody('cross_site_request', 'This API does not accept cross-site requests.'), 403);
  }
  await next();
});

const Converted = z.object({
  subscriber: z.object({ id: z.int(), status: z.enum(SUBSCRIBER_STATUSES), convertedAt: z.iso.datetime() }),
  changed: z.boolean().meta({ description: 'False when they were converted already.' }),
});

const markConvertedRoute = apiRoute({
  method: 'post',
  path: '/subscribers/{id}/converted',
  role: 'editor',
  summary: 'Mark a subscriber converted: they booked a consult; their sequence ends',
  request: { params: idParams('subscriber') },
  responses: {
    200: json(Converted, 'Converted (or already converted).'),
    404: error('No subscriber with this id (not_found).'),
    409: error('The subscriber was erased (erased), or has not confirmed yet (pending).'),
  },
});

/** POST /api/subscribers/:id/converted: the subscriber booked a consult; their sequence ends. */
export function conversionRoutes({ stores, clock, logger }: Pick<AppDeps, 'stores' | 'clock' | 'logger'>) {
  const app = apiRouter();
  app.use('/subscribers/:id/converted', sameOriginOnly);
  return app.openapi(markConvertedRoute, async (c) => {
    const { id: subscriberId } = c.req.valid('param');
    const result = await markConverted(stores, subscriberId, clock.now());
    if (!result.ok) {
      if (result.reason === 'not_found') return c.json(errorBody('not_found', 'No subscriber with this id.'), 404);
      return result.reason === 'pending'
        ? c.json(errorBody('pending', 'This subscriber has not confirmed yet; there is no sequence to end.'), 409)
        : c.json(errorBody('erased', 'This subscriber was erased; there is nothing to convert.'), 409);
    }
    if (result.changed) {
      logger.info({ subscriberId: result.subscriber.id, status: result.subscriber.status, staff: staffOf(c).name }, 'subscriber converted');
      await recordAudit({ stores, clock }, staffOf(c).name, 'subscriber.converted', result.subscriber.id);
    }
    const { id, status, convertedAt } = result.subscriber;
    return c.json({ subscriber: { id, status, convertedAt: new Date(convertedAt).toISOString() }, changed: result.changed }, 200);
  });
}
