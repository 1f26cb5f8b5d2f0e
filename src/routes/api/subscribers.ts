import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { plannedSends } from '../../nurture/previews.js';
import { listSubscribers, subscriberRecord } from '../../subscribers/directory.js';
import { eraseSubscriberEverywhere } from '../../subscribers/erase.js';
import { subscriberExport } from '../../subscribers/export.js';
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
    const planned = (await plannedSends(deps.stores, deps.config, record.subscriber, deps.clock.now())).map((p) => ({ step: p.step, at: new Date(p.at).toISOString() }));
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
  app.delete('/:id', apiRole('admin'), erase);
  app.post('/:id/erase', apiRole('admin'), erase);

  return app;
}
