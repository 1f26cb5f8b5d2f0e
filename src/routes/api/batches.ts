import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { heldBatches, resolveHeldBatch, type HeldDecision } from '../../nurture/held.js';
import { recordAudit } from '../../audit.js';
import { staffOf } from '../staff/auth.js';
import { idParams } from '../staff/params.js';
import { errorBody } from '../errors.js';
import { apiRoute, apiRouter, error, json } from './openapi.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const HeldBatches = z.object({
  batches: z.array(
    z.object({
      id: z.int(),
      createdAt: z.iso.datetime(),
      firstAttemptAt: z.iso.datetime().nullable().meta({ description: 'When the request first left; Resend keeps its idempotency key 24 hours from then.' }),
      attempts: z.int(),
      lastError: z.string().nullable(),
      deliveries: z.int().meta({ description: 'How many emails the batch holds.' }),
      kinds: z.string().meta({ description: 'The kinds of its deliveries (sequence, confirmation, test, resend), comma-separated.' }),
    }),
  ),
});

const Decided = z.object({ id: z.int(), decision: z.enum(['resend', 'sent']) });

const getHeld = apiRoute({
  method: 'get',
  path: '/held',
  role: 'viewer',
  summary: 'Batches held: outcome unknown past the idempotency window',
  description: 'Look each up in Resend’s log, then count it as sent or send it again.',
  responses: { 200: json(HeldBatches, 'The held batches.') },
});

const decideRoute = (path: '/{id}/resend' | '/{id}/mark-sent', summary: string) =>
  apiRoute({
    method: 'post',
    path,
    role: 'editor',
    summary,
    request: { params: idParams('batch') },
    responses: { 200: json(Decided, 'Decided.'), 404: error('No held batch with that id (not_held).') },
  });

/** Held batches (outcome unknown past the idempotency window) and staff's decision on each. */
export function batchesApi(deps: AppDeps) {
  const app = apiRouter();
  app.openapi(getHeld, async (c) => {
    const held = await heldBatches(deps.stores);
    return c.json({ batches: held.map((b) => ({ ...b, createdAt: new Date(b.createdAt).toISOString(), firstAttemptAt: iso(b.firstAttemptAt) })) }, 200);
  });
  const decide = (path: '/{id}/resend' | '/{id}/mark-sent', summary: string, decision: HeldDecision) =>
    app.openapi(decideRoute(path, summary), async (c) => {
      const { id } = c.req.valid('param');
      if (!(await resolveHeldBatch(deps, id, decision))) return c.json(errorBody('not_held', 'No held batch with that id.'), 404);
      await recordAudit(deps, staffOf(c).name, 'batch.resolved', null, { batchId: id, decision });
      return c.json({ id, decision }, 200);
    });
  decide('/{id}/resend', 'Send a held batch again as a new request (it never arrived)', 'resend');
  decide('/{id}/mark-sent', 'Count a held batch as sent (it arrived)', 'sent');
  return app;
}
