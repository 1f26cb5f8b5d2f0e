import { describe, expect, it } from 'vitest';
import { testApp } from './helpers/app.js';

describe('GET /healthz', () => {
  it('answers 200 with the db check when the db is up', async () => {
    const { app } = testApp();
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', db: 'ok', transport: 'memory' });
  });

  it('answers 503 in the error shape when the db is closed', async () => {
    const { app, db } = testApp();
    db.$client.close();
    const res = await app.request('/healthz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'db_unavailable', message: expect.any(String) } });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = testApp();
    const res = await app.request('/no/such/route');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});
