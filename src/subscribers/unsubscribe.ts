import type { LeavingReason, Subscriber, UnsubscribeReason } from '../../db/types.js';
import type { SubscriberDeps } from './deps.js';
import { findByToken } from './lookup.js';

/** `current`: the link is from the person's latest round of emails (an older one may only unsubscribe). */
export type UnsubscribeState =
  | { kind: 'invalid' }
  | { kind: 'unknown' }
  | { kind: 'subscribed'; subscriber: Subscriber; current: boolean }
  | { kind: 'unsubscribed'; subscriber: Subscriber };

const DAY_MS = 24 * 60 * 60 * 1000;

/** The reasons the unsubscribe page offers, in its order and wording (staff read the same words). */
export const UNSUBSCRIBE_REASON_LABELS: Record<UnsubscribeReason, string> = {
  'too-many': 'The emails come too often',
  'not-relevant': 'It is not what I am looking for right now',
  'too-hard': 'The subject is hard for me to read about right now',
  'not-signed-up': 'I did not sign up for these emails',
  other: 'Another reason',
};

/** A reason for leaving as it is counted: under the UTC day it was given, never the moment. */
export function leavingReason(reason: UnsubscribeReason, now: number): LeavingReason {
  return { reason, day: Math.floor(now / DAY_MS) * DAY_MS };
}

// Statuses that may still get mail; everything else is already off the list.
const MAILABLE = ['pending', 'active', 'completed', 'converted'] as const;

export function isMailable(s: Subscriber): boolean {
  return (MAILABLE as readonly string[]).includes(s.status);
}

export async function unsubscribeState(deps: Pick<SubscriberDeps, 'stores' | 'config' | 'clock'>, token: string): Promise<UnsubscribeState> {
  // Links in emails from before a re-subscribe keep working: unsubscribing is never harmful.
  const found = await findByToken(deps.stores.subscribers, deps.config.secretKey, token, 'unsubscribe', deps.clock.now(), true);
  if (found.kind !== 'found') return found;
  return isMailable(found.subscriber) ? { kind: 'subscribed', subscriber: found.subscriber, current: found.current } : { kind: 'unsubscribed', subscriber: found.subscriber };
}

/**
 * Stops all mail to the subscriber, counting the reason they gave (if any)
 * apart from them. Idempotent: a second call changes and counts nothing.
 */
export async function unsubscribe(deps: SubscriberDeps, token: string, method: 'page' | 'one-click', reason?: UnsubscribeReason): Promise<UnsubscribeState> {
  const state = await unsubscribeState(deps, token);
  if (state.kind !== 'subscribed') return state;
  const row = await unsubscribeSubscriber(deps, state.subscriber, method, reason);
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
export async function unsubscribeSubscriber(
  deps: Pick<SubscriberDeps, 'stores' | 'clock' | 'logger'>,
  subscriber: Subscriber,
  method: 'page' | 'one-click' | 'preferences',
  reason?: UnsubscribeReason,
): Promise<Subscriber | undefined> {
  const now = deps.clock.now();
  const row = await deps.stores.subscribers.unsubscribe(subscriber.id, now, { method, from: subscriber.status }, reason ? leavingReason(reason, now) : undefined);
  if (row) deps.logger.info({ subscriberId: row.id, method }, 'subscriber unsubscribed');
  return row;
}
