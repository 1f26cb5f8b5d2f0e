import type { Stores } from '../../db/stores.js';
import type { DecideMerge, MergePatch, Subscriber, SubscriberStatus } from '../../db/types.js';
import type { Logger } from '../logger.js';
import { emailHash } from '../address.js';

/** Set once every row carries its address's canonical hash. */
export const CANONICAL_ADDRESSES_DONE = 'migration:canonical-addresses';

// How firmly a state keeps mail away: the stronger one stays after a merge.
const STRENGTH: Record<SubscriberStatus, number> = { pending: 0, active: 1, completed: 1, converted: 2, unsubscribed: 3, suppressed: 4, erased: 5 };

/** When the person last decided something about their mail on this row. */
const lastDecision = (s: Subscriber) => Math.max(s.confirmedAt ?? -Infinity, s.unsubscribedAt ?? -Infinity);

/**
 * Two rows that are one person: the one in the stronger state stays
 * (suppressed over unsubscribed over active over pending), except that a
 * confirmation given after an unsubscribe is the person's later word. Ties go
 * to the older row. The one that stays keeps its schedule and takes the
 * earliest consent and signup time, and a first name if it had none.
 */
export const decideMerge: DecideMerge = (a, b) => {
  const rank = (s: Subscriber, o: Subscriber) => {
    // An unsubscribe the person took back by confirming again (in the other spelling) is weaker than that confirmation.
    if (s.status === 'unsubscribed' && STRENGTH[o.status] === 1 && (o.confirmedAt ?? -Infinity) > (s.unsubscribedAt ?? Infinity)) return 0.5;
    return STRENGTH[s.status];
  };
  const ra = rank(a, b);
  const rb = rank(b, a);
  const [survivor, other] = ra > rb || (ra === rb && (lastDecision(a) < lastDecision(b) || (lastDecision(a) === lastDecision(b) && a.id < b.id))) ? [a, b] : [b, a];
  const patch: MergePatch = { createdAt: Math.min(a.createdAt, b.createdAt) };
  if (survivor.firstName === null && other.firstName !== null) patch.firstName = other.firstName;
  const consentAt = (s: Subscriber) => s.consentGivenAt ?? s.confirmedAt;
  const otherConsent = consentAt(other);
  const ownConsent = consentAt(survivor);
  if (otherConsent !== null && (ownConsent === null || otherConsent < ownConsent)) {
    Object.assign(patch, {
      confirmedAt: survivor.confirmedAt ?? other.confirmedAt,
      consentText: other.consentText,
      consentVersion: other.consentVersion,
      consentIp: other.consentIp,
      consentUserAgent: other.consentUserAgent,
      consentSource: other.consentSource,
      consentGivenAt: otherConsent,
    });
  }
  return { survivorId: survivor.id, patch };
};

/**
 * Moves every row to its address's canonical hash (one person per address,
 * whatever its spelling), merging rows that turn out to be one person. Runs
 * once, at start, after the schema migrations (the hash needs SECRET_KEY,
 * which SQL migrations do not have); safe to run in several processes at once.
 */
export async function canonicaliseAddresses(deps: { stores: Stores; secretKey: string; now: () => number; logger: Logger }): Promise<{ rekeyed: number; merged: number }> {
  const { stores, secretKey, now, logger } = deps;
  const counts = { rekeyed: 0, merged: 0 };
  if ((await stores.settings.get(CANONICAL_ADDRESSES_DONE)) !== null) return counts;
  const moves: { id: number; hash: string }[] = [];
  for await (const s of stores.subscribers.all(1000)) {
    if (s.email === null) continue;
    const hash = emailHash(secretKey, s.email);
    if (hash !== s.emailHash) moves.push({ id: s.id, hash });
  }
  for (const { id, hash } of moves) {
    const at = now();
    const out = await stores.subscribers.rekey(id, hash, at, decideMerge, (survivorId, mergedId) => ({
      at,
      actor: 'system',
      action: 'subscriber.merged',
      subscriberId: survivorId,
      detail: { mergedId },
    }));
    if (out.kind === 'rekeyed') counts.rekeyed++;
    if (out.kind === 'merged') counts.merged++;
  }
  await stores.settings.set(CANONICAL_ADDRESSES_DONE, JSON.stringify(counts), now());
  if (counts.rekeyed + counts.merged > 0) logger.info(counts, 'addresses moved to their canonical form');
  return counts;
}
