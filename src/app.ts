import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Db } from '../db/client.js';
import { createBackground, type Background } from './background.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Transport } from './mail/transport.js';
import { conversionRoutes } from './routes/api/conversions.js';
import { errorBody } from './routes/errors.js';
import { healthRoutes } from './routes/health.js';
import { webhookRoutes } from './routes/webhooks.js';
import { staffApiRoutes } from './routes/api/index.js';
import { staffAuth } from './routes/staff/auth.js';
import { staffRoutes } from './routes/staff/index.js';
import { publicRoutes } from './routes/public.js';
import type { RateLimit } from './routes/rate-limit.js';

/** Everything the app needs from outside; injected so tests control each part. */
export type AppDeps = {
  db: Db;
  config: Config;
  clock: Clock;
  transport: Transport;
  logger: Logger;
  /** Asks the worker to run a tick soon (e.g. so email 1 goes right after confirmation). */
  worker?: { kick(): void };
  /** Work a response does not wait for (confirmation emails); shutdown and tests await its idle(). */
  background?: Background;
  /** POST /subscribe per client address; default 10 a minute. */
  subscribeRateLimit?: RateLimit;
};

export type AppEnv = { Variables: { requestId: string } };

/** Builds the HTTP app. No side effects: nothing listens, nothing is scheduled. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.route('/', healthRoutes(deps));
  app.route('/', webhookRoutes(deps));
  app.route('/api', conversionRoutes(deps));
  app.route('/', publicRoutes({ ...deps, background: deps.background ?? createBackground(deps.logger) }));

  // Staff pages and the staff API: basic auth on every route under them.
  app.use('/staff/*', staffAuth(deps.config));
  app.use('/api/*', staffAuth(deps.config));
  app.route('/staff', staffRoutes(deps));
  app.route('/api', staffApiRoutes(deps));

  app.notFound((c) => c.json(errorBody('not_found', 'No such route.'), 404));

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
