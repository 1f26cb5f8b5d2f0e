import type { SequenceStore } from '../stores.js';
import type { PublishedVersion, SequenceId, VersionHeadcount } from '../types.js';
import type { SqliteDb } from './client.js';

export function sqliteSequenceStore(db: SqliteDb): SequenceStore {
  const sql = db.$client;
  const published = sql.prepare<[SequenceId], PublishedVersion>(
    'SELECT version, coalesce(plan, version) AS plan, published_at AS publishedAt, published_by AS publishedBy FROM sequence_versions WHERE sequence = ? ORDER BY version',
  );
  const publish = sql.prepare<{ sequence: SequenceId; version: number; by: string; now: number; plan: number | null }>(`
    INSERT INTO sequence_versions (sequence, version, published_at, published_by, plan)
    SELECT @sequence, @version, @now, @by, @plan WHERE @version > (SELECT coalesce(max(version), 0) FROM sequence_versions WHERE sequence = @sequence)`);
  const headcount = sql.prepare<[SequenceId], VersionHeadcount>(`
    SELECT e.version, CASE WHEN e.next_send_at IS NULL THEN NULL ELSE e.next_step END AS step, count(*) AS count
    FROM enrolments e JOIN subscribers s ON s.id = e.subscriber_id
    WHERE e.sequence = ? AND s.status = 'active' AND e.next_step IS NOT NULL
    GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST`);
  return {
    async published(sequence) {
      return published.all(sequence);
    },
    async publish(sequence, version, by, now, plan) {
      return sql.transaction(() => publish.run({ sequence, version, by, now, plan: plan === undefined || plan === version ? null : plan }).changes > 0).immediate();
    },
    async headcount(sequence) {
      return headcount.all(sequence);
    },
  };
}
