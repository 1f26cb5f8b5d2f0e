import { and, eq } from 'drizzle-orm';
import { deliveries, subscribers, suppressions, type Subscriber } from '../../db/schema.js';
import { maskEmail } from '../logger.js';
import { emailHash } from '../mail/address.js';
import { renderConfirmationEmail } from '../mail/render.js';
import { recordActivity } from './activity.js';
import type { SignupSource } from './consent.js';
import type { RequestMeta, SubscriberDeps } from './deps.js';
import { confirmUrl, unsubscribeUrl } from './links.js';
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

export function decideSignup(
  existing: Pick<Subscriber, 'status' | 'confirmationSentAt'> | undefined,
  suppressed: boolean,
  now: number,
): SignupAction {
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

/**
 * Records a signup and, when the decision says so, queues the confirmation
 * email in the background. Returns the decision (for logs and tests only).
 */
export function subscribe(deps: SubscriberDeps, req: SignupRequest): SignupAction {
  const { db, config, clock, logger } = deps;
  const now = clock.now();
  const hash = emailHash(config.secretKey, req.email);

  const result = db.transaction((tx) => {
    const existing = tx.select().from(subscribers).where(eq(subscribers.emailHash, hash)).get();
    const suppressed = tx.select({ h: suppressions.emailHash }).from(suppressions).where(eq(suppressions.emailHash, hash)).get() !== undefined;
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
      subscriber = tx
        .insert(subscribers)
        .values({ ...signupFields, emailHash: hash, status: 'pending', createdAt: now, confirmationSentAt: now })
        .returning()
        .get();
      recordActivity(tx, subscriber.id, 'signup', now, { source: req.source });
      send = true;
    } else if (action.kind === 'resend') {
      // Same links as before (same generation); the details typed this time win.
      subscriber = tx
        .update(subscribers)
        .set({ ...signupFields, confirmationSentAt: now })
        .where(eq(subscribers.id, existing!.id))
        .returning()
        .get();
      send = true;
    } else if (action.kind === 'reopen') {
      subscriber = tx
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
      recordActivity(tx, subscriber.id, 'signup', now, { source: req.source, resubscribe: true });
      send = action.send;
    }

    if (!subscriber || !send) return { action, send: null };
    const delivery = tx
      .insert(deliveries)
      .values({ subscriberId: subscriber.id, kind: 'confirmation', step: 0, templateId: 'confirmation', subject: CONFIRMATION_SUBJECT_PENDING, status: 'queued', createdAt: now })
      .returning({ id: deliveries.id })
      .get();
    return { action, send: { subscriber, deliveryId: delivery.id } };
  });

  logger.info({ to: maskEmail(req.email), action: result.action.kind, reason: 'reason' in result.action ? result.action.reason : undefined }, 'signup');
  if (result.send) {
    const { subscriber, deliveryId } = result.send;
    deps.background.run('confirmation email', () => sendConfirmation(deps, subscriber, deliveryId));
  }
  return result.action;
}

/**
 * Renders and sends one confirmation email and records the outcome. A failed
 * send clears confirmationSentAt, so the person can ask again at once instead
 * of waiting out the interval for an email that never left.
 */
export async function sendConfirmation(deps: SubscriberDeps, s: Subscriber, deliveryId: number): Promise<void> {
  const { db, config, clock, transport, logger } = deps;
  const to = s.email!;
  let subject: string | undefined;
  try {
    const rendered = await renderConfirmationEmail({
      ...(s.firstName ? { firstName: s.firstName } : {}),
      confirmUrl: confirmUrl(config, s, clock.now()),
      unsubscribeUrl: unsubscribeUrl(config, s),
      postalAddress: config.postalAddress,
    });
    subject = rendered.subject;
    const sent = await transport.send(
      { from: config.mailFrom, to, subject: rendered.subject, html: rendered.html, text: rendered.text },
      { idempotencyKey: `confirmation-${deliveryId}` },
    );
    const at = clock.now();
    db.transaction((tx) => {
      tx.update(deliveries).set({ subject: rendered.subject, status: 'sent', providerId: sent.id, sentAt: at }).where(eq(deliveries.id, deliveryId)).run();
      recordActivity(tx, s.id, 'confirmation_sent', at);
    });
    logger.info({ subscriberId: s.id, to: maskEmail(to), deliveryId }, 'confirmation email sent');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    db.transaction((tx) => {
      tx.update(deliveries)
        .set({ status: 'failed', error: message.slice(0, 500), ...(subject ? { subject } : {}) })
        .where(eq(deliveries.id, deliveryId))
        .run();
      tx.update(subscribers)
        .set({ confirmationSentAt: null })
        .where(and(eq(subscribers.id, s.id), eq(subscribers.confirmationSentAt, s.confirmationSentAt!)))
        .run();
    });
    logger.error({ subscriberId: s.id, to: maskEmail(to), deliveryId, err: message }, 'confirmation email failed');
  }
}
