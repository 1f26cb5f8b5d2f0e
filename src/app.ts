import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps, AppEnv, SiteProfile } from './deps.js';
import { errorBody } from './routes/errors.js';
import { clientAddress, trustedProxyList } from './routes/request-info.js';
import { notFoundPage } from './routes/layout.js';
import { readerPage } from './routes/page-security.js';
import { prefersHtml } from './routes/request-info.js';
import { healthRoutes } from './routes/health.js';
import { webhookRoutes } from './routes/webhooks.js';
import { staffApiRoutes } from './routes/api/index.js';
import { staffRoutes } from './routes/staff/index.js';
import { publicRoutes } from './routes/public.js';
import { testLinkRoutes } from './routes/test-links.js';

export type { AppDeps, AppEnv } from './deps.js';

/** Builds the HTTP app. No side effects: nothing listens, nothing is scheduled. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', clientAddress(trustedProxyList(deps.config.trustedProxies)));
  const site: SiteProfile = {
    clinicName: deps.config.clinicName,
    ...(deps.config.clinicUrl ? { clinicUrl: deps.config.clinicUrl } : {}),
    defaultTimezone: deps.config.defaultTimezone,
  };
  app.use('*', async (c, next) => {
    c.set('site', site);
    await next();
  });
  app.route('/', healthRoutes(deps));
  app.route('/', webhookRoutes(deps));
  app.route('/', testLinkRoutes());
  app.route('/', publicRoutes(deps));

  // Staff pages (session login) and the staff API (session or basic auth); each checks its own.
  app.route('/staff', staffRoutes(deps));
  app.route('/', staffApiRoutes(deps)); // under /api: its base path, which its OpenAPI document names

  // A browser gets a page it can read and a way back; a script gets the one error shape.
  app.notFound((c) => {
    if (prefersHtml(c.req.header('accept'))) {
      return readerPage(c, () => notFoundPage(c));
    }
    return c.json(errorBody('not_found', 'No such route.'), 404);
  });

  // Bad input is a 4xx; anything else is logged and answered without details.
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'bad_request';
      const res = c.json(errorBody(code, err.message || 'Bad request.'), status);
      if (err.res) err.res.headers.forEach((v, k) => res.headers.set(k, v));
      return res;
    }
    deps.logger.error({ err, path: c.req.path, method: c.req.method }, 'unhandled error');
    return c.json(errorBody('internal', 'Something went wrong on our side. Please try again later.'), 500);
  });

  return app;
}
