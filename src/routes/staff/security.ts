import crypto from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';

/**
 * CSRF protection for staff forms. Basic auth credentials are sent by the
 * browser on any request to this origin, including a form posted from another
 * site, so every unsafe request must prove it came from a staff page: the
 * Origin (or Sec-Fetch-Site) must be ours, and the form must carry a token
 * that only our pages print. The token is an HMAC of its issue time under
 * SECRET_KEY, so it needs no storage and survives restarts.
 */
const CSRF_MAX_AGE_MS = 12 * 60 * 60 * 1000;
export const CSRF_FIELD = '_csrf';

function csrfMac(secret: string, issuedAt: number): Buffer {
  return crypto.createHmac('sha256', secret).update(`staff-csrf:${issuedAt}`).digest();
}

export function csrfToken(secret: string, now: number): string {
  return `${now}.${csrfMac(secret, now).toString('base64url')}`;
}

export function verifyCsrfToken(secret: string, token: unknown, now: number): boolean {
  if (typeof token !== 'string' || token.length > 100) return false;
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return false;
  const issuedAt = Number(m[1]);
  if (issuedAt > now + 60_000 || now - issuedAt > CSRF_MAX_AGE_MS) return false;
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = csrfMac(secret, issuedAt);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** Origins a staff request may come from: the one it was addressed to and PUBLIC_URL's. */
function allowedOrigins(c: Context, publicUrl: string): string[] {
  return [new URL(c.req.url).origin, new URL(publicUrl).origin];
}

/**
 * True when nothing says the request came from another site. Browsers send
 * Origin on every cross-origin POST and Sec-Fetch-Site on every request, so a
 * request with neither is a script (curl), which basic auth alone covers.
 */
export function sameOriginRequest(c: Context, publicUrl: string): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined) return allowedOrigins(c, publicUrl).includes(origin);
  const site = c.req.header('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type CsrfFailure = (c: Context, reason: string) => Response | Promise<Response>;

/** Checks Origin and the form token on every unsafe staff request. */
export function staffCsrf(config: Pick<Config, 'secretKey' | 'publicUrl'>, clock: Clock, fail: CsrfFailure) {
  return createMiddleware(async (c, next) => {
    if (!UNSAFE.has(c.req.method)) return next();
    if (!sameOriginRequest(c, config.publicUrl)) return fail(c, 'This form was sent from another site.');
    const type = c.req.header('content-type') ?? '';
    if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) return fail(c, 'Expected a form submission.');
    let body: Record<string, unknown>;
    try {
      body = await c.req.parseBody();
    } catch {
      throw new HTTPException(400, { message: 'The form could not be read.' });
    }
    if (!verifyCsrfToken(config.secretKey, body[CSRF_FIELD], clock.now())) {
      return fail(c, 'The form has expired or did not come from a staff page. Reload the page and try again.');
    }
    return next();
  });
}

/** Origin check for the JSON API: basic auth is ambient, so a foreign page must not be able to post. */
export function apiOriginCheck(config: Pick<Config, 'publicUrl'>, fail: CsrfFailure) {
  return createMiddleware(async (c, next) => {
    if (UNSAFE.has(c.req.method) && !sameOriginRequest(c, config.publicUrl)) return fail(c, 'Cross-site requests are not allowed.');
    return next();
  });
}
