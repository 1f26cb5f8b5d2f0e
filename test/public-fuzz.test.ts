import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subscribers } from '../db/sqlite/schema.js';
import { signToken } from '../src/mail/tokens.js';
import { TEST_SECRET, testApp } from './helpers/app.js';
import { linkToken, postForm, signupForm } from './helpers/public.js';

// Random requests at every public route: whatever arrives, the answer is never a 5xx
// and nothing reaches the error handler.

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=xyz',
  'text/plain',
  'application/merge-patch+json',
  'text/html',
  'application/octet-stream',
];

const headerValue = fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~'.split('')), maxLength: 60 });

const formField = fc.oneof(
  fc.constantFrom('email', 'firstName', 'consent', 'timezone', 'List-Unsubscribe', '__proto__', 'constructor'),
  fc.string({ maxLength: 12 }),
);
const formValue = fc.oneof(
  fc.constantFrom('yes', 'on', 'One-Click', 'a@example.org', ' A@EXAMPLE.ORG ', 'Europe/Berlin', 'x\r\ny', ''),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);
const jsonValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(true, false, null, 'yes', 'a@example.org'));

const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.dictionary(formField, formValue, { maxKeys: 6 }).map((d) => new URLSearchParams(d).toString()),
  fc.dictionary(formField, jsonValue, { maxKeys: 6 }).map((d) => JSON.stringify(d)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('List-Unsubscribe=One-Click', '{"email":', '%%%', '--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.co\r\n--xyz--', 'x'.repeat(20_000)),
);

function tokenArb(realTokens: string[]) {
  return fc.oneof(
    fc.constantFrom(...realTokens),
    fc.string({ maxLength: 60 }),
    fc.string({ unit: fc.constantFrom(...'ABCabc012-_.'.split('')), maxLength: 80 }),
    fc
      .record({
        purpose: fc.constantFrom('confirm' as const, 'unsubscribe' as const),
        subscriberId: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
        generation: fc.integer({ min: 0, max: 3 }),
        expiresAt: fc.option(fc.integer({ min: 0, max: 2 ** 52 }), { nil: undefined }),
      })
      .map((claims) => signToken(TEST_SECRET, claims)),
    fc.constantFrom(...realTokens).chain((t) => fc.nat(t.length - 1).map((i) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1))),
  );
}

describe('public routes under random input', () => {
  it('never answer 5xx', async () => {
    const t = testApp({ subscribeRateLimit: { max: 1_000_000, windowMs: 60_000 } });
    // Subscribers in every state, so real tokens reach every branch.
    for (let i = 0; i < 6; i++) await postForm(t.app, '/subscribe', signupForm(`s${i}@example.org`));
    await t.drain();
    const statuses = ['pending', 'active', 'completed', 'converted', 'unsubscribed', 'suppressed'] as const;
    const rows = t.db.select().from(subscribers).all();
    rows.forEach((r, i) => t.db.update(subscribers).set({ status: statuses[i]! }).where(eq(subscribers.id, r.id)).run());
    const realTokens = t.transport.sent.flatMap((m) => [linkToken(m, 'confirm'), linkToken(m, 'u')]);

    const randomRequest = fc.record({
      route: fc.constantFrom('/', '/subscribe', '/confirm/', '/u/', '/healthz'),
      method: fc.oneof({ arbitrary: fc.constantFrom('GET', 'POST'), weight: 8 }, { arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'OPTIONS'), weight: 1 }),
      token: tokenArb(realTokens),
      contentType: fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue),
      body,
      headers: fc.dictionary(fc.constantFrom('user-agent', 'accept', 'x-forwarded-for', 'cookie', 'origin', 'accept-language'), headerValue, { maxKeys: 4 }),
    });

    // Signups that are well formed enough to reach the service, as a form or as JSON.
    const signupRequest = fc
      .record({
        email: fc.oneof(fc.emailAddress(), fc.constantFrom('s0@example.org', 's3@example.org', 's5@example.org'), fc.string({ maxLength: 40 })),
        firstName: fc.option(fc.string({ unit: 'grapheme', maxLength: 70 }), { nil: undefined }),
        consent: fc.constantFrom('yes', 'on', true, 'no', undefined),
        timezone: fc.oneof(fc.constantFrom('Europe/Berlin', 'asia/kolkata', 'US/Eastern', 'Etc/GMT+14', ''), fc.string({ maxLength: 70 })),
        asJson: fc.boolean(),
      })
      .map(({ asJson, ...fields }) => {
        const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
        return {
          route: '/subscribe',
          method: 'POST',
          token: '',
          contentType: asJson ? 'application/json' : 'application/x-www-form-urlencoded',
          body: asJson ? JSON.stringify(defined) : new URLSearchParams(defined as Record<string, string>).toString(),
          headers: {} as Record<string, string>,
        };
      });
    const request = fc.oneof({ arbitrary: randomRequest, weight: 4 }, { arbitrary: signupRequest, weight: 1 });

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const path = r.route.endsWith('/') && r.route !== '/' ? r.route + encodeURIComponent(r.token) : r.route;
        const headers: Record<string, string> = { ...r.headers };
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
        const res = await t.app.request(path, { method: r.method, headers, ...(hasBody ? { body: r.body } : {}) });
        await res.arrayBuffer();
        expect(res.status, `${r.method} ${path}`).toBeLessThan(500);
      }),
      { numRuns: 1500 },
    );

    await t.drain();
    expect(t.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
