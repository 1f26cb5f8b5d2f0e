import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppDeps } from '../../deps.js';
import { recordAudit } from '../../staff/audit.js';
import { markConverted } from '../../subscribers/directory.js';
import { errorBody } from '../errors.js';
import { apiRole, staffOf } from '../staff/auth.js';

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

/** POST /api/subscribers/:id/converted: the subscriber booked a consult; their sequence ends. */
export function conversionRoutes({ stores, clock, logger }: Pick<AppDeps, 'stores' | 'clock' | 'logger'>) {
  return new Hono().post('/subscribers/:id/converted', sameOriginOnly, apiRole('editor'), async (c) => {
    const raw = c.req.param('id');
    if (!/^[1-9]\d{0,15}$/.test(raw)) return c.json(errorBody('invalid_id', 'The subscriber id must be a positive whole number.'), 400);
    const result = await markConverted(stores, Number(raw), clock.now());
    if (!result.ok) {
      return result.reason === 'not_found'
        ? c.json(errorBody('not_found', 'No subscriber with this id.'), 404)
        : c.json(errorBody('erased', 'This subscriber was erased; there is nothing to convert.'), 409);
    }
    if (result.changed) {
      logger.info({ subscriberId: result.subscriber.id, status: result.subscriber.status, staff: staffOf(c).name }, 'subscriber converted');
      await recordAudit({ stores, clock }, staffOf(c).name, 'subscriber.converted', result.subscriber.id);
    }
    const { id, status, convertedAt } = result.subscriber;
    return c.json({ subscriber: { id, status, convertedAt: new Date(convertedAt).toISOString() }, changed: result.changed });
  });
}
