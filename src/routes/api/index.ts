import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps } from '../../deps.js';
import { errorBody } from '../errors.js';
import { staffApiAuth } from '../staff/auth.js';
import { apiOriginCheck } from '../staff/security.js';
import { auditApi } from './audit.js';
import { batchesApi } from './batches.js';
import { conversionRoutes } from './conversions.js';
import { funnelApi } from './funnel.js';
import { healthApi } from './health.js';
import { sendingApi } from './sending.js';
import { importsApi } from './imports.js';
import { sequenceApi } from './sequence.js';
import { subscribersApi } from './subscribers.js';
import { templatesApi } from './templates.js';

/**
 * The staff JSON API: an account's basic auth or a session cookie, and each
 * route states the role it needs (apiRole). Cross-site unsafe requests are
 * refused, since a browser would attach the staff login to them.
 */
export function staffApiRoutes(deps: AppDeps) {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('X-Robots-Tag', 'noindex');
  });
  app.use('*', staffApiAuth(deps));
  app.use('*', apiOriginCheck(deps.config, (c, reason) => c.json(errorBody('forbidden', reason), 403)));
  app.route('/audit', auditApi(deps));
  app.route('/batches', batchesApi(deps));
  app.route('/', conversionRoutes(deps));
  app.route('/funnel', funnelApi(deps));
  app.route('/health', healthApi(deps));
  app.route('/sending', sendingApi(deps));
  app.route('/imports', importsApi(deps));
  app.route('/sequence', sequenceApi(deps));
  app.route('/subscribers', subscribersApi(deps));
  app.route('/templates', templatesApi(deps));
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) return c.json(errorBody('bad_request', err.message || 'Bad request.'), err.status);
    deps.logger.error({ err, path: c.req.path }, 'staff api failed');
    return c.json(errorBody('internal', 'Something went wrong on our side.'), 500);
  });
  return app;
}
