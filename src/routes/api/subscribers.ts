import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { plannedSends } from '../../nurture/previews.js';
import { listSubscribers, subscriberRecord } from '../../subscribers/directory.js';
import { eraseSubscriberEverywhere } from '../../subscribers/erase.js';
import { subscriberExport } from '../../subscribers/export.js';
import type { PauseOutcome } from '../../subscribers/preferences.js';
import { ProfileChangesSchema } from '../../subscribers/profile.js';
import { changeProfileFor, pauseFor, resendFor, resendRefusalMessage, resumeFor, unsubscribeFor, UnsubscribeReasonSchema } from '../../staff/act-for-person.js';
import { z } from 'zod';
import { errorBody } from '../errors.js';
import { recordAudit } from '../../staff/audit.js';
import { apiRole, staffOf } from '../staff/auth.js';
import { parseId, parseListQuery } from '../staff/params.js';

const notFound = (c: Context) => c.json(errorBody('not_found', 'No subscriber with that id.'), 404);
const badId = (c: Context) => c.json(errorBody('bad_id', 'A subscriber id is a positive whole number.'), 400);

export function subscribersApi(deps: AppDeps) {
  const app = new Hono();

  app.get('/', async (c) => {
    const query = parseListQuery(c);
    if ('error' in query) return c.json(errorBody('bad_query', query.error), 400);
    const r = await listSubscribers(deps.stores, query);
    return c.json({ page: r.page, pageSize: r.pageSize, pageCount: r.pageCount, total: r.total, statusCounts: r.statusCounts, all: r.all, items: r.items });
  });

  app.get('/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const record = await subscriberRecord(deps.stores, id);
    if (!record) return notFound(c);
    const planned = (await plannedSends(deps, record.subscriber, deps.clock.now())).map((p) => ({ step: p.step, at: new Date(p.at).toISOString() }));
    return c.json({ ...record, planned });
  });

  app.get('/:id/export', apiRole('admin'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const data = await subscriberExport(deps.stores, id, deps.clock.now());
    if (!data) return notFound(c);
    await recordAudit(deps, staffOf(c).name, 'subscriber.exported', id, { format: 'json' });
    c.header('Content-Disposition', `attachment; filename="subscriber-${id}.json"`);
    return c.json(data);
  });

  const erase = async (c: Context) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const outcome = await eraseSubscriberEverywhere(deps, id, deps.clock.now());
    if (!outcome) return notFound(c);
    deps.logger.info({ subscriberId: id, alreadyErased: outcome.alreadyErased, staff: staffOf(c).name }, 'subscriber erased through the api');
    await recordAudit(deps, staffOf(c).name, 'subscriber.erased', id, { alreadyErased: outcome.alreadyErased, withdrawnFromBatches: outcome.withdrawnFromBatches });
    return c.json({ id, status: 'erased', alreadyErased: outcome.alreadyErased, withdrawnFromBatches: outcome.withdrawnFromBatches, outboxFilesRemoved: outcome.outboxFilesRemoved });
  };
  // Acting for a person (they phoned or wrote): editors, each action audited.
  const body = async <T>(c: Context, schema: z.ZodType<T>): Promise<T | Response> => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      return c.json(errorBody('bad_json', 'Send a JSON body.'), 400);
    }
    const parsed = schema.safeParse(json);
    return parsed.success ? parsed.data : c.json(errorBody('invalid_input', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')), 422);
  };
  const pauseAnswer = (c: Context, r: PauseOutcome) => {
    if (r.ok) return c.json({ id: r.subscriber.id, status: r.subscriber.status, pausedUntil: r.subscriber.pausedUntil === null ? null : new Date(r.subscriber.pausedUntil).toISOString(), nextSendAt: r.subscriber.nextSendAt === null ? null : new Date(r.subscriber.nextSendAt).toISOString() });
    if (r.reason === 'not_found') return notFound(c);
    if (r.reason === 'until_not_in_future') return c.json(errorBody('until_not_in_future', '"until" must be in the future.'), 422);
    if (r.reason === 'not_paused') return c.json(errorBody('not_paused', 'This subscriber is not paused.'), 409);
    if (r.reason !== 'not_active') return c.json(errorBody('bad_request', 'Not changed.'), 400);
    return c.json(errorBody('not_active', `Only someone receiving the series can be paused or resumed; this subscriber is ${r.status}.`), 409);
  };

  app.post('/:id/unsubscribe', apiRole('editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const input = await body(c, z.object({ reason: UnsubscribeReasonSchema }));
    if (input instanceof Response) return input;
    const r = await unsubscribeFor(deps, staffOf(c).name, id, input.reason);
    if (r.ok) return c.json({ id, status: r.subscriber.status });
    if (r.reason === 'not_found') return notFound(c);
    return c.json(errorBody('not_mailable', `This subscriber is ${r.status}: nothing is sent to them already.`), 409);
  });

  app.post('/:id/pause', apiRole('editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const input = await body(c, z.object({ until: z.iso.datetime({ offset: true }) }));
    if (input instanceof Response) return input;
    return pauseAnswer(c, await pauseFor(deps, staffOf(c).name, id, Date.parse(input.until)));
  });

  app.post('/:id/resume', apiRole('editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    return pauseAnswer(c, await resumeFor(deps, staffOf(c).name, id));
  });

  // One sequence step again, through the send pipeline (the worker sends it within seconds).
  app.post('/:id/resend', apiRole('editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const input = await body(c, z.strictObject({ step: z.int('step is the number of a sequence step, like 3').positive('step is the number of a sequence step, like 3') }));
    if (input instanceof Response) return input;
    const r = await resendFor(deps, staffOf(c).name, id, input.step);
    if (r.ok) return c.json({ id, status: 'queued', step: r.step, deliveryId: r.deliveryId }, 202);
    if (r.reason === 'not_found') return notFound(c);
    if (r.reason === 'unknown_step') return c.json(errorBody('unknown_step', `The sequence has no step ${input.step}.`), 422);
    return c.json(errorBody(r.reason, resendRefusalMessage(r.reason, r.status, input.step)), 409);
  });

  app.patch('/:id', apiRole('editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const input = await body(c, ProfileChangesSchema);
    if (input instanceof Response) return input;
    const r = await changeProfileFor(deps, staffOf(c).name, id, input);
    if (!r) return notFound(c);
    const s = r.subscriber;
    return c.json({
      id: s.id,
      firstName: s.firstName,
      timezone: s.timezone,
      reader: s.reader,
      changed: r.changed,
      nextStep: s.nextStep,
      nextSendAt: s.nextSendAt === null ? null : new Date(s.nextSendAt).toISOString(),
    });
  });

  app.delete('/:id', apiRole('admin'), erase);
  app.post('/:id/erase', apiRole('admin'), erase);

  return app;
}
