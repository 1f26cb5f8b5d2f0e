import type pg from 'pg';
import type { ProviderEventStore } from '../stores.js';
import type { Classification, DeliveryTimes, EventResult, FlaggedEventCount, PageClick, RecordedEvent } from '../types.js';
import { transaction } from './client.js';
import { suppressIn } from './subscribers.js';

const COLUMNS = { deliveredAt: 'delivered_at', delayedAt: 'delayed_at', openedAt: 'opened_at', clickedAt: 'clicked_at', bouncedAt: 'bounced_at', complainedAt: 'complained_at' } as const;

export function postgresEventStore(pool: pg.Pool): ProviderEventStore {
  return {
    record(e) {
      return transaction(pool, async (c): Promise<EventResult> => {
        // FOR UPDATE: events of one delivery are recorded one at a time, so a classification sees every earlier one.
        const delivery = e.providerId
          ? (
              await c.query<{ id: number; subscriberId: number | null } & DeliveryTimes>(
                'SELECT id, subscriber_id AS "subscriberId", sent_at AS "sentAt", delivered_at AS "deliveredAt" FROM deliveries WHERE provider_id = $1 LIMIT 1 FOR UPDATE',
                [e.providerId],
              )
            ).rows[0]
          : undefined;
        const inserted = await c.query(
          'INSERT INTO provider_events (id, type, provider_id, delivery_id, occurred_at, received_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING',
          [e.eventId, e.type, e.providerId, delivery?.id ?? null, e.occurredAt, e.receivedAt, JSON.stringify(e.detail)],
        );
        if (inserted.rowCount === 0) return { outcome: 'duplicate' };
        let decided: Classification = { flag: null, alsoFlag: [] };
        if (e.classify) {
          const others = delivery
            ? (
                await c.query<RecordedEvent>(
                  `SELECT id, type, occurred_at AS "occurredAt", detail::json ->> 'link' AS link, flag
                   FROM provider_events WHERE delivery_id = $1 AND id <> $2`,
                  [delivery.id, e.eventId],
                )
              ).rows
            : [];
          decided = e.classify({ delivery: delivery ? { sentAt: delivery.sentAt, deliveredAt: delivery.deliveredAt } : null, others });
        }
        if (decided.flag) await c.query('UPDATE provider_events SET flag = $2, flag_reason = $3 WHERE id = $1', [e.eventId, decided.flag.flag, decided.flag.reason]);
        if (delivery && e.column && !decided.flag) {
          const column = COLUMNS[e.column];
          await c.query(`UPDATE deliveries SET ${column} = $2 WHERE id = $1 AND ${column} IS NULL`, [delivery.id, e.occurredAt]);
        }
        if (delivery && decided.alsoFlag.length > 0) {
          for (const other of decided.alsoFlag) {
            await c.query('UPDATE provider_events SET flag = $3, flag_reason = $4 WHERE id = $1 AND delivery_id = $2 AND flag IS NULL', [other.id, delivery.id, other.flag.flag, other.flag.reason]);
          }
          // The delivery's open and click times, from its unflagged events only.
          await c.query(
            `UPDATE deliveries SET
               opened_at = (SELECT min(occurred_at) FROM provider_events WHERE delivery_id = $1 AND type = 'email.opened' AND flag IS NULL),
               clicked_at = (SELECT min(occurred_at) FROM provider_events WHERE delivery_id = $1 AND type = 'email.clicked' AND flag IS NULL)
             WHERE id = $1`,
            [delivery.id],
          );
        }
        let subscriberId: number | null = null;
        if (e.suppress) {
          const own = delivery?.subscriberId != null ? (await c.query<{ emailHash: string }>('SELECT email_hash AS "emailHash" FROM subscribers WHERE id = $1', [delivery.subscriberId])).rows[0] : undefined;
          for (const hash of own ? [own.emailHash] : e.recipientHashes) {
            const r = await suppressIn(c, { emailHash: hash, reason: e.suppress, at: e.occurredAt, detail: { eventId: e.eventId, ...e.detail } });
            subscriberId ??= r.subscriberId;
          }
        }
        return { outcome: 'recorded', deliveryId: delivery?.id ?? null, suppressed: e.suppress, subscriberId };
      });
    },
    async complaintFigures(deliveredSince, complainedSince) {
      const r = await pool.query<{ delivered: string; complained: string }>(
        `SELECT (SELECT count(*) FROM deliveries WHERE delivered_at >= $1) AS delivered,
                (SELECT count(*) FROM deliveries WHERE complained_at >= $2) AS complained`,
        [Math.floor(deliveredSince), Math.floor(complainedSince)],
      );
      return { delivered: Number(r.rows[0]!.delivered), complained: Number(r.rows[0]!.complained) };
    },
    async clicksOnPageByStep(page, sequence) {
      const base = page.replace(/\/+$/, '');
      const rows = await pool.query<{ step: number; n: number }>(
        `SELECT d.step, count(*) AS n FROM provider_events e JOIN deliveries d ON d.id = e.delivery_id
         WHERE e.type = 'email.clicked' AND d.kind = 'sequence' AND d.sequence = $3 AND e.detail IS NOT NULL AND e.flag IS NULL
           AND ((e.detail::json ->> 'link') = $1 OR left(e.detail::json ->> 'link', length($2)) = $2)
         GROUP BY d.step`,
        [base, `${base}/`, sequence],
      );
      return new Map(rows.rows.map((r) => [r.step, r.n]));
    },
    async pageClicks(page, after, upTo, limit) {
      const base = page.replace(/\/+$/, '');
      const rows = await pool.query<PageClick>(
        `SELECT e.id AS "eventId", e.received_at AS "receivedAt", d.subscriber_id AS "subscriberId"
         FROM provider_events e JOIN deliveries d ON d.id = e.delivery_id
         WHERE e.type = 'email.clicked' AND e.flag IS NULL AND d.subscriber_id IS NOT NULL AND e.detail IS NOT NULL
           AND (e.received_at, e.id) > ($3, $4) AND e.received_at <= $5
           AND ((e.detail::json ->> 'link') = $1 OR left(e.detail::json ->> 'link', length($2)) = $2)
         ORDER BY e.received_at, e.id
         LIMIT $6`,
        [base, `${base}/`, after.receivedAt, after.eventId, upTo, limit],
      );
      return rows.rows;
    },
    async flaggedByStep(sequence) {
      const rows = await pool.query<FlaggedEventCount>(
        `SELECT d.step, e.type, e.flag, e.flag_reason AS reason, count(*) AS count
         FROM provider_events e JOIN deliveries d ON d.id = e.delivery_id
         WHERE e.flag IS NOT NULL AND d.kind = 'sequence' AND d.sequence = $1
         GROUP BY d.step, e.type, e.flag, e.flag_reason
         ORDER BY d.step, e.type, e.flag, e.flag_reason`,
        [sequence],
      );
      return rows.rows;
    },
  };
}
