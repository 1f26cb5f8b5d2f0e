import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { subscribers, type Subscriber } from '../../db/schema.js';
import { maskEmail } from '../logger.js';
import { emailHash } from '../mail/address.js';
import { recordActivity } from './activity.js';
import type { ConfirmationJob } from './confirmation-queue.js';
import type { SignupSource } from './consent.js';
import type { RequestMeta, SubscriberDeps } from './deps.js';
import { groupCommit } from './group-commit.js';
import { signupQueries } from './signup-queries.js';
import type { SignupInput } from './signup-input.js';

/** At most one confirmation email per address in this interval. */
export const CONFIRMATION_INTERVAL_MS = 10 * 60 * 1000;

/**
 * What a signup does, by the address's state. The caller answers the same
 * whatever this is, so nobody learns whether an address is on the list.
 */
export type SignupAction =
  | { kind: 'create' } // new address: pending, confirmation sent
  | { kind: 'resend' } // still pending, last confirmation long enough ago
  | { kind: 'reopen'; send: boolean } // unsubscribed: pending again, new links, fresh double opt-in
  | { kind: 'none'; reason: 'recently_sent' | 'already_subscribed' | 'suppressed' };

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

// The real subject is filled in once the email is rendered.
const CONFIRMATION_SUBJECT_PENDING = '(confirmation email)';

export type SignupRequest = SignupInput & RequestMeta & { source: SignupSource };

/** The signup's writes, synchronous: run as one unit inside a group commit. */
function recordSignup(db: Db, req: SignupRequest, hash: string, now: number): { action: SignupAction; send: ConfirmationJob | null } {
  const q = signupQueries(db);
  const existing = q.subscriberByHash.get({ hash });
  const suppressed = q.suppression.get({ hash }) !== undefined;
  const action = decideSignup(existing, suppressed, now);
  const signupFields = {
    email: req.email,
    firstName: req.firstName,
    timezone: req.timezone,
    source: req.source,
    signupIp: req.ip,
    signupUserAgent: req.userAgent,
    updatedAt: now,
  };

  let subscriber: Subscriber | undefined;
  let send = false;
  if (action.kind === 'create') {
    subscriber = q.insertPending.get({ ...signupFields, hash, ip: req.ip, userAgent: req.userAgent, now })!;
    q.insertActivity.run({ subscriberId: subscriber.id, type: 'signup', at: now, detail: JSON.stringify({ source: req.source }) });
    send = true;
  } else if (action.kind === 'resend') {
    // Same links as before (same generation); the details typed this time win.
    subscriber = db
      .update(subscribers)
      .set({ ...signupFields, confirmationSentAt: now })
      .where(eq(subscribers.id, existing!.id))
      .returning()
      .get();
    send = true;
  } else if (action.kind === 'reopen') {
    subscriber = db
      .update(subscribers)
      .set({
        ...signupFields,
        status: 'pending',
        tokenGeneration: existing!.tokenGeneration + 1,
        ...(action.send ? { confirmationSentAt: now } : {}),
      })
      .where(eq(subscribers.id, existing!.id))
      .returning()
      .get();
    recordActivity(db, subscriber.id, 'signup', now, { source: req.source, resubscribe: true });
    send = action.send;
  }

  if (!subscriber || !send) return { action, send: null };
  const delivery = q.insertConfirmationDelivery.get({ subscriberId: subscriber.id, subject: CONFIRMATION_SUBJECT_PENDING, now })!;
  return { action, send: { subscriber, deliveryId: delivery.id } };
}

/**
 * Records a signup and, when the decision says so, queues the confirmation
 * email (sent off the request path). Returns the decision (for logs and tests only).
 */
export async function subscribe(deps: SubscriberDeps, req: SignupRequest): Promise<SignupAction> {
  const { db, config, clock, logger } = deps;
  const now = clock.now();
  const hash = emailHash(config.secretKey, req.email);

  // One savepoint per signup inside a group commit: all of it or none of it.
  const result = await groupCommit(db).run(() => recordSignup(db, req, hash, now));

  logger.info({ to: maskEmail(req.email), action: result.action.kind, reason: 'reason' in result.action ? result.action.reason : undefined }, 'signup');
  if (result.send) deps.confirmations.enqueue(result.send);
  return result.action;
}
