import { Hono } from 'hono';
import type { AppDeps } from '../../app.js';
import { sequenceOverview } from '../../nurture/sequence-stats.js';

export function sequenceApi(deps: AppDeps) {
  return new Hono().get('/', (c) => c.json({ steps: sequenceOverview(deps.db) }));
}
