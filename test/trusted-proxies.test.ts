// TRUSTED_PROXIES: behind a reverse proxy the per-client limit and the
// consent record see the real client from X-Forwarded-For, and nobody else
// can choose their address by sending that header.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { subscribers } from '../db/sqlite/schema.js';
import { ConfigError, loadEnv } from '../src/env.js';
import { testApp, testConfig } from './helpers/app.js';
import { postJson } from './helpers/public.js';

const PROXY = '10.0.0.5';
const limited = (trustedProxies: string[]) => testApp({ config: testConfig({ trustedProxies }), subscribeRateLimit: { max: 2, windowMs: 60_000 } });
const signup = (t: ReturnType<typeof testApp>, email: string, ip: string, forwardedFor?: string) =>
  postJson(t.app, '/subscribe', { email, consent: true }, { ip, ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}) });

describe('TRUSTED_PROXIES', () => {
  it('counts the client named by a trusted proxy, not the proxy', async () => {
    const t = limited([PROXY]);
    // Two clients behind one proxy: each has its own allowance.
    expect((await signup(t, 'a1@example.org', PROXY, '203.0.113.1')).status).toBe(202);
    expect((await signup(t, 'a2@example.org', PROXY, '203.0.113.1')).status).toBe(202);
    expect((await signup(t, 'b1@example.org', PROXY, '203.0.113.2')).status).toBe(202);
    expect((await signup(t, 'a3@example.org', PROXY, '203.0.113.1')).status).toBe(429);
    // The consent record keeps the real client too.
    expect(t.db.select({ ip: subscribers.signupIp }).from(subscribers).where(eq(subscribers.email, 'b1@example.org')).get()).toEqual({ ip: '203.0.113.2' });
  });

  it('walks a chain of trusted proxies from the right; a client cannot forge its address through them', async () => {
    const t = limited(['10.0.0.0/8']);
    // The client put a made-up address first; the first untrusted hop from the right is the real one.
    expect((await signup(t, 'c1@example.org', PROXY, '198.51.100.77, 203.0.113.3, 10.0.0.9')).status).toBe(202);
    expect(t.db.select({ ip: subscribers.signupIp }).from(subscribers).where(eq(subscribers.email, 'c1@example.org')).get()).toEqual({ ip: '203.0.113.3' });
  });

  it('ignores X-Forwarded-For from anyone who is not a trusted proxy', async () => {
    const t = limited([PROXY]);
    for (const [i, forged] of ['203.0.113.10', '203.0.113.11', '203.0.113.12'].entries()) {
      const res = await signup(t, `d${i}@example.org`, '198.51.100.9', forged);
      expect(res.status).toBe(i < 2 ? 202 : 429);
    }
    expect(t.db.select({ ip: subscribers.signupIp }).from(subscribers).where(eq(subscribers.email, 'd0@example.org')).get()).toEqual({ ip: '198.51.100.9' });
  });

  it('without TRUSTED_PROXIES every request behind a proxy is the proxy', async () => {
    const t = limited([]);
    expect((await signup(t, 'e1@example.org', PROXY, '203.0.113.1')).status).toBe(202);
    expect((await signup(t, 'e2@example.org', PROXY, '203.0.113.2')).status).toBe(202);
    expect((await signup(t, 'e3@example.org', PROXY, '203.0.113.3')).status).toBe(429);
  });

  it('is validated at start-up: addresses or CIDRs, one line naming the variable', () => {
    expect(loadEnv({ TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16,::1, fd00::/8' }).trustedProxies).toEqual(['10.0.0.5', '10.1.0.0/16', '::1', 'fd00::/8']);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.1/8/2', '::1/129']) {
      expect(() => loadEnv({ TRUSTED_PROXIES: bad })).toThrow(ConfigError);
      expect(() => loadEnv({ TRUSTED_PROXIES: bad })).toThrow(/TRUSTED_PROXIES/);
    }
  });
});
