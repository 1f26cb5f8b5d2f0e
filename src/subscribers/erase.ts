import type { Stores } from '../../db/stores.js';
import type { EraseOutcome } from '../../db/types.js';
import type { Config } from '../config.js';
import { removeOutboxMessagesTo } from '../mail/outbox-reader.js';
import { requestWithout } from '../mail/envelope.js';
import type { Transport } from '../mail/transport.js';

export type { EraseOutcome } from '../../db/types.js';

/**
 * GDPR erasure. Removes the subscriber's personal data everywhere we keep it
 * and keeps only what stops us from mailing them again: the keyed hash of the
 * address on the suppression list. A request not yet sent is rewritten
 * without them.
 */
export function eraseSubscriber(stores: Stores, id: number, now: number): Promise<EraseOutcome | null> {
  return stores.subscribers.erase(id, now, requestWithout);
}

/**
 * Erase, plus the copies outside the database that this service keeps: with
 * the outbox transport, every .eml written to the subscriber (in any
 * spelling) or rendered with their data (a test sent to staff).
 */
export async function eraseSubscriberEverywhere(
  deps: { stores: Stores; transport: Pick<Transport, 'name'>; config: Pick<Config, 'outboxDir'> },
  id: number,
  now: number,
): Promise<(EraseOutcome & { outboxFilesRemoved: number }) | null> {
  const outcome = await eraseSubscriber(deps.stores, id, now);
  if (!outcome) return null;
  const outboxFilesRemoved = outcome.email && deps.transport.name === 'outbox' ? await removeOutboxMessagesTo(deps.config.outboxDir, outcome.email, outcome.providerIds) : 0;
  return { ...outcome, outboxFilesRemoved };
}
