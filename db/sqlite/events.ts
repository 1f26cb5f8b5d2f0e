import { and, eq, isNull } from 'drizzle-orm';
import type { ProviderEventStore } from '../stores.js';
import type { Classification, ComplaintFigures, EventResult, FlaggedEventCount, PageClick, SequenceId, ProviderEventInput, RecordedEvent } from '../types.js';
import type { SqliteDb } from './client.js';
import { deliveries, providerEvents, subscribers } from './schema.js';
import { suppressIn } from './subscribers.js';

export function sqliteEventStore(db: SqliteDb): ProviderEventStore {
  const sql = db.$client;
  const others = sql.prepare<{ deliveryId: number; eventId: string }, RecordedEvent>(`
    SELECT id, type, occurred_at AS occurredAt, json_extract(detail, '$.link') AS link, flag
    FROM provider_events WHERE delivery_id = @deliveryId AND id <> @eventId`);
  const flagEvent = sql.prepare<{ id: string; deliveryId: number; flag: string; reason: string }>(
    'UPDATE provider_events SET flag = @flag, flag_reason = @reason WHERE id = @id AND delivery_id = @deliveryId AND flag IS NULL',
  );
  // The delivery's open and click times, from its unflagged events only.
  const engagementTimes = sql.prepare<{ deliveryId: number }>(`
    UPDATE deliveries SET
      opened_at = (SELECT min(occurred_at) FROM provider_events WHERE delivery_id = @deliveryId AND type = 'email.opened' AND flag IS NULL),
      clicked_at = (SELECT min(occurred_at) FROM provider_events WHERE delivery_id = @deliveryId AND type = 'email.clicked' AND flag IS NULL)
    WHERE id = @deliveryId`);

  /**
   * The event id (svix-id) is the primary key of provider_events, so a replay
   * changes nothing. Timestamps on the delivery are set the first time only
   * (opens and clicks: by unflagged events). The write lock of the immediate
   * transaction serialises events, so a classification sees every earlier one.
   */
  const record = sql.transaction((e: ProviderEventInput): EventResult => {
    const delivery = e.providerId
      ? db
          .select({ id: deliveries.id, subscriberId: deliveries.subscriberId, sentAt: deliveries.sentAt, deliveredAt: deliveries.deliveredAt })
          .from(deliveries)
          .where(eq(deliveries.providerId, e.providerId))
          .get()
      : undefined;
    const inserted = db
      .insert(providerEvents)
      .values({ id: e.eventId, type: e.type, providerId: e.providerId, deliveryId: delivery?.id ?? null, occurredAt: e.occurredAt, receivedAt: e.receivedAt, detail: JSON.stringify(e.detail) })
      .onConflictDoNothing()
      .run();
    if (inserted.changes === 0) return { outcome: 'duplicate' };
    const decided: Classification = e.classify
      ? e.classify({ delivery: delivery ? { sentAt: delivery.sentAt, deliveredAt: delivery.deliveredAt } : null, others: delivery ? others.all({ deliveryId: delivery.id, eventId: e.eventId }) : [] })
      : { flag: null, alsoFlag: [] };
    if (decided.flag) db.update(providerEvents).set({ flag: decided.flag.flag, flagReason: decided.flag.reason }).where(eq(providerEvents.id, e.eventId)).run();
    if (delivery && e.column && !decided.flag) {
      db.update(deliveries)
        .set({ [e.column]: e.occurredAt })
        .where(and(eq(deliveries.id, delivery.id), isNull(deliveries[e.column])))
        .run();
    }
    if (delivery && decided.alsoFlag.length > 0) {
      for (const other of decided.alsoFlag) flagEvent.run({ id: other.id, deliveryId: delivery.id, flag: other.flag.flag, reason: other.flag.reason });
      engagementTimes.run({ deliveryId: delivery.id });
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
  const clicks = sql.prepare<{ base: string; under: string; sequence: SequenceId }, { step: number; n: number }>(`
    SELECT d.step AS step, count(*) AS n
    FROM provider_events e JOIN deliveries d ON d.id = e.delivery_id
    WHERE e.type = 'email.clicked' AND d.kind = 'sequence' AND d.sequence = @sequence AND e.flag IS NULL
      AND (json_extract(e.detail, '$.link') = @base OR substr(json_extract(e.detail, '$.link'), 1, length(@under)) = @under)
    GROUP BY d.step`);
  const pageClicks = sql.prepare<{ base: string; under: string; afterAt: number; afterId: string; upTo: number; limit: number }, PageClick>(`
    SELECT e.id AS eventId, e.received_at AS receivedAt, d.subscriber_id AS subscriberId
    FROM provider_events e JOIN deliveries d ON d.id = e.delivery_id
    WHERE e.type = 'email.clicked' AND e.flag IS NULL AND d.subscriber_id IS NOT NULL
      AND (e.received_at > @afterAt OR (e.received_at = @afterAt AND e.id > @afterId)) AND e.received_at <= @upTo
      AND (json_extract(e.detail, '$.link') = @base OR substr(json_extract(e.detail, '$.link'), 1, length(@under)) = @under)
    ORDER BY e.received_at, e.id
    LIMIT @limit`);
  const figures = db.$client.prepare<[{ deliveredSince: number; complainedSince: number }], ComplaintFigures>(`
    SELECT (SELECT count(*) FROM deliveries WHERE delivered_at >= @deliveredSince) AS delivered,
           (SELECT count(*) FROM deliveries WHERE complained_at >= @complainedSince) AS complained`);
  const flagged = sql.prepare<[SequenceId], FlaggedEventCount>(`
    SELECT d.step AS step, e.type AS type, e.flag AS flag, e.flag_reason AS reason, count(*) AS count
    FROM provider_events e JOIN deliveries d ON d.id = e.delivery_id
    WHERE e.flag IS NOT NULL AND d.kind = 'sequence' AND d.sequence = ?
    GROUP BY d.step, e.type, e.flag, e.flag_reason
    ORDER BY d.step, e.type, e.flag, e.flag_reason`);
  return {
    async complaintFigures(deliveredSince, complainedSince) {
      return figures.get({ deliveredSince: Math.floor(deliveredSince), complainedSince: Math.floor(complainedSince) })!;
    },
    async record(event) {
      return record.immediate(event);
    },
    async clicksOnPageByStep(page, sequence) {
      const base = page.replace(/\/+$/, '');
      const rows = clicks.all({ base, under: `${base}/`, sequence });
      return new Map(rows.map((r) => [r.step, r.n]));
    },
    async pageClicks(page, after, upTo, limit) {
      const base = page.replace(/\/+$/, '');
      return pageClicks.all({ base, under: `${base}/`, afterAt: after.receivedAt, afterId: after.eventId, upTo, limit });
    },
    async flaggedByStep(sequence) {
      return flagged.all(sequence);
    },
  };
}
