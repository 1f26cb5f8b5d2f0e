import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { AppDeps } from '../../deps.js';
import { checkCredentials, MAX_PASSWORD_LENGTH, sessionActor } from '../../staff/sessions.js';
import { hasRole, type StaffActor, type StaffRole } from '../../staff/roles.js';
import { errorBody } from '../errors.js';
import { clientIp } from '../request-info.js';
import { errorPage } from './view.js';

export const SESSION_COOKIE = 'nurture_staff';
export const BASIC_REALM = 'Nurture staff';

/** The signed-in account; set by the auth middleware before any staff handler runs. */
export function staffOf(c: Context): StaffActor {
  const actor = c.get('staff') as StaffActor | undefined;
  if (!actor) throw new Error('staff route reached without the auth middleware');
  return actor;
}

export function setSessionCookie(c: Context, deps: AppDeps, token: string): void {
  // No Max-Age: the browser forgets it when it closes; the server ends it after 12 hours unused (sessions.ts).
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure: deps.config.publicUrl.startsWith('https:'), path: '/' });
}

export function clearSessionCookie(c: Context, deps: AppDeps): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: 'Strict', secure: deps.config.publicUrl.startsWith('https:'), path: '/' });
}

/** The account of the request's session cookie, if any. */
export async function cookieActor(c: Context, deps: AppDeps): Promise<StaffActor | null> {
  const token = getCookie(c, SESSION_COOKIE);
  return token ? sessionActor(deps, token) : null;
}

/** Where a login sends its user afterwards: a staff page of ours, never another site. */
export function safeNext(raw: unknown): string {
  return typeof raw === 'string' && /^\/staff(?:[/?]|$)/.test(raw) && !raw.includes('\\') && raw.length <= 500 ? raw : '/staff';
}

/** Staff pages: a session cookie, or a redirect to the login page (back here afterwards). */
export function staffPageAuth(deps: AppDeps) {
  return createMiddleware(async (c, next) => {
    const actor = await cookieActor(c, deps);
    if (!actor) {
      const url = new URL(c.req.url);
      const back = c.req.method === 'GET' ? `${url.pathname}${url.search}` : '/staff';
      return c.redirect(`/staff/login?next=${encodeURIComponent(back)}`, 303);
    }
    c.set('staff', actor);
    return next();
  });
}

function decodeBasic(header: string | undefined): { name: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,2000})\s*$/i.exec(header ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? null : { name: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The JSON API: the session cookie (pages that call it) or HTTP basic auth of
 * an account (scripts), counted against failed logins like the login page.
 */
export function staffApiAuth(deps: AppDeps) {
  const unauthorized = (c: Context, message: string) => {
    c.header('WWW-Authenticate', `Basic realm="${BASIC_REALM}", charset="UTF-8"`);
    return c.json(errorBody('unauthorized', message), 401);
  };
  return createMiddleware(async (c, next) => {
    const header = c.req.header('authorization');
    let actor = header === undefined ? await cookieActor(c, deps) : null;
    if (header !== undefined) {
      const creds = decodeBasic(header);
      if (!creds || creds.password.length > MAX_PASSWORD_LENGTH) return unauthorized(c, 'Send a staff account as HTTP basic auth (name:password).');
      const result = await checkCredentials(deps, { ...creds, ip: clientIp(c) });
      if (!result.ok && result.reason !== 'refused') {
        c.header('Retry-After', String(Math.ceil(result.retryAfterMs / 1000)));
        const message = result.reason === 'busy' ? 'Too many logins are being checked right now. Wait a moment and try again.' : 'Too many failed logins for this account or from this address. Wait and try again.';
        return c.json(errorBody('too_many_attempts', message), 429);
      }
      if (!result.ok) return unauthorized(c, 'That name and password do not match an enabled staff account.');
      actor = { name: result.account.name, role: result.account.role, sessionHash: null, timezone: result.account.timezone };
    }
    if (!actor) return unauthorized(c, 'Staff login required.');
    c.set('staff', actor);
    return next();
  });
}

export type RoleRefusal = (c: Context, actor: StaffActor, needed: StaffRole) => Response | Promise<Response>;

/** Lets the request through only for `needed` or a higher role. */
export function requireRole(needed: StaffRole, refuse: RoleRefusal) {
  return createMiddleware(async (c, next) => {
    const actor = staffOf(c);
    if (!hasRole(actor.role, needed)) return refuse(c, actor, needed);
    return next();
  });
}

/** What each role may do, as refusals explain it. */
export const ROLE_NEEDS: Record<StaffRole, string> = {
  viewer: 'a staff account',
  editor: 'the editor or admin role (acting on subscribers)',
  admin: 'the admin role (erasing, exporting and the audit log)',
};

export function apiRole(needed: StaffRole) {
  return requireRole(needed, (c, actor) => c.json(errorBody('forbidden', `This needs ${ROLE_NEEDS[needed]}; ${actor.name} is ${actor.role === 'admin' ? 'an' : 'a'} ${actor.role}.`), 403));
}

export function pageRole(deps: AppDeps, needed: StaffRole) {
  return requireRole(needed, (c, actor) =>
    errorPage(
      c,
      deps,
      403,
      'Not allowed',
      `This needs ${ROLE_NEEDS[needed]}. You are signed in as ${actor.name}, ${actor.role === 'admin' ? 'an' : 'a'} ${actor.role}; ask an admin if you need more.`,
    ),
  );
}
