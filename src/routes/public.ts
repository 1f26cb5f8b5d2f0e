import { Hono } from 'hono';
import type { Transport } from '../mail/transport.js';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { confirmRoutes } from './confirm.js';
import { preferencesRoutes } from './preferences.js';
import { pageSecurity } from './page-security.js';
import { contentLengthLimit, MAX_BODY_BYTES, payloadTooLarge } from './request-body.js';
import { createRateLimiter, DEFAULT_SUBSCRIBE_RATE_LIMIT, type RateLimit } from '../rate-limit.js';
import { signupRoutes } from './signup.js';
import { unsubscribeRoutes } from './unsubscribe.js';

// Every public path, listed: middleware on '*' in a sub-app mounted at '/'
// would also run for /staff, /api and the webhook.
const PAGE_PATHS = ['/', '/subscribe', '/subscribe/sent', '/confirm/*', '/u/*', '/p/*'];
const POST_PATHS = ['/subscribe', '/confirm/*', '/u/*', '/p/*'];

export type PublicOptions = { subscribeRateLimit?: RateLimit };

/** The path a subscriber walks: signup, confirmation, preferences and unsubscribe, with their protection. */
export function publicRoutes(deps: SubscriberDeps & PublicOptions & { transport: Pick<Transport, 'name'> }) {
  const app = new Hono();
  const limiter = createRateLimiter(deps.subscribeRateLimit ?? DEFAULT_SUBSCRIBE_RATE_LIMIT, deps.clock, deps.stores.settings);

  const headers = pageSecurity('reader');
  for (const path of PAGE_PATHS) app.use(path, headers);

  const limitBody = contentLengthLimit(MAX_BODY_BYTES, payloadTooLarge);
  for (const path of POST_PATHS) app.post(path, limitBody);

  app.route('/', signupRoutes(deps, limiter));
  app.route('/', confirmRoutes(deps));
  app.route('/', unsubscribeRoutes(deps));
  app.route('/', preferencesRoutes(deps));
  return app;
}
