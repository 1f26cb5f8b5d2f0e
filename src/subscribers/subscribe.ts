import type { SignupAction, Subscriber } from '../../db/types.js';
import { maskEmail } from '../logger.js';
import { emailHash } from '../mail/address.js';
import type { SignupSource } from './consent.js';
import type { RequestMeta, SubscriberDeps } from './deps.js';
import type { SignupInput } from './signup-input.js';

export type { SignupAction } from '../../db/types.js';

/** At most one confirmation email per address in this interval. */
export const CONFIRMATION_INTERVAL_MS = 10 * 60 * 1000;

/**
 * What a signup does, by the address's state. The caller answers the same
 * whatever this is, so nobody learns whether an address is on the list.
 */
export function decideSignup(existing: Pick<Subscriber, 'status' | 'confirmationSentAt'> | undefined, suppressed: boolean, now: number): SignupAction {
  if (suppressed) return { kind: 'none', reason: 'suppressed' };
  if (!existing) return { kind: 'create' };
  const canSend = existing.confirmationSentAt === null || now - existing.confirmationSentAt >= CONFIRMATION_INTERVAL_MS;
  switch (existing.status) {
    case 'pending':
      return canSend ? { kind: 'resend' } : { kind: 'none', reason: 'recently_sent' };
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
  const outcome = await stores.subscribers.signup(
    { email: req.email, emailHash: emailHash(config.secretKey, req.email), firstName: req.firstName, timezone: req.timezone, reader: req.reader, source: req.source, ip: req.ip, userAgent: req.userAgent, now },
    (existing, suppressed) => decideSignup(existing, suppressed, now),
  );
  const { action } = outcome;
  logger.info({ to: maskEmail(req.email), action: action.kind, reason: 'reason' in action ? action.reason : undefined }, 'signup');
  if (outcome.confirmationDeliveryId !== null) deps.worker?.kick();
  return action;
}
