import type { Subscriber } from '../../db/types.js';
import type { SubscriberDeps } from './deps.js';
import { findByToken } from './lookup.js';

export type UnsubscribeState = { kind: 'invalid' } | { kind: 'unknown' } | { kind: 'subscribed'; subscriber: Subscriber } | { kind: 'unsubscribed'; subscriber: Subscriber };

// Statuses that may still get mail; everything else is already off the list.
const MAILABLE = ['pending', 'active', 'completed', 'converted'] as const;

export function isMailable(s: Subscriber): boolean {
  return (MAILABLE as readonly string[]).includes(s.status);
}

export async function unsubscribeState(deps: Pick<SubscriberDeps, 'stores' | 'config' | 'clock'>, token: string): Promise<UnsubscribeState> {
  // Links in emails from before a re-subscribe keep working: unsubscribing is never harmful.
  const found = await findByToken(deps.stores.subscribers, deps.config.secretKey, token, 'unsubscribe', deps.clock.now(), true);
  if (found.kind !== 'found') return found;
  return isMailable(found.subscriber) ? { kind: 'subscribed', subscriber: found.subscriber } : { kind: 'unsubscribed', subscriber: found.subscriber };
}

/** Stops all mail to the subscriber. Idempotent: a second call changes nothing. */
export async function unsubscribe(deps: SubscriberDeps, token: string, method: 'page' | 'one-click'): Promise<UnsubscribeState> {
  const state = await unsubscribeState(deps, token);
  if (state.kind !== 'subscribed') return state;
  const row = await unsubscribeSubscriber(deps, state.subscriber, method);
  return row ? { kind: 'unsubscribed', subscriber: row } : unsubscribeState(deps, token);
}

/**
 * Stops all mail on the subscriber's behalf (they asked staff, e.g. by
 * phone), with staff's reason on the activity; undefined when they were not
 * mailable any more (or are gone).
 */
export async function unsubscribeOnBehalf(deps: Pick<SubscriberDeps, 'stores' | 'clock' | 'logger'>, id: number, reason: string, staff: string): Promise<Subscriber | undefined> {
  const s = await deps.stores.subscribers.byId(id);
  if (!s || !isMailable(s)) return undefined;
  const row = await deps.stores.subscribers.unsubscribe(id, deps.clock.now(), { method: 'staff', staff, reason, from: s.status });
  if (row) deps.logger.info({ subscriberId: id, staff }, 'subscriber unsubscribed by staff');
  return row;
}

/** Stops all mail to a subscriber found by a link; undefined when they were no longer mailable. */
export async function unsubscribeSubscriber(deps: Pick<SubscriberDeps, 'stores' | 'clock' | 'logger'>, subscriber: Subscriber, method: 'page' | 'one-click' | 'preferences'): Promise<Subscriber | undefined> {
  const row = await deps.stores.subscribers.unsubscribe(subscriber.id, deps.clock.now(), { method, from: subscriber.status });
  if (row) deps.logger.info({ subscriberId: row.id, method }, 'subscriber unsubscribed');
  return row;
}
