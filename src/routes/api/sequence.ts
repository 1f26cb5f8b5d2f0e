import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { sequenceOverview } from '../../nurture/sequence-stats.js';

export function sequenceApi(deps: AppDeps) {
  return new Hono().get('/', async (c) => c.json({ steps: await sequenceOverview(deps.stores, deps.config.bookingUrl, deps.sequences) }));
}
