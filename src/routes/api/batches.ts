import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { heldBatches, resolveHeldBatch, type HeldDecision } from '../../nurture/held.js';
import { errorBody } from '../errors.js';
import { recordAudit } from '../../staff/audit.js';
import { apiRole, staffOf } from '../staff/auth.js';
import { parseId } from '../staff/params.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Held batches (outcome unknown past the idempotency window) and staff's decision on each. */
export function batchesApi(deps: AppDeps) {
  const app = new Hono();
  app.get('/held', async (c) => {
    const held = await heldBatches(deps.stores);
    return c.json({ batches: held.map((b) => ({ ...b, createdAt: iso(b.createdAt), firstAttemptAt: iso(b.firstAttemptAt) })) });
  });
  const decide = (decision: HeldDecision) => async (c: Context) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return c.json(errorBody('bad_id', 'A batch id is a positive whole number.'), 400);
    if (!(await resolveHeldBatch(deps, id, decision))) return c.json(errorBody('not_held', 'No held batch with that id.'), 404);
    await recordAudit(deps, staffOf(c).name, 'batch.resolved', null, { batchId: id, decision });
    return c.json({ id, decision });
  };
  app.post('/:id/resend', apiRole('editor'), decide('resend'));
  app.post('/:id/mark-sent', apiRole('editor'), decide('sent'));
  return app;
}
