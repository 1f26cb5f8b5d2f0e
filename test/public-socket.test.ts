import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribers } from '../db/sqlite/schema.js';
import { testApp } from './helpers/app.js';
import { listen } from './helpers/browser.js';

// The same routes over a real socket: the body is read from Node's stream
// there, and the client address comes from the socket.
describe('public routes over a socket', () => {
  const t = testApp();
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    server = await listen((req: Request, env?: unknown) => t.app.fetch(req, env));
  });
  afterAll(async () => {
    await server.close();
    await t.drain();
  });

  it('takes a JSON signup and records the socket address', async () => {
    const res = await fetch(`${server.url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.77' },
      body: JSON.stringify({ email: 'socket@example.org', consent: true }),
    });
    expect(res.status).toBe(202);
    await t.drain();
    expect(t.db.select().from(subscribers).get()).toMatchObject({ email: 'socket@example.org', signupIp: '127.0.0.1' });
    expect(t.transport.sent.map((m) => m.to)).toEqual(['socket@example.org']);
  });

  it('takes a multipart form', async () => {
    const fd = new FormData();
    fd.set('email', 'multipart@example.org');
    fd.set('consent', 'yes');
    const res = await fetch(`${server.url}/subscribe`, { method: 'POST', body: fd });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check your inbox');
  });

  it('refuses an oversized body by its Content-Length, and a chunked one while reading', async () => {
    const big = JSON.stringify({ email: 'big@example.org', consent: true, pad: 'x'.repeat(20_000) });
    const declared = await fetch(`${server.url}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error.code).toBe('payload_too_large');

    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.subarray(i, i + 4096));
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(t.db.select().from(subscribers).all().map((s) => s.email)).not.toContain('big@example.org');
  });

  it('honours one-click unsubscribe over the socket', async () => {
    await t.drain();
    const token = /\/u\/([A-Za-z0-9_.-]+)/.exec(t.transport.sent[0]!.text)![1]!;
    const res = await fetch(`${server.url}/u/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(res.status).toBe(200);
    expect(t.db.select().from(subscribers).all().find((s) => s.email === 'socket@example.org')!.status).toBe('unsubscribed');
  });
});
