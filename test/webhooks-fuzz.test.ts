// Random webhook deliveries: unsigned, badly signed, and correctly signed
// bodies of any shape. Whatever arrives, the answer is a 2xx or 4xx in the
// error shape, never a 5xx, and nothing reaches the error handler.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveries, subscribers } from '../db/sqlite/schema.js';
import { emailHash } from '../src/address.js';
import { TEST_SECRET, testApp, testConfig } from './helpers/app.js';
import { newWebhookSecret, svixHeaders } from './helpers/webhook-signing.js';

const SECRET = newWebhookSecret();
const NOW_S = Math.floor(Date.now() / 1000);

const EVENT_TYPES = [
  'email.sent',
  'email.delivered',
  'email.delivery_delayed',
  'email.opened',
  'email.clicked',
  'email.bounced',
  'email.complained',
  'email.suppressed',
  'contact.created',
];

const eventData = fc.record(
  {
    email_id: fc.oneof(fc.constantFrom('em_1', 'em_unknown'), fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
    to: fc.oneof(fc.constant(['reader@example.org']), fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }), fc.string(), fc.constant(null)),
    created_at: fc.oneof(fc.constant('2026-03-02T09:00:05.000Z'), fc.string({ maxLength: 30 }), fc.integer()),
    bounce: fc.oneof(fc.record({ type: fc.constantFrom('Permanent', 'Transient', 'Undetermined', ''), message: fc.string({ maxLength: 30 }) }), fc.jsonValue({ maxDepth: 2 })),
    click: fc.oneof(fc.record({ link: fc.oneof(fc.webUrl(), fc.string({ maxLength: 40 })) }), fc.jsonValue({ maxDepth: 2 })),
  },
  { requiredKeys: [] },
);

const signedEvent = fc
  .record({
    type: fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.string({ maxLength: 20 }), fc.integer()),
    created_at: fc.oneof(fc.constant('2026-03-02T09:00:05.000Z'), fc.string({ maxLength: 30 })),
    data: fc.oneof(eventData, fc.jsonValue({ maxDepth: 2 })),
  }, { requiredKeys: [] })
  .map((e) => JSON.stringify(e));

const wellFormedEvent = fc
  .record({ type: fc.constantFrom(...EVENT_TYPES), created_at: fc.constant('2026-03-02T09:00:05.000Z'), data: eventData })
  .map((e) => JSON.stringify(e));

const anyBody = fc.oneof({ arbitrary: wellFormedEvent, weight: 3 }, signedEvent, fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 }), fc.constant(''));

const headerMode = fc.constantFrom('valid', 'valid', 'valid', 'stale', 'wrong-secret', 'garbage', 'none', 'replay');

describe('POST /webhooks/resend under random input', () => {
  it('never answers 5xx', async () => {
    const t = testApp({ now: new Date(NOW_S * 1000).toISOString(), config: testConfig({ resendWebhookSecret: SECRET }) });
    const sub = t.db
      .insert(subscribers)
      .values({ email: 'reader@example.org', emailHash: emailHash(TEST_SECRET, 'reader@example.org'), timezone: 'UTC', status: 'active', createdAt: 1, updatedAt: 1 })
      .returning()
      .get();
    t.db.insert(deliveries).values({ subscriberId: sub.id, kind: 'sequence', sequence: 'education', step: 1, templateId: '01-welcome', subject: 's', status: 'sent', providerId: 'em_1', createdAt: 1 }).run();

    await fc.assert(
      fc.asyncProperty(anyBody, headerMode, fc.string({ maxLength: 40 }), async (body, mode, junk) => {
        let headers: Record<string, string>;
        if (mode === 'valid') headers = svixHeaders(SECRET, body, { timestampSeconds: NOW_S });
        else if (mode === 'replay') headers = svixHeaders(SECRET, body, { id: 'msg_fixed', timestampSeconds: NOW_S });
        else if (mode === 'stale') headers = svixHeaders(SECRET, body, { timestampSeconds: NOW_S - 3600 });
        else if (mode === 'wrong-secret') headers = svixHeaders(newWebhookSecret(), body, { timestampSeconds: NOW_S });
        else if (mode === 'garbage') headers = { 'svix-id': junk, 'svix-timestamp': junk, 'svix-signature': junk, 'content-type': 'application/json' };
        else headers = { 'content-type': 'application/json' };
        const res = await t.app.request('/webhooks/resend', { method: 'POST', headers, body });
        expect(res.status, `${mode} ${body.slice(0, 80)}`).toBeLessThan(500);
        if (res.status >= 400) {
          const json = (await res.json()) as { error: { code: string; message: string } };
          expect(typeof json.error.code).toBe('string');
          expect(typeof json.error.message).toBe('string');
        }
        if (mode === 'wrong-secret' || mode === 'garbage' || mode === 'none' || mode === 'stale') expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 1500 },
    );
    expect(t.logs.filter((l) => l.msg === 'unhandled error')).toEqual([]);
  });
});
