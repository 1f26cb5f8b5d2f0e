/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppDeps } from '../../deps.js';
import { Page, type NavKey } from './layout.js';
import { cspNonce, usePageKind } from '../page-security.js';
import { csrfToken } from './security.js';

/**
 * The zone every time on a staff page is shown in: the signed-in account's
 * (set on /staff/account), else DEFAULT_TIMEZONE. Pages label it.
 */
export function viewerZone(c: Context, deps: Pick<AppDeps, 'config'>): string {
  return c.get('staff')?.timezone ?? deps.config.defaultTimezone;
}

/** Answers a full staff page. */
export function page(c: Context, deps: AppDeps, opts: { title: string; active?: NavKey; status?: ContentfulStatusCode }, body: Child): Response {
  const actor = c.get('staff');
  const user = actor ? { name: actor.name, role: actor.role, csrf: newCsrfToken(deps), zone: viewerZone(c, deps) } : null;
  const doc = (
    <Page title={opts.title} active={opts.active} showOutbox={deps.transport.name === 'outbox'} user={user} nonce={cspNonce(c)}>
      {body}
    </Page>
  );
  return c.html(`<!doctype html>${doc}`, opts.status ?? 200);
}

/** A readable error page (staff pages never answer JSON errors). */
export function errorPage(c: Context, deps: AppDeps, status: ContentfulStatusCode, title: string, message: string): Response {
  return page(
    c,
    deps,
    { title, status },
    <>
      <h1>{title}</h1>
      <p class="notice error" role="alert">
        {message}
      </p>
      <p>
        <a href={c.get('staff') ? '/staff' : '/staff/login'}>{c.get('staff') ? 'Back to the dashboard' : 'Go to the login page'}</a>
      </p>
    </>,
  );
}

export function newCsrfToken(deps: AppDeps): string {
  return csrfToken(deps.config.secretKey, deps.clock.now());
}

/** Raw email html for a sandboxed preview frame, under the email frame's policy (pageSecurity). */
export function emailFrameResponse(c: Context, html: string): Response {
  usePageKind(c, 'emailFrame');
  return c.html(html);
}
