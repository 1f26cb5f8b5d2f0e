/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { recordAudit } from '../../audit.js';
import { previewFor } from '../../staff/personal-data.js';
import { hasRole } from '../../staff/roles.js';
import { pageRole, staffOf } from './auth.js';
import { normaliseEmail } from '../../address.js';
import { listTemplates, previewTemplate, sendTestEmail, type Preview, type TestSendFailure } from '../../nurture/previews.js';
import { getSubscriber } from '../../subscribers/directory.js';
import { CsrfInput } from './layout.js';
import { parseSubscriberParam } from './params.js';
import { emailFrameResponse, errorPage, newCsrfToken, page } from './view.js';

const FAILURES: Record<TestSendFailure, [404 | 409, string, string]> = {
  unknown_template: [404, 'No such template', 'There is no email template with that name.'],
  unknown_subscriber: [404, 'No such subscriber', 'There is no subscriber with that id.'],
  erased: [409, 'Subscriber erased', 'This subscriber was erased: there is no personal data left to render with.'],
  suppressed_address: [409, 'Address suppressed', 'That address bounced, complained or was erased: nothing is sent to it, tests included. Send the test to another address.'],
};

/** The preview of ?subscriber=ID (or sample data), or the page explaining why not. */
async function loadPreview(c: Context, deps: AppDeps): Promise<{ preview: Preview; subscriberId?: number } | Response> {
  const param = parseSubscriberParam(c.req.query('subscriber'));
  if (param === null) return errorPage(c, deps, 400, 'Bad subscriber id', 'A subscriber id is a positive whole number.');
  const subscriber = param === undefined ? undefined : ((await getSubscriber(deps.stores, param)) ?? null);
  const result = await previewTemplate(deps, c.req.param('id')!, subscriber);
  if (!result.ok) {
    const [status, title, message] = FAILURES[result.reason];
    return errorPage(c, deps, status, title, message);
  }
  return { preview: previewFor(staffOf(c).role, result.preview), subscriberId: param };
}

/** Headers, desktop and phone frames, and the plain text of one rendered email; shared with the time-travel view. */
export function EmailPreview({ preview, frameSrc }: { preview: Preview; frameSrc: string }) {
  const m = preview.message;
  const h = m.headers ?? {};
  return (
    <>
      <section class="card" aria-labelledby="headers-h">
        <h2 id="headers-h">Headers</h2>
        <dl class="kv">
          <dt>From</dt>
          <dd>{m.from}</dd>
          <dt>To</dt>
          <dd>{m.to}</dd>
          <dt>Reply-To</dt>
          <dd>{m.replyTo ?? '(not set: REPLY_TO is unset)'}</dd>
          <dt>Subject</dt>
          <dd>{m.subject}</dd>
          <dt>Preheader</dt>
          <dd>{preview.rendered.preheader}</dd>
          <dt>List-Unsubscribe</dt>
          <dd>{h['List-Unsubscribe'] ?? '(not set on this email)'}</dd>
          <dt>List-Unsubscribe-Post</dt>
          <dd>{h['List-Unsubscribe-Post'] ?? '(not set on this email)'}</dd>
          <dt>Template version</dt>
          <dd>{preview.template.version}</dd>
        </dl>
      </section>
      <h2>As html</h2>
      <div class="frames">
        <figure class="frame">
          <figcaption>Desktop, 600px</figcaption>
          <iframe class="email desktop" title={`${m.subject}: desktop width`} sandbox="" src={frameSrc} />
        </figure>
        <figure class="frame">
          <figcaption>Phone, 375px</figcaption>
          <iframe class="email phone" title={`${m.subject}: phone width`} sandbox="" src={frameSrc} />
        </figure>
      </div>
      <h2>As plain text</h2>
      <pre class="text">{preview.rendered.text}</pre>
    </>
  );
}

