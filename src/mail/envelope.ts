/**
 * A batch's emails as they travel to Resend and as they are kept until they
 * are known to have gone: the request body, its idempotency key, the text it
 * is kept in (payload.ts), and the tag that ties each email (and the
 * provider's answers and events) to its delivery. The stores keep the text
 * and never read it; everything here is this module's.
 */
import crypto from 'node:crypto';
import type { BatchRequest, Envelope, RequestWithout } from '../../db/types.js';
import { canonicalEmail } from '../address.js';
import { batchBody, emailsOfBatchBody } from './batch-body.js';
import { decodePayload, encodePayload } from './payload.js';
import type { EncodedBodies, OutgoingEmail, RequestBody } from './transport.js';

/**
 * The exact request body of a batch, its kept form and the idempotency key
 * derived from that: the same content always gives the same key, so
 * repeating the kept request after a crash is recognised by the provider,
 * and other content never reuses a key. The key is hashed from the kept form
 * (compressed, some 25 KB for a 2 MB body, and as deterministic): it is
 * persisted beside it, so nothing ever derives it again from the body.
 */
export function batchRequest(emails: readonly OutgoingEmail[], encoded?: readonly (EncodedBodies | undefined)[]): BatchRequest {
  const body = batchBody(emails, encoded);
  const payload = encodePayload(body);
  return { body, payload, idempotencyKey: `batch-${crypto.createHash('sha256').update(payload).digest('hex')}` };
}

/**
 * The emails of a kept request and the body that goes (again) with its key:
 * the kept bytes, or for an earlier release's payload (the emails' JSON) the
 * body that release sent for them.
 */
export function openRequest(payload: string): { emails: OutgoingEmail[]; body: RequestBody } {
  const { body, legacy } = decodePayload(payload);
  const emails = emailsOfBatchBody(body);
  return { emails, body: legacy ? batchBody(emails) : [body] };
}

/** The email with the tag that ties it (and the provider's events) to its delivery. */
export function tagDelivery(email: OutgoingEmail, deliveryId: number): OutgoingEmail {
  const tags = (email.tags ?? []).filter((t) => t.name !== 'delivery');
  return { ...email, tags: [...tags, { name: 'delivery', value: String(deliveryId) }] };
}

/** The delivery an email of a batch belongs to (from its tag). */
export function deliveryIdOf(email: OutgoingEmail): number {
  const tag = email.tags?.find((t) => t.name === 'delivery');
  if (!tag) throw new Error('email without a delivery tag');
  return Number(tag.value);
}

/**
 * A kept request without the emails addressed to `email` (any spelling), as a
 * new request (a new body, hence a new key). An unreadable payload is
 * cleared: it could not be sent either way.
 */
export function requestWithout(payload: string, email: string): RequestWithout {
  let emails: OutgoingEmail[];
  try {
    emails = openRequest(payload).emails;
  } catch {
    return { kind: 'cleared' };
  }
  const address = canonicalEmail(email);
  const kept = emails.filter((e) => canonicalEmail(e.to) !== address);
  if (kept.length === emails.length) return { kind: 'unchanged' };
  return kept.length ? { kind: 'rewritten', request: batchRequest(kept) } : { kind: 'cleared' };
}

export const resendEnvelope: Envelope = { seal: batchRequest, open: openRequest, deliveryIdOf, tagDelivery };
