import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { subscribers, type SubscriberStatus } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { recordActivity } from './activity.js';

export type ConvertResult =
  | { ok: true; changed: boolean; subscriber: { id: number; status: SubscriberStatus; convertedAt: number } }
  | { ok: false; reason: 'not_found' | 'erased' };

// Statuses that already stop all mail and say more than "converted" would.
const KEEP_STATUS: readonly SubscriberStatus[] = ['unsubscribed', 'suppressed'];

/**
 * Marks a subscriber converted (booked a consult): their sequence ends.
 * Idempotent: a second call changes nothing. An unsubscribed or suppressed
 * subscriber keeps that status (it is the stronger stop) but the conversion
 * is recorded; an erased one has nothing left to convert.
 */
export function markConverted(db: Db, subscriberId: number, clock: Clock): ConvertResult {
  return db.transaction(() => {
    const sub = db
      .select({ id: subscribers.id, status: subscribers.status, convertedAt: subscribers.convertedAt })
      .from(subscribers)
      .where(eq(subscribers.id, subscriberId))
      .get();
    if (!sub) return { ok: false as const, reason: 'not_found' as const };
    if (sub.status === 'erased') return { ok: false as const, reason: 'erased' as const };
    if (sub.convertedAt !== null) return { ok: true as const, changed: false, subscriber: { id: sub.id, status: sub.status, convertedAt: sub.convertedAt } };

    const now = clock.now();
    const status: SubscriberStatus = KEEP_STATUS.includes(sub.status) ? sub.status : 'converted';
    db.update(subscribers).set({ status, convertedAt: now, nextStep: null, nextSendAt: null, updatedAt: now }).where(eq(subscribers.id, sub.id)).run();
    recordActivity(db, sub.id, 'converted', now, { previousStatus: sub.status });
    return { ok: true as const, changed: true, subscriber: { id: sub.id, status, convertedAt: now } };
  });
}
