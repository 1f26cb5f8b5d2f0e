import { Hono } from 'hono';
import { checkDb } from '../../db/client.js';
import type { AppDeps } from '../app.js';
import { errorBody } from './errors.js';

export function healthRoutes({ db, transport }: AppDeps) {
  return new Hono().get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store');
    if (!checkDb(db)) return c.json(errorBody('db_unavailable', 'The database is not answering.'), 503);
    return c.json({ status: 'ok', db: 'ok', transport: transport.name });
  });
}
