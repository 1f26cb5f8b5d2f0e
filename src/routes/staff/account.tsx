/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { isValidTimeZone } from '../../env.js';
import { pageRole, staffOf } from './auth.js';
import { CsrfInput, formatTime, zonesWith } from './layout.js';
import { errorPage, newCsrfToken, page, viewerZone } from './view.js';

/** The signed-in account's own settings: the zone its staff pages show times in. */
export function accountRoutes(deps: AppDeps) {
  const app = new Hono();
  app.use('*', pageRole(deps, 'viewer'));

  app.get('/', (c) => {
    const me = staffOf(c);
    const zone = viewerZone(c, deps);
    const saved = c.req.query('done') === 'saved';
    return page(
      c,
      deps,
      { title: 'Your account' },
      <>
        <h1>Your account</h1>
        {saved ? (
          <p class="notice" role="status">
            Saved: every time in the staff area is now shown in {zone}.
          </p>
        ) : null}
        <p>
          {me.name}, {me.role}.
        </p>
        <form method="post" action="/staff/account" class="act" aria-labelledby="zone-h">
          <h2 id="zone-h">Your time zone</h2>
          <CsrfInput token={newCsrfToken(deps)} />
          <p>
            Every time in the staff area is shown in this zone and says so; planned emails also show the time on the reader's own
            clock. Now it is {formatTime(deps.clock.now(), zone)} in {zone}.
          </p>
          <label for="timezone">Time zone</label>
          <select id="timezone" name="timezone">
            <option value="" selected={me.timezone === null}>
              The clinic's default ({deps.config.defaultTimezone})
            </option>
            {zonesWith(me.timezone ?? deps.config.defaultTimezone).map((z) => (
              <option value={z} selected={me.timezone === z}>
                {z}
              </option>
            ))}
          </select>
          <button type="submit">Save</button>
        </form>
      </>,
    );
  });

  app.post('/', async (c) => {
    const body = await c.req.parseBody();
    const value = typeof body.timezone === 'string' ? body.timezone.trim() : '';
    if (value !== '' && !isValidTimeZone(value)) return errorPage(c, deps, 400, 'Not saved', `“${value}” is not a time zone. Pick one from the list, such as Europe/Berlin.`);
    await deps.stores.staff.setTimezone(staffOf(c).name, value === '' ? null : value, deps.clock.now());
    return c.redirect('/staff/account?done=saved', 303);
  });
  return app;
}
