/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { recordAudit } from '../../audit.js';
import { pageRole, staffOf } from './auth.js';
import { resolveHeldBatch, type HeldBatch, type HeldDecision } from '../../nurture/held.js';
import { parseId } from './params.js';
import { CsrfInput, formatTime } from './layout.js';
import { errorPage } from './view.js';


/** The dashboard's notice of held batches, with the two decisions staff can take. */
/** `token` is null for a viewer, who sees the batches but no decisions. */
export function HeldBatches({ held, token, zone }: { held: HeldBatch[]; token: string | null; zone: string }) {
  if (held.length === 0) return null;
  return (
    <section class="card" aria-labelledby="held">
      <h2 id="held">Sending held: {held.length === 1 ? '1 batch needs' : `${held.length} batches need`} a decision</h2>
      <p>
        These requests left more than 23 hours ago and their outcome is unknown (the process stopped or the connection dropped before the provider answered).
        The provider no longer recognises a repeat, so sending again could deliver twice. Look each one up in the provider's log, then choose.
      </p>
      <table>
        <caption>Held batches</caption>
        <thead>
          <tr>
            <th scope="col">Batch</th>
            <th scope="col">Emails</th>
            <th scope="col">First sent ({zone})</th>
            <th scope="col">Last error</th>
            <th scope="col">Decision</th>
          </tr>
        </thead>
        <tbody>
          {held.map((b) => (
            <tr>
              <th scope="row">#{b.id}</th>
              <td>
                {b.deliveries} ({b.kinds || 'none'})
              </td>
              <td>{b.firstAttemptAt === null ? 'unknown' : formatTime(b.firstAttemptAt, zone)}</td>
              <td>{b.lastError ?? ''}</td>
              <td>
                {token === null ? (
                  'An editor decides.'
                ) : (
                  <>
                    <form method="post" action={`/staff/batches/${b.id}/sent`}>
                      <CsrfInput token={token} />
                      <button type="submit">It arrived: count as sent</button>
                    </form>
                    <form method="post" action={`/staff/batches/${b.id}/resend`}>
                      <CsrfInput token={token} />
                      <button type="submit">It did not arrive: send again</button>
                    </form>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function batchRoutes(deps: AppDeps) {
  const app = new Hono();
  const decide = (decision: HeldDecision) => async (c: Context) => {
    const id = parseId(c.req.param('id'));
    if (id === null || !(await resolveHeldBatch(deps, id, decision))) return errorPage(c, deps, 404, 'No such held batch', 'That batch is not held (it may have been decided already).');
    await recordAudit(deps, staffOf(c).name, 'batch.resolved', null, { batchId: id, decision });
    return c.redirect('/staff?done=batch', 303);
  };
  app.post('/:id/resend', pageRole(deps, 'editor'), decide('resend'));
  app.post('/:id/sent', pageRole(deps, 'editor'), decide('sent'));
  return app;
}
