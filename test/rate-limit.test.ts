import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { subscribers } from '../db/sqlite/schema.js';
import { fixedClock } from '../src/clock.js';
import { clientKey, createRateLimiter } from '../src/rate-limit.js';
import { storesOf, testApp, testDb } from './helpers/app.js';
import { postForm, postJson, signupForm } from './helpers/public.js';

describe('clientKey', () => {
  it.each([
    ['203.0.113.5', '203.0.113.5'],
    ['::ffff:203.0.113.5', '203.0.113.5'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    [null, 'unknown'],
  ])('%s -> %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });
});

describe('createRateLimiter', () => {
  it('allows max hits per window, then says how long to wait', async () => {
    const clock = fixedClock(0);
    const limiter = createRateLimiter({ max: 3, windowMs: 60_000 }, clock, storesOf(testDb()).settings);
    expect([await limiter.hit('a'), await limiter.hit('a'), await limiter.hit('a')]).toEqual([0, 0, 0]);
    clock.advance(15_000);
    expect(await limiter.hit('a')).toBe(45_000);
    expect(await limiter.hit('b')).toBe(0);
    clock.advance(45_000);
    expect(await limiter.hit('a')).toBe(0);
  });

  it('is shared by every server on the database: two app instances count one client together', async () => {
    const db = testDb();
    const a = testApp({ db, subscribeRateLimit: { max: 3, windowMs: 60_000 } });
    const b = testApp({ db, subscribeRateLimit: { max: 3, windowMs: 60_000 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await postJson(i % 2 ? b.app : a.app, '/subscribe', { email: `s${i}@example.org`, consent: true }, { ip: '203.0.113.9' })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});

describe('POST /subscribe rate limit', () => {
  it('answers the 11th signup a minute from one address with 429, Retry-After and the error shape', async () => {
    const t = testApp();
    for (let i = 0; i < 10; i++) {
      expect((await postJson(t.app, '/subscribe', { email: `r${i}@example.org`, consent: true }, { ip: '203.0.113.1' })).status).toBe(202);
    }
    t.clock.advance(20_000);
    const res = await postJson(t.app, '/subscribe', { email: 'r10@example.org', consent: true }, { ip: '203.0.113.1' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('40');
    expect(await res.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('40 seconds') } });
    expect(t.db.select().from(subscribers).where(eq(subscribers.email, 'r10@example.org')).get()).toBeUndefined();

    // Another client is not affected; the first may go again after the window.
    expect((await postJson(t.app, '/subscribe', { email: 'other@example.org', consent: true }, { ip: '198.51.100.2' })).status).toBe(202);
    t.clock.advance(40_000);
    expect((await postJson(t.app, '/subscribe', { email: 'r10@example.org', consent: true }, { ip: '203.0.113.1' })).status).toBe(202);
    await t.drain();
  });

  it('answers a form post over the limit with a page', async () => {
    const t = testApp({ subscribeRateLimit: { max: 1, windowMs: 60_000 } });
    await postForm(t.app, '/subscribe', signupForm('a@example.org'), { ip: '203.0.113.1' });
    const res = await postForm(t.app, '/subscribe', signupForm('b@example.org'), { ip: '203.0.113.1' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(await res.text()).toContain('Please wait 60 seconds');
    await t.drain();
  });

  it('counts one IPv6 /64 as one client and ignores X-Forwarded-For', async () => {
    const t = testApp({ subscribeRateLimit: { max: 2, windowMs: 60_000 } });
    const post = (ip: string, xff?: string) =>
      postJson(t.app, '/subscribe', { email: `${Math.random()}@example.org`.slice(2), consent: true }, { ip, headers: xff ? { 'x-forwarded-for': xff } : {} });
    expect((await post('2001:db8:1:2::1')).status).toBe(202);
    expect((await post('2001:db8:1:2::ffff', '10.0.0.1')).status).toBe(202);
    expect((await post('2001:db8:1:2:aaaa::', '10.0.0.2')).status).toBe(429);
    expect((await post('2001:db8:1:3::1')).status).toBe(202);
    await t.drain();
  });

  it('does not limit the other public routes', async () => {
    const t = testApp({ subscribeRateLimit: { max: 1, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++) expect((await t.app.request('/')).status).toBe(200);
  });
});