export function templateRoutes(deps: AppDeps) {
  const app = new Hono();

  app.get('/', (c) =>
    page(
      c,
      deps,
      { title: 'Templates', active: 'templates' },
      <>
        <h1>Email templates</h1>
        <p class="muted">Each preview shows the html at desktop and phone width, the plain text and the headers, with sample data or a subscriber's own. Its unsubscribe, preference and confirm links are placeholders that act for nobody.</p>
        <div class="scroll" role="region" aria-labelledby="tpl-caption" tabindex={0}>
          <table>
            <caption id="tpl-caption">The confirmation email and the sequence</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Subject and preheader</th>
                <th scope="col">Template</th>
              </tr>
            </thead>
            <tbody>
              {listTemplates().map((t) => (
                <tr>
                  <td>{t.step === null ? 'Confirmation' : `Step ${t.step}, day ${t.dayOffset}`}</td>
                  <td>
                    <a href={`/staff/templates/${t.id}`}>{t.subject}</a>
                    <br />
                    <span class="muted">{t.preheader}</span>
                  </td>
                  <td>
                    <code>{t.id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </>,
    ),
  );

  app.get('/:id', async (c) => {
    const loaded = await loadPreview(c, deps);
    if (loaded instanceof Response) return loaded;
    const { preview, subscriberId } = loaded;
    const id = preview.template.id;
    const query = subscriberId ? `?subscriber=${subscriberId}` : '';
    const sent = c.req.query('sent');
    return page(
      c,
      deps,
      { title: preview.template.subject, active: 'templates' },
      <>
        <p>
          <a href="/staff/templates">← All templates</a>
        </p>
        <h1>{preview.template.subject}</h1>
        <p class="muted">
          {preview.template.step === null ? 'Confirmation email' : `Sequence step ${preview.template.step}, day ${preview.template.dayOffset}`} ·{' '}
          {preview.sample ? 'sample data' : `subscriber #${subscriberId}'s data`}
        </p>
        {sent ? (
          <p class="notice" role="status">
            Test email queued (delivery #{sent}): the worker sends it within seconds.
          </p>
        ) : null}
        <form class="search" method="get" action={`/staff/templates/${id}`}>
          <div>
            <label for="subscriber">Render with subscriber id</label>
            <input id="subscriber" name="subscriber" type="number" min="1" step="1" inputmode="numeric" value={subscriberId ? String(subscriberId) : ''} />
          </div>
          <button type="submit">Render</button>
          {subscriberId ? <a href={`/staff/templates/${id}`}>Back to sample data</a> : null}
        </form>
        <EmailPreview preview={preview} frameSrc={`/staff/templates/${id}/html${query}`} />
        {hasRole(staffOf(c).role, 'editor') ? (
          <section class="card" aria-labelledby="test-h">
            <h2 id="test-h">Send a test</h2>
            <form method="post" action={`/staff/templates/${id}/test`} class="search">
              <CsrfInput token={newCsrfToken(deps)} />
              {subscriberId ? <input type="hidden" name="subscriber" value={String(subscriberId)} /> : null}
              <div>
                <label for="test-to">Send to</label>
                <input id="test-to" name="to" type="email" required maxlength={254} autocomplete="email" />
              </div>
              <button type="submit">Send test</button>
            </form>
            <p class="muted">
              Goes through the configured transport ({deps.transport.name}) with “[Test]” before the subject. Its unsubscribe, preference and confirm links are placeholders that act for nobody, even when it shows a subscriber's data.
            </p>
          </section>
        ) : null}
      </>,
    );
  });

  app.get('/:id/html', async (c) => {
    const loaded = await loadPreview(c, deps);
    if (loaded instanceof Response) return loaded;
    return emailFrameResponse(c, loaded.preview.rendered.html);
  });

  app.post('/:id/test', pageRole(deps, 'editor'), async (c) => {
    const body = await c.req.parseBody();
    const to = normaliseEmail(body.to);
    if (!to) return errorPage(c, deps, 400, 'Not sent', 'Enter one valid email address to send the test to.');
    const param = parseSubscriberParam(typeof body.subscriber === 'string' ? body.subscriber : undefined);
    if (param === null) return errorPage(c, deps, 400, 'Bad subscriber id', 'A subscriber id is a positive whole number.');
    const subscriber = param === undefined ? undefined : ((await getSubscriber(deps.stores, param)) ?? null);
    const result = await sendTestEmail(deps, c.req.param('id'), to, subscriber);
    if (!result.ok) {
      const [status, title, message] = FAILURES[result.reason];
      return errorPage(c, deps, status, title, message);
    }
    await recordAudit(deps, staffOf(c).name, 'template.test_sent', subscriber?.id ?? null, { template: c.req.param('id'), to, deliveryId: result.deliveryId });
    const q = new URLSearchParams({ ...(param ? { subscriber: String(param) } : {}), sent: String(result.deliveryId) });
    return c.redirect(`/staff/templates/${c.req.param('id')}?${q}`, 303);
  });

  return app;
}
