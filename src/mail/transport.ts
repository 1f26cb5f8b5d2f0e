import type { OutgoingEmail, RequestBody } from '../../db/types.js';

/** One message as every transport takes it (and a persisted batch holds). */
export type { EncodedBodies, OutgoingEmail, RequestBody } from '../../db/types.js';

export type SendOptions = {
  /** Same key + same request = the provider sends once. */
  idempotencyKey?: string;
  /**
   * For a batch: its request body as batchBody(emails) wrote it and the key
   * was derived from, already persisted. A transport that sends over HTTP
   * sends these bytes instead of serialising the emails again.
   */
  body?: RequestBody;
};

/**
 * One email's outcome. In a batch, an email the provider refused on its own
 * (an invalid or rejected address) comes back as `{ id: '', error }` with a
 * permanent SendError, while the others in the batch were sent: fail only
 * that delivery. A request that fails as a whole throws instead.
 */
export type SentEmail = { id: string; error?: SendError };

/**
 * Rate-limit headers seen on a provider response (success or error), for a
 * pacer: `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` and
 * `retry-after`, the times in milliseconds from now.
 */
export type RateLimitInfo = { limit?: number; remaining?: number; resetMs?: number; retryAfterMs?: number };

/**
 * Why a send failed, so the worker knows what to do next:
 * - rate_limited: wait retryAfterMs, then retry
 * - transient: 5xx, timeout, reset: retry with backoff
 * - permanent: the request itself is wrong (422, invalid address): do not retry
 * - quota: the daily or monthly quota is spent: pause until it resets
 * - conflict: idempotency key reused with a different body (a bug on our side)
 */
export type SendFailureKind = 'rate_limited' | 'transient' | 'permanent' | 'quota' | 'conflict';

export class SendError extends Error {
  constructor(
    readonly kind: SendFailureKind,
    message: string,
    // local: failed on this machine before anything left (an outbox write), so the outcome is known.
    readonly details: { statusCode?: number; retryAfterMs?: number; providerCode?: string; local?: boolean } = {},
  ) {
    super(message);
    this.name = 'SendError';
  }
}

export interface Transport {
  readonly name: 'outbox' | 'resend' | 'memory';
  /** Up to 100 emails in one request; results are in the order given. */
  sendBatch(emails: OutgoingEmail[], options?: SendOptions): Promise<SentEmail[]>;
}

export const MAX_BATCH_SIZE = 100;
