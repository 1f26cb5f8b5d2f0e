import { Hono } from 'hono';
import { html } from 'hono/html';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { confirmRoutes } from './confirm.js';
import { errorBody } from './errors.js';
import { messagePage } from './layout.js';
import { contentLengthLimit, MAX_BODY_BYTES, payloadTooLarge } from './request-body.js';
import { clientIp, wantsHtml } from './request-info.js';
import { clientKey, createRateLimiter, DEFAULT_SUBSCRIBE_RATE_LIMIT, type RateLimit } from './rate-limit.js';
import { signupRoutes } from './signup.js';
import { unsubscribeRoutes } from './unsubscribe.js';

// Every public path, listed: middleware on '*' in a sub-app mounted at '/'
// would also run for /staff, /api and the webhook.
const PAGE_PATHS = ['/', '/subscribe', '/confirm/*', '/u/*'];
const POST_PATHS = ['/subscribe', '/confirm/*', '/u/*'];

export type PublicOptions = { subscribeRateLimit?: RateLimit };

/** The path a subscriber walks: signup, confirmation and unsubscribe, with their protection. */
export function publicRoutes(deps: SubscriberDeps & PublicOptions) {
  const app = new Hono();
  const limiter = createRateLimiter(deps.subscribeRateLimit ?? DEFAULT_SUBSCRIBE_RATE_LIMIT, deps.clock);

  // A strict CSP: nothing loads from anywhere; the page's own style and the
  // time-zone script run only through a per-response nonce.
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: [NONCE],
      scriptSrc: [NONCE],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: 'no-referrer', // links carry tokens
  });
  for (const path of PAGE_PATHS) app.use(path, headers);

  const limitBody = contentLengthLimit(MAX_BODY_BYTES, payloadTooLarge);
  for (const path of POST_PATHS) app.post(path, limitBody);

  app.post('/subscribe', async (c, next) => {
    const waitMs = limiter.hit(clientKey(clientIp(c)));
    if (waitMs === 0) return next();
    const seconds = Math.ceil(waitMs / 1000);
    c.header('Retry-After', String(seconds));
    if (wantsHtml(c)) return messagePage(c, 429, 'Too many signups at once', [html`Please wait ${seconds} seconds and try again.`], false);
    return c.json(errorBody('rate_limited', `Too many signups from this address. Try again in ${seconds} seconds.`), 429);
  });

  app.route('/', signupRoutes(deps));
  app.route('/', confirmRoutes(deps));
  app.route('/', unsubscribeRoutes(deps));
  return app;
}
