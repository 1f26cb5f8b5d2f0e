import { and, eq, inArray } from 'drizzle-orm';
import { subscribers, type Subscriber } from '../../db/schema.js';
import { recordActivity } from './activity.js';
import type { SubscriberDeps } from './deps.js';
import { findByToken } from './lookup.js';

export type UnsubscribeState = { kind: 'invalid' } | { kind: 'unknown' } | { kind: 'subscribed'; subscriber: Subscriber } | { kind: 'unsubscribed'; subscriber: Subscriber };

// Statuses that may still get mail; everything else is already off the list.
const MAILABLE = ['pending', 'active', 'completed', 'converted'] as const;

function isMailable(s: Subscriber): boolean {
  return (MAILABLE as readonly string[]).includes(s.status);
}

export function unsubscribeState(deps: Pick<SubscriberDeps, 'db' | 'config' | 'clock'>, token: string): UnsubscribeState {
  // Links in emails from before a re-subscribe keep working: unsubscribing is never harmful.
  const found = findByToken(deps.db, deps.config.secretKey, token, 'unsubscribe', deps.clock.now(), true);
  if (found.kind !== 'found') return found;
  return isMailable(found.subscriber) ? { kind: 'subscribed', subscriber: found.subscriber } : { kind: 'unsubscribed', subscriber: found.subscriber };
}

/** Stops all mail to the subscriber. Idempotent: a second call changes nothing. */
export function unsubscribe(deps: SubscriberDeps, token: string, method: 'page' | 'one-click'): UnsubscribeState {
  const state = unsubscribeState(deps, token);
  if (state.kind !== 'subscribed') return state;
  const { db, clock, logger } = deps;
  const now = clock.now();
  const row = db.transaction((tx) => {
    const updated = tx
      .update(subscribers)
      .set({ status: 'unsubscribed', unsubscribedAt: now, nextStep: null, nextSendAt: null, updatedAt: now })
      .where(and(eq(subscribers.id, state.subscriber.id), inArray(subscribers.status, [...MAILABLE])))
      .returning()
      .get();
    if (updated) recordActivity(tx, updated.id, 'unsubscribed', now, { method, from: state.subscriber.status });
    return updated;
  });
  if (!row) return unsubscribeState(deps, token);
  logger.info({ subscriberId: row.id, method }, 'subscriber unsubscribed');
  return { kind: 'unsubscribed', subscriber: row };
}
