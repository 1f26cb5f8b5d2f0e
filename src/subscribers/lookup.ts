import type { SubscriberStore } from '../../db/stores.js';
import type { Subscriber } from '../../db/types.js';
import { verifyToken, type TokenPurpose } from '../mail/tokens.js';

/**
 * The subscriber a link points at, or why it points nowhere:
 * invalid = tampered, malformed, wrong purpose or expired;
 * unknown = authentic, but the subscriber is gone or the link was replaced.
 */
export type TokenLookup = { kind: 'invalid' } | { kind: 'unknown' } | { kind: 'found'; subscriber: Subscriber; current: boolean };

/**
 * `acceptOlder`: a link from an earlier round (before a re-subscribe) still
 * counts, found with `current` false. Used for unsubscribe links, which must
 * keep working in old emails.
 */
export async function findByToken(store: SubscriberStore, secret: string, token: string, purpose: TokenPurpose, now: number, acceptOlder = false): Promise<TokenLookup> {
  const claims = verifyToken(secret, token, purpose, now);
  if (!claims) return { kind: 'invalid' };
  const subscriber = await store.byId(claims.subscriberId);
  if (!subscriber) {
    // A row merged into another (one person, two spellings): its links are
    // that person's older links, so only those that accept older ones work.
    const into = acceptOlder ? await store.mergedInto(claims.subscriberId) : null;
    const survivor = into === null ? undefined : await store.byId(into);
    return survivor && survivor.status !== 'erased' ? { kind: 'found', subscriber: survivor, current: false } : { kind: 'unknown' };
  }
  if (subscriber.status === 'erased') return { kind: 'unknown' };
  const current = claims.generation === subscriber.tokenGeneration;
  return current || (acceptOlder && claims.generation < subscriber.tokenGeneration) ? { kind: 'found', subscriber, current } : { kind: 'unknown' };
}
