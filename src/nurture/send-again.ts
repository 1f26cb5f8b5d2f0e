/**
 * Sending one sequence step again to a person who asked staff for it (lost
 * it, deleted it). It is a 'resend' delivery of its own: it goes through the
 * worker like every email, but it is not the step being received, so the
 * sequence's schedule, its once-only guard and its numbers are untouched.
 */
import type { BatchItem, OutgoingEmail, ResendFacts, ResendRefusal, SubscriberStatus } from '../../db/types.js';

/**
 * Who may get a step again: anyone who had the series and did not leave it.
 * Pending people never had a step; unsubscribed, suppressed and erased ones
 * are never mailed.
 */
export const RESENDABLE_STATUSES: readonly SubscriberStatus[] = ['active', 'completed', 'converted'];

/** How long after a step was asked for again it may be asked for again. */
export const RESEND_SPACING_MS = 60 * 60 * 1000;

/**
 * Why a resend must not be queued at `now`, or null. Only a step that already
 * went to them: sending one ahead of their schedule would have it arrive
 * twice. Only one resend of theirs waits at a time, and the same step goes
 * again at most once an hour, so a double click, an impatient second request
 * or a second member of staff answering the same call never mails them twice.
 */
export function decideResend(f: ResendFacts, now: number): ResendRefusal | null {
  if (!RESENDABLE_STATUSES.includes(f.status) || !f.hasEmail) return 'not_mailable';
  if (f.suppressed) return 'suppressed';
  if (!f.stepSent) return 'step_not_sent';
  if (f.resendQueued) return 'resend_queued';
  if (f.lastResentAt !== null && now - f.lastResentAt < RESEND_SPACING_MS) return 'resent_recently';
  return null;
}

/** Why a queued resend must not go any more (they left since it was asked for), or null. */
export function resendDropReason(item: Pick<BatchItem, 'status'>): string | null {
  return item.status !== null && RESENDABLE_STATUSES.includes(item.status) ? null : (item.status ?? 'erased');
}

/** The step's email as a resend: the same message, tagged apart from the sequence for the provider's logs and webhooks. */
export function asResend(email: OutgoingEmail): OutgoingEmail {
  return { ...email, tags: (email.tags ?? []).map((t) => (t.name === 'category' ? { ...t, value: 'resend' } : t)) };
}
