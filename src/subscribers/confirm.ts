import { and, eq } from 'drizzle-orm';
import { deliveries, subscribers, type Subscriber } from '../../db/schema.js';
import { SEQUENCE_LENGTH } from '../nurture/sequence.js';
import { CONSENT } from './consent.js';
import { recordActivity } from './activity.js';
import type { RequestMeta, SubscriberDeps } from './deps.js';
import { findByToken } from './lookup.js';

/** Where a confirmation link stands, for the page that shows it. */
export type ConfirmState =
  | { kind: 'invalid' }
  | { kind: 'unknown' }
  | { kind: 'pending'; subscriber: Subscriber }
  | { kind: 'confirmed'; subscriber: Subscriber } // active, completed or converted
  | { kind: 'unsubscribed'; subscriber: Subscriber }
  | { kind: 'suppressed'; subscriber: Subscriber };

export function confirmState(deps: Pick<SubscriberDeps, 'db' | 'config' | 'clock'>, token: string): ConfirmState {
  const found = findByToken(deps.db, deps.config.secretKey, token, 'confirm', deps.clock.now());
  if (found.kind !== 'found') return found;
  const s = found.subscriber;
  switch (s.status) {
    case 'pending':
      return { kind: 'pending', subscriber: s };
    case 'active':
    case 'completed':
    case 'converted':
      return { kind: 'confirmed', subscriber: s };
    case 'unsubscribed':
      return { kind: 'unsubscribed', subscriber: s };
    default:
      return { kind: 'suppressed', subscriber: s };
  }
}

/** The first step (1-based) with no sequence delivery yet, or null when all went out. */
export function firstUndeliveredStep(deliveredSteps: readonly number[], stepCount: number): number | null {
  const done = new Set(deliveredSteps);
  for (let step = 1; step <= stepCount; step++) if (!done.has(step)) return step;
  return null;
}

/**
 * Confirms a pending subscriber: records the consent (time, IP, user agent,
 * exact wording and its version, source) and schedules the first step not yet
 * delivered for right now. Confirming twice changes nothing.
 */
export function confirmSubscription(deps: SubscriberDeps, token: string, meta: RequestMeta): ConfirmState {
  const state = confirmState(deps, token);
  if (state.kind !== 'pending') return state;
  const { db, clock, logger } = deps;
  const now = clock.now();
  const s = state.subscriber;

  const confirmed = db.transaction((tx) => {
    const sent = tx
      .select({ step: deliveries.step })
      .from(deliveries)
      .where(and(eq(deliveries.subscriberId, s.id), eq(deliveries.kind, 'sequence')))
      .all()
      .map((r) => r.step);
    const nextStep = firstUndeliveredStep(sent, SEQUENCE_LENGTH);
    const row = tx
      .update(subscribers)
      .set({
        status: nextStep === null ? 'completed' : 'active',
        confirmedAt: now,
        consentText: CONSENT.text,
        consentVersion: CONSENT.version,
        consentIp: meta.ip,
        consentUserAgent: meta.userAgent,
        consentSource: s.source ?? 'signup-form',
        nextStep,
        nextSendAt: nextStep === null ? null : now,
        updatedAt: now,
      })
      // Only a row still pending: two clicks at once confirm once.
      .where(and(eq(subscribers.id, s.id), eq(subscribers.status, 'pending')))
      .returning()
      .get();
    if (row) recordActivity(tx, s.id, 'confirmed', now, { consentVersion: CONSENT.version, nextStep });
    return row;
  });

  if (!confirmed) return confirmState(deps, token);
  logger.info({ subscriberId: s.id, nextStep: confirmed.nextStep }, 'subscriber confirmed');
  // Email 1 goes right away rather than at the next cron minute.
  if (confirmed.nextStep !== null) deps.worker?.kick();
  return { kind: 'confirmed', subscriber: confirmed };
}
