import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import { errorBody } from './errors.js';

export function healthRoutes({ stores, transport }: Pick<AppDeps, 'stores' | 'transport'>) {
  return new Hono().get('/healthz', async (c) => {
    c.header('Cache-Control', 'no-store');
    if (!(await stores.check())) return c.json(errorBody('db_unavailable', 'The database is not answering.'), 503);
    return c.json({ status: 'ok', db: 'ok', transport: transport.name });
  });
}
