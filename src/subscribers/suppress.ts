import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { subscribers, suppressions } from '../../db/schema.js';
import { recordActivity } from './activity.js';

export type SuppressionReason = 'bounced' | 'complained' | 'suppressed';

/**
 * Never mail this address again: adds its hash to `suppressions` and, when a
 * subscriber has it, ends their sequence (status 'suppressed', nothing
 * scheduled) and notes why in their activity. An erased subscriber keeps the
 * 'erased' status; the hash alone is enough to keep them unmailed.
 */
export function suppressAddress(
  db: Db,
  input: { emailHash: string; reason: SuppressionReason; at: number; detail?: Record<string, unknown> },
): { subscriberId: number | null; newlySuppressed: boolean } {
  const { emailHash, reason, at, detail } = input;
  // better-sqlite3 is synchronous: everything on `db` inside runs in this
  // transaction (a savepoint when the caller already holds one).
  return db.transaction(() => {
    db.insert(suppressions).values({ emailHash, reason, createdAt: at }).onConflictDoNothing().run();
    const sub = db.select({ id: subscribers.id, status: subscribers.status }).from(subscribers).where(eq(subscribers.emailHash, emailHash)).get();
    if (!sub) return { subscriberId: null, newlySuppressed: false };
    const newlySuppressed = sub.status !== 'suppressed' && sub.status !== 'erased';
    if (newlySuppressed) {
      db.update(subscribers)
        .set({ status: 'suppressed', suppressedAt: at, suppressedReason: reason, nextStep: null, nextSendAt: null, updatedAt: at })
        .where(eq(subscribers.id, sub.id))
        .run();
    }
    recordActivity(db, sub.id, reason, at, detail);
    return { subscriberId: sub.id, newlySuppressed };
  });
}
