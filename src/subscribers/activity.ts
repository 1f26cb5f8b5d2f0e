import type { Db } from '../../db/client.js';
import { activity, type ActivityType } from '../../db/schema.js';

/** Appends one line to a subscriber's history; the funnel counts these per day. Works inside a transaction too. */
export function recordActivity(db: Pick<Db, 'insert'>, subscriberId: number | null, type: ActivityType, at: number, detail?: Record<string, unknown>): void {
  db.insert(activity)
    .values({ subscriberId, type, at, detail: detail ? JSON.stringify(detail) : null })
    .run();
}
