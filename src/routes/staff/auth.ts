import { createMiddleware } from 'hono/factory';
import { basicAuth } from 'hono/basic-auth';
import type { Config } from '../../config.js';

export const STAFF_USER = 'staff';

/**
 * HTTP basic auth for /staff and /api (user `staff`, STAFF_PASSWORD; hono
 * compares timing-safely), and no caching of anything behind it.
 */
export function staffAuth(config: Pick<Config, 'staffPassword'>) {
  const auth = basicAuth({
    username: STAFF_USER,
    password: config.staffPassword,
    realm: 'Nurture staff',
    invalidUserMessage: { error: { code: 'unauthorized', message: 'Staff login required.' } },
  });
  return createMiddleware(async (c, next) => {
    c.header('Cache-Control', 'no-store');
    c.header('X-Robots-Tag', 'noindex');
    return auth(c, next);
  });
}
