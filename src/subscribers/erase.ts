import type { Stores } from '../../db/stores.js';
import type { EraseOutcome } from '../../db/types.js';
import type { Config } from '../config.js';
import { removeOutboxMessagesTo } from '../mail/outbox-reader.js';
import type { OutgoingEmail, Transport } from '../mail/transport.js';
import { batchRequest } from '../nurture/decide.js';

export type { EraseOutcome } from '../../db/types.js';

/**
 * GDPR erasure. Removes the subscriber's personal data everywhere we keep it
 * and keeps only what stops us from mailing them again: the keyed hash of the
 * address on the suppression list. A request not yet sent is rewritten
 * without them.
 */
export function eraseSubscriber(stores: Stores, id: number, now: number): Promise<EraseOutcome | null> {
  return stores.subscribers.erase(id, now, (payload, email) => {
    const rewritten = withoutRecipient(payload, email);
    if (rewritten === null) return null;
    const emails = JSON.parse(rewritten) as OutgoingEmail[];
    return emails.length ? batchRequest(emails) : null;
  });
}

/**
 * A persisted batch payload (JSON: an array of messages, or an object holding
 * one) without the messages addressed to `email`. Unreadable payloads are
 * cleared: the worker cannot send them either way.
 */
export function withoutRecipient(payload: string | null, email: string | null): string | null {
  if (payload === null || !email) return payload;
  const addressedTo = (m: unknown) => {
    const to = m && typeof m === 'object' ? (m as { to?: unknown }).to : undefined;
    return to === email || (Array.isArray(to) && to.includes(email));
  };
  const filter = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((m) => !addressedTo(m)).map(filter);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, filter(x)]));
    return v;
  };
  try {
    return JSON.stringify(filter(JSON.parse(payload)));
  } catch {
    return null;
  }
}

/**
 * Erase, plus the copies outside the database that this service keeps: with
 * the outbox transport, every .eml written to the subscriber.
 */
export async function eraseSubscriberEverywhere(
  deps: { stores: Stores; transport: Pick<Transport, 'name'>; config: Pick<Config, 'outboxDir'> },
  id: number,
  now: number,
): Promise<(EraseOutcome & { outboxFilesRemoved: number }) | null> {
  const outcome = await eraseSubscriber(deps.stores, id, now);
  if (!outcome) return null;
  const outboxFilesRemoved = outcome.email && deps.transport.name === 'outbox' ? await removeOutboxMessagesTo(deps.config.outboxDir, outcome.email) : 0;
  return { ...outcome, outboxFilesRemoved };
}
