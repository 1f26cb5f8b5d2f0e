/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { nextEmail } from '../../nurture/previews.js';
import { catalogsWith, emailName } from '../../nurture/sequence.js';
import { previewFor, subscriberFor } from '../../staff/personal-data.js';
import { getSubscriber } from '../../subscribers/directory.js';
import { staffOf } from './auth.js';
import { formatTime } from './layout.js';
import { parseId } from './params.js';
import { EmailPreview } from './templates.js';
import { emailFrameResponse, errorPage, page, viewerZone } from './view.js';

/** "Time travel": a subscriber's next email, rendered with their data, as it will look when it goes (its links the placeholders of a test email). */
export function timelineRoutes(deps: AppDeps) {
  const app = new Hono();

  async function load(c: Context) {
    const id = parseId(c.req.param('id'));
    const s = id === null ? undefined : await getSubscriber(deps.stores, id);
    if (!s) return { error: errorPage(c, deps, 404, 'No such subscriber', 'There is no subscriber with that id.') };
    const next = await nextEmail(deps, s);
    if (!next) return { error: errorPage(c, deps, 404, 'Nothing planned', `Subscriber #${s.id} (${s.status}) has no sequence email planned.`) };
    return { s, next };
  }

  app.get('/:id/next', async (c) => {
    const r = await load(c);
    if ('error' in r) return r.error!;
    const role = staffOf(c).role;
    const s = subscriberFor(role, r.s);
    const next = { ...r.next, preview: previewFor(role, r.next.preview) };
    return page(
      c,
      deps,
      { title: `Next email for ${s.email}`, active: 'subscribers' },
      <>
        <p>
          <a href={`/staff/subscribers/${s.id}`}>← {s.email}</a>
        </p>
        <h1>
          Next email: {emailName(catalogsWith(deps.sequences), 'education', next.step.step, true)}, “{next.step.subject}”
        </h1>
        <p class="notice" role="status">
          Goes {formatTime(next.at, viewerZone(c, deps))} ({viewerZone(c, deps)}), {formatTime(next.at, s.timezone)} their time ({s.timezone}), with their name. Its unsubscribe, preference and confirm links are placeholders that act for nobody.
        </p>
        <EmailPreview preview={next.preview} frameSrc={`/staff/subscribers/${s.id}/next/html`} />
      </>,
    );
  });

  app.get('/:id/next/html', async (c) => {
    const r = await load(c);
    if ('error' in r) return r.error!;
    return emailFrameResponse(c, r.next.preview.rendered.html);
  });

  return app;
}
