/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppDeps } from '../../deps.js';
import { recordAudit } from '../../audit.js';
import { checkCredentials, closeSession, openSession } from '../../staff/sessions.js';
import { clientIp } from '../request-info.js';
import { clearSessionCookie, cookieActor, safeNext, setSessionCookie } from './auth.js';
import { CsrfInput } from './layout.js';
import { newCsrfToken, page } from './view.js';

type Notice = { kind: 'error' | 'info'; text: string };

function loginPage(c: Context, deps: AppDeps, opts: { next: string; name?: string; notice?: Notice; status?: ContentfulStatusCode }) {
  return page(
    c,
    deps,
    { title: 'Log in', status: opts.status ?? 200 },
    <>
      <h1>Log in</h1>
      {opts.notice ? (
        <p class={opts.notice.kind === 'error' ? 'notice error' : 'notice'} role={opts.notice.kind === 'error' ? 'alert' : 'status'}>
          {opts.notice.text}
        </p>
      ) : null}
      <form class="login card" method="post" action="/staff/login">
        <CsrfInput token={newCsrfToken(deps)} />
        <input type="hidden" name="next" value={opts.next} />
        <p>
          <label for="name">Name</label>
          <input id="name" name="name" autocomplete="username" autocapitalize="none" spellcheck={false} required maxlength={40} value={opts.name ?? ''} />
        </p>
        <p>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={1024} />
        </p>
        <button type="submit">Log in</button>
      </form>
      <p class="muted">
        Accounts are added by an admin with <code>npm run staff -- add NAME --role ROLE</code>.
      </p>
    </>,
  );
}

const minutes = (ms: number) => {
  const s = Math.ceil(ms / 1000);
  return s < 90 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`;
};

/** GET/POST /staff/login and POST /staff/logout: the only staff routes open without a session. */
export function loginRoutes(deps: AppDeps) {
  const app = new Hono();

  app.get('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    if (await cookieActor(c, deps)) return c.redirect(next, 303);
    const notice: Notice | undefined = c.req.query('done') === 'logout' ? { kind: 'info', text: 'You are logged out.' } : undefined;
    return loginPage(c, deps, { next, notice });
  });

  // The form's Origin and token were checked by the CSRF middleware before this runs.
  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const next = safeNext(body.next);
    const name = typeof body.name === 'string' ? body.name.trim().slice(0, 100) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!name || !password) return loginPage(c, deps, { next, name, status: 400, notice: { kind: 'error', text: 'Enter your name and your password.' } });
    const result = await checkCredentials(deps, { name, password, ip: clientIp(c) });
    if (!result.ok && result.reason !== 'refused') {
      c.header('Retry-After', String(Math.ceil(result.retryAfterMs / 1000)));
      const text =
        result.reason === 'busy'
          ? 'Too many logins are being checked right now. Wait a moment and try again.'
          : `Too many failed logins for this account or from this address. Wait ${minutes(result.retryAfterMs)} and try again.`;
      return loginPage(c, deps, { next, name, status: 429, notice: { kind: 'error', text } });
    }
    if (!result.ok) return loginPage(c, deps, { next, name, status: 401, notice: { kind: 'error', text: 'That name and password do not match an active staff account. Check both and try again.' } });
    // A fresh token at every login: a session id planted before it is never promoted.
    const previous = await cookieActor(c, deps);
    if (previous?.sessionHash) await closeSession(deps, previous.sessionHash);
    setSessionCookie(c, deps, await openSession(deps, result.account));
    await recordAudit(deps, result.account.name, 'login');
    return c.redirect(next, 303);
  });

  app.post('/logout', async (c) => {
    const actor = await cookieActor(c, deps);
    if (actor?.sessionHash) {
      await closeSession(deps, actor.sessionHash);
      await recordAudit(deps, actor.name, 'logout');
      deps.logger.info({ name: actor.name }, 'staff logout');
    }
    clearSessionCookie(c, deps);
    return c.redirect('/staff/login?done=logout', 303);
  });

  return app;
}
