import type pg from 'pg';
import type { ProviderEventStore } from '../stores.js';
import type { EventResult } from '../types.js';
import { transaction } from './client.js';
import { suppressIn } from './subscribers.js';

const COLUMNS = { deliveredAt: 'delivered_at', delayedAt: 'delayed_at', openedAt: 'opened_at', clickedAt: 'clicked_at', bouncedAt: 'bounced_at', complainedAt: 'complained_at' } as const;

export function postgresEventStore(pool: pg.Pool): ProviderEventStore {
  return {
    record(e) {
      return transaction(pool, async (c): Promise<EventResult> => {
        const delivery = e.providerId
          ? (await c.query<{ id: number; subscriberId: number | null }>('SELECT id, subscriber_id AS "subscriberId" FROM deliveries WHERE provider_id = $1 LIMIT 1', [e.providerId])).rows[0]
          : undefined;
        const inserted = await c.query(
          'INSERT INTO provider_events (id, type, provider_id, delivery_id, occurred_at, received_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING',
          [e.eventId, e.type, e.providerId, delivery?.id ?? null, e.occurredAt, e.receivedAt, JSON.stringify(e.detail)],
        );
        if (inserted.rowCount === 0) return { outcome: 'duplicate' };
        if (delivery && e.column) {
          const column = COLUMNS[e.column];
          await c.query(`UPDATE deliveries SET ${column} = $2 WHERE id = $1 AND ${column} IS NULL`, [delivery.id, e.occurredAt]);
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
    async clicksOnPageByStep(page) {
      const base = page.replace(/\/+$/, '');
      const rows = await pool.query<{ step: number; n: number }>(
        `SELECT d.step, count(*) AS n FROM provider_events e JOIN deliveries d ON d.id = e.delivery_id
         WHERE e.type = 'email.clicked' AND d.kind = 'sequence' AND e.detail IS NOT NULL
           AND ((e.detail::json ->> 'link') = $1 OR left(e.detail::json ->> 'link', length($2)) = $2)
         GROUP BY d.step`,
        [base, `${base}/`],
      );
      return new Map(rows.rows.map((r) => [r.step, r.n]));
    },
  };
}
