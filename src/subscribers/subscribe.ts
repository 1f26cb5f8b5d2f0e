import type { ConfirmationResendOutcome, ConfirmationResendRefusal, SignupAction, Subscriber } from '../../db/types.js';
import { maskEmail } from '../logger.js';
import { addressHashes } from '../address.js';
import type { SignupSource } from './consent.js';
import type { RequestMeta, SubscriberDeps } from './deps.js';
import type { SignupInput } from './signup-input.js';

export type { SignupAction } from '../../db/types.js';

/** At most one confirmation email per address in this interval. */
export const CONFIRMATION_INTERVAL_MS = 10 * 60 * 1000;

/** And at most this many a day, so nobody can fill a stranger's inbox by signing them up again and again. */
export const DAILY_CONFIRMATION_CAP = 3;
const DAY_MS = 24 * 60 * 60 * 1000;
const CAP_PREFIX = 'limit:confirmations:';
/** The per-address counter of confirmation emails a store reads and counts in its transaction (its key: the prefix and the address's hash). */
export const CONFIRMATION_COUNTER = { keyPrefix: CAP_PREFIX, windowMs: DAY_MS };
// Expired daily counters are swept every so many signups (per process).
const SWEEP_EVERY = 1000;
let signupsSinceSweep = 0;

/** A confirmation went at `sentAt` less than CONFIRMATION_INTERVAL_MS before `now` (null: none went). */
export function sentRecently(sentAt: number | null, now: number): boolean {
  return sentAt !== null && now - sentAt < CONFIRMATION_INTERVAL_MS;
}

/**
 * What a signup does, by the address's state. The caller answers the same
 * whatever this is, so nobody learns whether an address is on the list.
 */
export function decideSignup(existing: Pick<Subscriber, 'status' | 'confirmationSentAt'> | undefined, suppression: string | null, now: number, capped = false): SignupAction {
  // An erased person may come back themselves, through the form and a new
  // double opt-in; a bounce or a complaint is for good.
  const erasedOnly = suppression === 'erased' && !existing;
  if (suppression !== null && !erasedOnly) return { kind: 'none', reason: 'suppressed' };
  if (!existing) return capped ? { kind: 'none', reason: 'daily_cap' } : erasedOnly ? { kind: 'create', afterErasure: true } : { kind: 'create' };
  const canSend = !capped && !sentRecently(existing.confirmationSentAt, now);
  switch (existing.status) {
    case 'pending':
      return canSend ? { kind: 'resend' } : { kind: 'none', reason: capped ? 'daily_cap' : 'recently_sent' };
    case 'unsubscribed':
      return { kind: 'reopen', send: canSend };
    case 'active':
    case 'completed':
    case 'converted':
      return { kind: 'none', reason: 'already_subscribed' };
    case 'suppressed':
    case 'erased':
      return { kind: 'none', reason: 'suppressed' };
  }
}

export type SignupRequest = SignupInput & RequestMeta & { source: SignupSource };

/**
 * Records a signup and, when the decision says so, queues the confirmation
 * email in the same transaction (the worker sends it, paced and exactly
 * once). Returns the decision (for logs and tests only).
 */
export async function subscribe(deps: SubscriberDeps, req: SignupRequest): Promise<SignupAction> {
  const { stores, config, clock, logger } = deps;
  const now = clock.now();
  const hashes = addressHashes(config.secretKey, req.email);
  const hash = hashes.emailHash;
  // The day's confirmations are read and counted in the signup's transaction, in the database, so every server sees the same count.
  const confirmations = { key: CAP_PREFIX + hash, windowMs: DAY_MS };
  const outcome = await stores.subscribers.signup(
    { email: req.email, ...hashes, firstName: req.firstName, timezone: req.timezone, reader: req.reader, source: req.source, ip: req.ip, userAgent: req.userAgent, now, confirmations },
    (existing, suppression, sentToday) => decideSignup(existing, suppression, now, sentToday >= DAILY_CONFIRMATION_CAP),
  );
  const { action } = outcome;
  logger.info({ to: maskEmail(req.email), action: action.kind, reason: 'reason' in action ? action.reason : undefined }, 'signup');
  if (outcome.confirmationDeliveryId !== null) deps.worker?.kick();
  if (++signupsSinceSweep >= SWEEP_EVERY) {
    signupsSinceSweep = 0;
    void stores.settings.sweepHits(CAP_PREFIX, now - DAY_MS).catch(() => undefined);
  }
  return action;
}

/**
 * Whether staff may send a confirmation email: again to a pending person, or
 * as a new opt-in to one who unsubscribed (the only way back: they confirm
 * it themselves). The same limits as a signup (10 minutes apart, 3 a day per
 * address), never to a suppressed address.
 */
export function decideConfirmationResend(existing: Pick<Subscriber, 'status' | 'confirmationSentAt'>, suppression: string | null, now: number, capped: boolean): ConfirmationResendRefusal | null {
  if (existing.status !== 'pending' && existing.status !== 'unsubscribed') return 'not_pending';
  if (suppression !== null) return 'suppressed';
  if (capped) return 'daily_cap';
  if (sentRecently(existing.confirmationSentAt, now)) return 'recently_sent';
  return null;
}

/**
 * Queues a confirmation email through the worker like every email: a pending
 * person's again (same links), or an unsubscribed person's new opt-in. The
 * day's count per address is read and counted in the store's transaction.
 */
export async function resendConfirmation(deps: SubscriberDeps, staff: string, id: number): Promise<ConfirmationResendOutcome> {
  const { stores, clock } = deps;
  const now = clock.now();
  const outcome = await stores.subscribers.resendConfirmation(id, { now, staff, counter: CONFIRMATION_COUNTER }, (existing, suppression, sentToday) =>
    decideConfirmationResend(existing, suppression, now, sentToday >= DAILY_CONFIRMATION_CAP),
  );
  if (outcome.ok) deps.worker?.kick();
  return outcome;
}
