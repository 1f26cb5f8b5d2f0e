import type pg from 'pg';
import type { SequenceStore } from '../stores.js';
import type { PublishedVersion, VersionHeadcount } from '../types.js';
import { transaction } from './client.js';

export function postgresSequenceStore(pool: pg.Pool): SequenceStore {
  return {
    async published(sequence) {
      return (
        await pool.query<PublishedVersion>(
          'SELECT version, coalesce(plan, version) AS plan, published_at AS "publishedAt", published_by AS "publishedBy" FROM sequence_versions WHERE sequence = $1 ORDER BY version',
          [sequence],
        )
      ).rows;
    },
    publish(sequence, version, by, now, plan) {
      return transaction(pool, async (c) => {
        // Two admins publishing at once: one after the other, so versions only move forward.
        await c.query('LOCK TABLE sequence_versions IN SHARE ROW EXCLUSIVE MODE');
        const r = await c.query(
          `INSERT INTO sequence_versions (sequence, version, published_at, published_by, plan)
           SELECT $5, $1, $2, $3, $4 WHERE $1 > (SELECT coalesce(max(version), 0) FROM sequence_versions WHERE sequence = $5)`,
          [version, now, by, plan === undefined || plan === version ? null : plan, sequence],
        );
        return (r.rowCount ?? 0) > 0;
      });
    },
    async headcount(sequence) {
      return (
        await pool.query<VersionHeadcount>(
          `SELECT e.version, CASE WHEN e.next_send_at IS NULL THEN NULL ELSE e.next_step END AS step, count(*)::int AS count
           FROM enrolments e JOIN subscribers s ON s.id = e.subscriber_id
           WHERE e.sequence = $1 AND s.status = 'active' AND e.next_step IS NOT NULL
           GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST`,
          [sequence],
        )
      ).rows;
    },
  };
}
