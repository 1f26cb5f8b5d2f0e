/** @jsxImportSource hono/jsx */
import { pageRole } from './auth.js';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { listOutbox, readOutboxMessage } from '../../mail/outbox-reader.js';
import { formatTime } from './layout.js';
import { emailFrameResponse, errorPage, page, viewerZone } from './view.js';

export const OUTBOX_LIST_LIMIT = 100;

/** The message's Date header, or when the file was written if it has none. */
function messageTime(m: { date: string | null; writtenAt: number }): number {
  const t = m.date ? Date.parse(m.date) : NaN;
  return Number.isFinite(t) ? t : m.writtenAt;
}

/** The outbox viewer: only when the outbox transport is the one sending. */
export function outboxRoutes(deps: AppDeps) {
  const app = new Hono();
  const dir = deps.config.outboxDir;

  // The outbox holds each message as it went: the person's address and their working links. Admins only, like a GDPR export.
  app.use('*', pageRole(deps, 'admin'));
  app.use('*', async (c, next) => {
    if (deps.transport.name !== 'outbox') {
      return errorPage(c, deps, 404, 'No outbox', 'Mail is sent through Resend, so there is no outbox to show. Resend’s dashboard has the sent messages.');
    }
    return next();
  });

  app.get('/', async (c) => {
    const { messages, total } = await listOutbox(dir, OUTBOX_LIST_LIMIT);
    return page(
      c,
      deps,
      { title: 'Outbox', active: 'outbox' },
      <>
        <h1>Outbox</h1>
        <p class="muted">
          No RESEND_API_KEY is set, so every message is written as an .eml file instead of being sent.{' '}
          {total > messages.length ? `The newest ${messages.length} of ${total} are shown.` : `${total} ${total === 1 ? 'message' : 'messages'}.`}
        </p>
        {messages.length === 0 ? (
          <p>The outbox is empty.</p>
        ) : (
          <div class="scroll" role="region" aria-labelledby="outbox-caption" tabindex={0}>
            <table>
              <caption id="outbox-caption">Messages, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Date ({viewerZone(c, deps)})</th>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Raw</th>
                </tr>
              </thead>
              <tbody>
                {messages.map((m) => (
                  <tr>
                    <td>{formatTime(messageTime(m), viewerZone(c, deps))}</td>
                    <td>{m.from}</td>
                    <td>{m.to}</td>
                    <td>
                      <a href={`/staff/outbox/${m.id}`}>{m.subject || '(no subject)'}</a>
                    </td>
                    <td>
                      <a href={`/staff/outbox/${m.id}/raw`} aria-label={`Raw .eml of ${m.subject || 'message'}`}>
                        .eml
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </>,
    );
  });

  const missing = (c: Parameters<typeof errorPage>[0]) => errorPage(c, deps, 404, 'No such message', 'There is no message with that name in the outbox.');

  app.get('/:id', async (c) => {
    const m = await readOutboxMessage(dir, c.req.param('id'));
    if (!m) return missing(c);
    return page(
      c,
      deps,
      { title: m.subject || 'Message', active: 'outbox' },
      <>
        <h1>{m.subject || '(no subject)'}</h1>
        <p>
          <a href="/staff/outbox">← All messages</a> · <a href={`/staff/outbox/${m.id}/raw`}>Download the raw .eml</a>
        </p>
        <details class="card">
          <summary>All headers</summary>
          <dl class="kv">
            {m.headers.map((h) => (
              <>
                <dt>{h.name}</dt>
                <dd>{h.value}</dd>
              </>
            ))}
          </dl>
        </details>
        {m.html !== null ? (
          <>
            <h2>HTML</h2>
            <iframe class="email desktop" title={`HTML of ${m.subject}`} sandbox="" src={`/staff/outbox/${m.id}/html`} />
          </>
        ) : null}
        <h2>Plain text</h2>
        <pre class="text">{m.text ?? '(no plain-text part)'}</pre>
      </>,
    );
  });

  app.get('/:id/html', async (c) => {
    const m = await readOutboxMessage(dir, c.req.param('id'));
    if (!m || m.html === null) return missing(c);
    return emailFrameResponse(c, m.html);
  });

  app.get('/:id/raw', async (c) => {
    const m = await readOutboxMessage(dir, c.req.param('id'));
    if (!m) return missing(c);
    return new Response(new Uint8Array(m.raw), {
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Disposition': `attachment; filename="${m.id}.eml"`,
        'Cache-Control': 'no-store',
      },
    });
  });

  return app;
}
