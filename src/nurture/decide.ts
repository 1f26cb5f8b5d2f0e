/**
 * The worker's decisions, as pure functions of rows and time. The tick
 * (tick.ts) reads rows, asks these, and writes what they answer.
 */
import crypto from 'node:crypto';
import type { SubscriberStatus } from '../../db/schema.js';
import type { OutgoingEmail, SendError, SendFailureKind } from '../mail/transport.js';
import { backoffMs } from './pacer.js';
import { nextSend, type ScheduleOptions, type ScheduleStep } from './schedule.js';

/** A subscriber whose next step is due, as the tick reads it. */
export type DueRow = {
  id: number;
  status: SubscriberStatus;
  email: string | null;
  suppressed: boolean;
  timezone: string;
  confirmedAt: number | null;
  nextStep: number;
  lastSentAt: number | null;
};

export type DueAction =
  | { kind: 'send'; step: number }
  /** Not yet: outside the window, or too soon after the last email. */
  | { kind: 'reschedule'; at: number }
  /** Nothing to send any more (not active, no address): clear the schedule. */
  | { kind: 'unschedule' }
  /** The address is on the suppression list: never mail it. */
  | { kind: 'suppress' }
  /** The step is past the end of the sequence. */
  | { kind: 'complete' };

/** The previous email the schedule measures from, for a subscriber about to get `step`. */
function lastBefore(row: Pick<DueRow, 'confirmedAt' | 'lastSentAt'>, sequence: readonly ScheduleStep[], step: number, now: number) {
  const i = sequence.findIndex((s) => s.step === step);
  const previous = i > 0 ? sequence[i - 1] : undefined;
  // No send recorded before a later step (the previous one failed): measure from confirmation.
  return previous ? { step: previous.step, sentAt: row.lastSentAt ?? row.confirmedAt ?? now } : null;
}

/** What to do with a subscriber whose next send time has come. */
export function decideDue(row: DueRow, sequence: readonly ScheduleStep[], now: number, options: ScheduleOptions): DueAction {
  if (row.status !== 'active' || !row.email) return { kind: 'unschedule' };
  if (row.suppressed) return { kind: 'suppress' };
  if (!sequence.some((s) => s.step === row.nextStep)) return { kind: 'complete' };
  const planned = nextSend({ confirmedAt: row.confirmedAt ?? now, timezone: row.timezone, last: lastBefore(row, sequence, row.nextStep, now) }, sequence, now, options);
  if (!planned) return { kind: 'complete' };
  return planned.at > now ? { kind: 'reschedule', at: planned.at } : { kind: 'send', step: row.nextStep };
}

export type AfterSend = { kind: 'next'; step: number; at: number } | { kind: 'complete' };

/** The subscriber's next step once `step` went (or finally failed) at `at`. */
export function decideAfterSend(
  sub: { confirmedAt: number | null; timezone: string },
  sequence: readonly ScheduleStep[],
  step: number,
  at: number,
  options: ScheduleOptions,
): AfterSend {
  const next = nextSend({ confirmedAt: sub.confirmedAt ?? at, timezone: sub.timezone, last: { step, sentAt: at } }, sequence, at, options);
  return next ? { kind: 'next', step: next.step, at: next.at } : { kind: 'complete' };
}

/** Why a queued delivery must not go any more, or null when it may. */
export function dropReason(sub: { status: SubscriberStatus; email: string | null; suppressed: boolean }): string | null {
  if (sub.suppressed) return 'suppressed';
  if (!sub.email) return 'erased';
  if (sub.status !== 'active') return sub.status;
  return null;
}

// ---------------------------------------------------------------------------
// The request

export type SequenceMessage = {
  deliveryId: number;
  subscriberId: number;
  step: number;
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  unsubscribeUrl: string;
};

/** One sequence email as the provider gets it: one-click unsubscribe headers, tags for webhooks. */
export function sequenceEmail(m: SequenceMessage): OutgoingEmail {
  return {
    from: m.from,
    to: m.to,
    subject: m.subject,
    html: m.html,
    text: m.text,
    headers: {
      'List-Unsubscribe': `<${m.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    tags: [
      { name: 'category', value: 'sequence' },
      { name: 'step', value: String(m.step) },
      { name: 'delivery', value: String(m.deliveryId) },
    ],
  };
}

/** The delivery an email of a batch belongs to (from its tag). */
export function deliveryIdOf(email: OutgoingEmail): number {
  const tag = email.tags?.find((t) => t.name === 'delivery');
  if (!tag) throw new Error('sequence email without a delivery tag');
  return Number(tag.value);
}

/**
 * The exact request body of a batch and the idempotency key derived from it:
 * the same content always gives the same key, so repeating the persisted
 * request after a crash is recognised by the provider.
 */
export function batchRequest(emails: OutgoingEmail[]): { payload: string; idempotencyKey: string } {
  const payload = JSON.stringify(emails);
  const idempotencyKey = `batch-${crypto.createHash('sha256').update(payload).digest('hex')}`;
  return { payload, idempotencyKey };
}

// ---------------------------------------------------------------------------
// Failures

export type FailurePlan =
  /** Try the same request again after `waitMs` (rate limit: also hold the pacer). */
  | { kind: 'retry'; waitMs: number; holdPacer: boolean }
  /** Leave the batch for a later tick. */
  | { kind: 'defer'; retryAt: number }
  /** The request itself is refused: split it (or fail its one email). */
  | { kind: 'permanent' }
  /** The account's quota is spent: stop sending until `until`. */
  | { kind: 'quota'; until: number }
  /**
   * The key was used with another body: cannot happen while keys are content
   * hashes. Fail the batch's deliveries rather than risk sending them twice.
   */
  | { kind: 'abandon' };

export const MAX_TRANSIENT_TRIES = 5;
export const MAX_RATE_LIMITED_TRIES = 20;

/** The next UTC midnight after `now` (when a daily quota without `retry-after` resets). */
export function nextUtcMidnight(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/**
 * What to do after a failed attempt. `tries` counts this tick's attempts of
 * this kind so far (1 after the first failure).
 */
export function planFailure(
  err: { kind: SendFailureKind; details: SendError['details'] },
  tries: { transient: number; rateLimited: number },
  now: number,
  random: () => number,
): FailurePlan {
  switch (err.kind) {
    case 'quota':
      return { kind: 'quota', until: now + (err.details.retryAfterMs ?? nextUtcMidnight(now) - now) };
    case 'permanent':
      return { kind: 'permanent' };
    case 'conflict':
      return { kind: 'abandon' };
    case 'rate_limited':
      if (tries.rateLimited >= MAX_RATE_LIMITED_TRIES) return { kind: 'defer', retryAt: now + 60_000 };
      return { kind: 'retry', waitMs: err.details.retryAfterMs ?? backoffMs(tries.rateLimited, random), holdPacer: true };
    case 'transient':
      if (tries.transient >= MAX_TRANSIENT_TRIES) return { kind: 'defer', retryAt: now + 60_000 + backoffMs(tries.transient, random, 1000, 10 * 60_000) };
      return { kind: 'retry', waitMs: backoffMs(tries.transient, random), holdPacer: false };
  }
}
