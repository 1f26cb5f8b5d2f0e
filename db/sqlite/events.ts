import { and, eq, isNull } from 'drizzle-orm';
import type { ProviderEventStore } from '../stores.js';
import type { ComplaintFigures, EventResult, ProviderEventInput } from '../types.js';
import type { SqliteDb } from './client.js';
import { deliveries, providerEvents, subscribers } from './schema.js';
import { suppressIn } from './subscribers.js';

export function sqliteEventStore(db: SqliteDb): ProviderEventStore {
  /**
   * The event id (svix-id) is the primary key of provider_events, so a replay
   * changes nothing. Timestamps on the delivery are set the first time only.
   */
  const record = db.$client.transaction((e: ProviderEventInput): EventResult => {
    const delivery = e.providerId ? db.select({ id: deliveries.id, subscriberId: deliveries.subscriberId }).from(deliveries).where(eq(deliveries.providerId, e.providerId)).get() : undefined;
    const inserted = db
      .insert(providerEvents)
      .values({ id: e.eventId, type: e.type, providerId: e.providerId, deliveryId: delivery?.id ?? null, occurredAt: e.occurredAt, receivedAt: e.receivedAt, detail: JSON.stringify(e.detail) })
      .onConflictDoNothing()
      .run();
    if (inserted.changes === 0) return { outcome: 'duplicate' };
    if (delivery && e.column) {
      db.update(deliveries)
        .set({ [e.column]: e.occurredAt })
        .where(and(eq(deliveries.id, delivery.id), isNull(deliveries[e.column])))
        .run();
    }
    let subscriberId: number | null = null;
    if (e.suppress) {
      // The delivery's subscriber when the event is about one of ours, else the event's own recipients.
      const own = delivery?.subscriberId != null ? db.select({ emailHash: subscribers.emailHash }).from(subscribers).where(eq(subscribers.id, delivery.subscriberId)).get() : undefined;
      for (const hash of own ? [own.emailHash] : e.recipientHashes) {
        const r = suppressIn(db, { emailHash: hash, reason: e.suppress, at: e.occurredAt, detail: { eventId: e.eventId, ...e.detail } });
        subscriberId ??= r.subscriberId;
      }
    }
    return { outcome: 'recorded', deliveryId: delivery?.id ?? null, suppressed: e.suppress, subscriberId };
  });
  // A page and what lies under it ('/book', '/book/', '/book/x'), never a
  // neighbour that only shares its start ('/bookshop').
  const clicks = db.$client.prepare<[string, string, string], { step: number; n: number }>(`
    SELECT d.step AS step, count(*) AS n
    FROM provider_events e JOIN deliveries d ON d.id = e.delivery_id
    WHERE e.type = 'email.clicked' AND d.kind = 'sequence'
      AND (json_extract(e.detail, '$.link') = ? OR substr(json_extract(e.detail, '$.link'), 1, length(?)) = ?)
    GROUP BY d.step`);
  const figures = db.$client.prepare<[{ deliveredSince: number; complainedSince: number }], ComplaintFigures>(`
    SELECT (SELECT count(*) FROM deliveries WHERE delivered_at >= @deliveredSince) AS delivered,
           (SELECT count(*) FROM deliveries WHERE complained_at >= @complainedSince) AS complained`);
  return {
    async complaintFigures(deliveredSince, complainedSince) {
      return figures.get({ deliveredSince: Math.floor(deliveredSince), complainedSince: Math.floor(complainedSince) })!;
    },
    async record(event) {
      return record.immediate(event);
    },
    async clicksOnPageByStep(page) {
      const base = page.replace(/\/+$/, '');
      const rows = clicks.all(base, `${base}/`, `${base}/`);
      return new Map(rows.map((r) => [r.step, r.n]));
    },
  };
}
