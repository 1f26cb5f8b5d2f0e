import type { AddressCorrectionAction, AddressCorrectionFacts, AddressCorrectionOutcome, SubscriberStatus } from '../../db/types.js';
import { addressHashes } from '../address.js';
import { requestWithout } from '../mail/envelope.js';
import { removeOutboxMessagesTo } from '../mail/outbox-reader.js';
import type { Transport } from '../mail/transport.js';
import type { SubscriberDeps } from './deps.js';
import { CONFIRMATION_COUNTER, DAILY_CONFIRMATION_CAP, sentRecently } from './subscribe.js';

export type { AddressCorrectionOutcome } from '../../db/types.js';

/**
 * Whose address staff may correct to a new one. Pending, active (paused
 * too), completed, and suppressed (the usual case: the mistyped address
 * bounced): the new address gets the opt-in email. Unsubscribed too: the
 * unsubscribe came from the old address, and the new one gets only the
 * opt-in email, as staff's "new opt-in" sends (nothing of the series goes
 * before they confirm it themselves). Not converted: their series ended
 * when they booked, and confirming would start it again. Never erased.
 */
export const CORRECTABLE_STATUSES: readonly SubscriberStatus[] = ['pending', 'active', 'completed', 'suppressed', 'unsubscribed'];

/**
 * What correcting a person's address to `email` does, on what the store
 * read in its transaction. The same address in another spelling is only
 * stored as typed (one address is one person: nothing to confirm). A new
 * address is refused when it is another person's (never a silent merge),
 * on the suppression list (bounced, complained or erased), or when a signup
 * would not mail it now (3 confirmation emails a day, 10 minutes apart).
 */
export function decideAddressCorrection(facts: AddressCorrectionFacts, email: string, now: number): AddressCorrectionAction {
  if (facts.sameAddress) return facts.current.email === email ? { kind: 'unchanged' } : { kind: 'respell' };
  if (!CORRECTABLE_STATUSES.includes(facts.current.status)) return { kind: 'refuse', reason: 'not_correctable' };
  if (facts.holderId !== null) return { kind: 'refuse', reason: 'address_in_use' };
  if (facts.suppression !== null) return { kind: 'refuse', reason: 'suppressed_address' };
  if (facts.sentInWindow >= DAILY_CONFIRMATION_CAP) return { kind: 'refuse', reason: 'daily_cap' };
  if (sentRecently(facts.lastSentAt, now)) return { kind: 'refuse', reason: 'recently_sent' };
  return { kind: 'correct' };
}

/**
 * Puts in the address a person meant (`email`, already normalised): the new
 * address gets the confirmation email through the worker, and they are
 * pending until they confirm it; the old address keeps nothing, the outbox's
 * copies of what went to it included.
 */
export async function correctAddress(
  deps: Pick<SubscriberDeps, 'stores' | 'config' | 'clock' | 'worker'> & { transport: Pick<Transport, 'name'> },
  staff: string,
  id: number,
  email: string,
): Promise<AddressCorrectionOutcome> {
  const { stores, config, clock } = deps;
  const now = clock.now();
  const outcome = await stores.subscribers.correctAddress(
    id,
    { email, hashes: addressHashes(config.secretKey, email), now, staff, counter: CONFIRMATION_COUNTER },
    (facts) => decideAddressCorrection(facts, email, now),
    requestWithout,
  );
  if (outcome.ok && outcome.kind === 'corrected') {
    if (deps.transport.name === 'outbox') await removeOutboxMessagesTo(config.outboxDir, outcome.previousEmail);
    deps.worker?.kick();
  }
  return outcome;
}
