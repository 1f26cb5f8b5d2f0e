import type { Stores } from '../../db/stores.js';
import type { Subscriber, SubscriberPage, SubscriberQuery, SubscriberRecord } from '../../db/types.js';
import { canonicalEmail } from '../address.js';

export { PAGE_SIZE, type SubscriberListItem, type SubscriberPage, type SubscriberQuery, type SubscriberRecord } from '../../db/types.js';
export const MAX_QUERY_LENGTH = 254;

/**
 * Subscribers matching an address substring and/or a status, newest first
 * (id breaks ties, so pages are stable), 50 a page, with counts per status.
 */
/** A page of the list; `paused`: only those whose pause is running at `now`. */
export function listSubscribers(stores: Stores, query: Omit<SubscriberQuery, 'pausedAt'> & { paused?: boolean }, now: number): Promise<SubscriberPage> {
  const { paused, ...rest } = query;
  return stores.subscribers.list(paused ? { ...rest, pausedAt: now } : rest);
}

/** The subscriber with this address, in any spelling of it; null when none has it (an erased person has no address any more). */
export async function subscriberWithAddress(stores: Stores, address: string): Promise<number | null> {
  const wanted = canonicalEmail(address);
  const hit = (await stores.subscribers.list({ q: address.trim() })).items.find((s) => s.email !== null && canonicalEmail(s.email) === wanted);
  return hit?.id ?? null;
}

export async function getSubscriber(stores: Stores, id: number): Promise<Subscriber | undefined> {
  return stores.subscribers.byId(id);
}

/** Everything stored about one subscriber: the row, each delivery with its provider events, the activity history. */
export function subscriberRecord(stores: Stores, id: number): Promise<SubscriberRecord | null> {
  return stores.subscribers.record(id);
}

/**
 * Marks a subscriber converted (booked a consult): their sequence ends.
 * Idempotent. An unsubscribed or suppressed subscriber keeps that status (it
 * is the stronger stop) but the conversion is recorded; an erased one has
 * nothing left to convert.
 */
export function markConverted(stores: Stores, id: number, now: number) {
  return stores.subscribers.markConverted(id, now);
}
