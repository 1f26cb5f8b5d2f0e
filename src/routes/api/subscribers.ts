import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { plannedSends } from '../../nurture/previews.js';
import { listSubscribers, subscriberRecord } from '../../subscribers/directory.js';
import { eraseSubscriberEverywhere } from '../../subscribers/erase.js';
import { subscriberExport } from '../../subscribers/export.js';
import { pauseSubscriber, resumeSubscriber, type PauseOutcome } from '../../subscribers/preferences.js';
import { unsubscribeOnBehalf } from '../../subscribers/unsubscribe.js';
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
    const input = await body(c, z.object({ reason: z.string().trim().min(1, 'say why (what the person asked)').max(500) }));
    if (input instanceof Response) return input;
    const staff = staffOf(c).name;
    const row = await unsubscribeOnBehalf(deps, id, input.reason, staff);
    if (!row) {
      const s = await deps.stores.subscribers.byId(id);
      if (!s || s.status === 'erased') return notFound(c);
      return c.json(errorBody('not_mailable', `This subscriber is ${s.status}: nothing is sent to them already.`), 409);
    }
    await recordAudit(deps, staff, 'subscriber.unsubscribed', id, { reason: input.reason });
    return c.json({ id, status: row.status });
  });

  app.post('/:id/pause', apiRole('editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const input = await body(c, z.object({ until: z.iso.datetime({ offset: true }) }));
    if (input instanceof Response) return input;
    const staff = staffOf(c).name;
    const r = await pauseSubscriber(deps, id, Date.parse(input.until), { by: 'staff', staff });
    if (r.ok) await recordAudit(deps, staff, 'subscriber.paused', id, { until: input.until });
    return pauseAnswer(c, r);
  });

  app.post('/:id/resume', apiRole('editor'), async (c) => {
    const id = parseId(c.req.param('id'));
    if (id === null) return badId(c);
    const staff = staffOf(c).name;
    const r = await resumeSubscriber(deps, id, { by: 'staff', staff });
    if (r.ok) await recordAudit(deps, staff, 'subscriber.resumed', id, {});
    return pauseAnswer(c, r);
  });

  app.delete('/:id', apiRole('admin'), erase);
  app.post('/:id/erase', apiRole('admin'), erase);

  return app;
}
