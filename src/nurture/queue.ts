/**
 * The worker's queries: the due set, claims with leases, batches and their
 * outcomes. Every write that must be atomic is one IMMEDIATE transaction, so
 * two workers (or two connections) on one database serialise their claims;
 * the unique (subscriber, step) index on sequence deliveries is the last guard.
 *
 * A claimed subscriber keeps `next_step` (the step in flight) with
 * `next_send_at` null: it is off the due set until its batch is settled,
 * which schedules the following step.
 */
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Db } from '../../db/client.js';
import type { SubscriberStatus } from '../../db/schema.js';
import type { OutgoingEmail } from '../mail/transport.js';
import { batchRequest, decideAfterSend, decideDue, deliveryIdOf, dropReason, type DueAction, type DueRow } from './decide.js';
import type { ScheduleOptions, ScheduleStep } from './schedule.js';

export type QueueStep = ScheduleStep & { templateId: string; subject: string };

/** A queued delivery with what is needed to render and address it. */
export type BatchItem = {
  deliveryId: number;
  step: number;
  subscriberId: number;
  email: string | null;
  firstName: string | null;
  tokenGeneration: number;
  status: SubscriberStatus;
  suppressed: boolean;
  timezone: string;
  confirmedAt: number | null;
};

export type ClaimedBatch = { id: number; attempts: number; payload: string | null; idempotencyKey: string };

/** Per email of a sent batch: its provider id, or the permanent error that failed it. */
export type ItemOutcome = { deliveryId: number; providerId?: string; error?: string };

export type ClaimResult = { batchId: number | null; due: number; rescheduled: number; completed: number; stopped: number };

const QUOTA_KEY = 'quota_paused_until';

export function createQueue(db: Db, options: { sequence: readonly QueueStep[]; schedule: ScheduleOptions }) {
  const sql: Database.Database = db.$client;
  const { sequence, schedule } = options;
  const steps = new Map(sequence.map((s) => [s.step, s]));

  const q = {
    due: sql.prepare<[number, number], Omit<DueRow, 'suppressed'> & { suppressed: 0 | 1 }>(`
      SELECT s.id, s.status, s.email, s.timezone, s.confirmed_at AS confirmedAt, s.next_step AS nextStep,
             s.last_sequence_sent_at AS lastSentAt,
             EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = s.email_hash) AS suppressed
      FROM subscribers s
      WHERE s.next_send_at IS NOT NULL AND s.next_send_at <= ?
      ORDER BY s.next_send_at
      LIMIT ?`),
    newBatch: sql.prepare<[string, string, number, number], { id: number }>(`
      INSERT INTO batches (status, idempotency_key, lease_owner, lease_expires_at, attempts, created_at)
      VALUES ('ready', ?, ?, ?, 0, ?) RETURNING id`),
    deleteBatch: sql.prepare<[number]>('DELETE FROM batches WHERE id = ?'),
    // A dropped delivery (never sent) may be queued again after a re-subscribe.
    queueDelivery: sql.prepare<[number, number, string, string, number, number], { id: number }>(`
      INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, batch_id, created_at)
      VALUES (?, 'sequence', ?, ?, ?, 'queued', ?, ?)
      ON CONFLICT (subscriber_id, step) WHERE kind = 'sequence' DO UPDATE SET
        status = 'queued', batch_id = excluded.batch_id, template_id = excluded.template_id,
        subject = excluded.subject, error = NULL, created_at = excluded.created_at
      WHERE deliveries.status = 'dropped'
      RETURNING id`),
    existingDelivery: sql.prepare<[number, number], { status: string; sentAt: number | null; createdAt: number }>(`
      SELECT status, sent_at AS sentAt, created_at AS createdAt FROM deliveries
      WHERE subscriber_id = ? AND step = ? AND kind = 'sequence'`),
    inFlight: sql.prepare<[number, number]>('UPDATE subscribers SET next_send_at = NULL, updated_at = ? WHERE id = ?'),
    reschedule: sql.prepare<[number, number, number]>('UPDATE subscribers SET next_send_at = ?, updated_at = ? WHERE id = ?'),
    unschedule: sql.prepare<[number, number]>('UPDATE subscribers SET next_step = NULL, next_send_at = NULL, updated_at = ? WHERE id = ?'),
    suppress: sql.prepare<[number, number, number]>(`
      UPDATE subscribers SET status = 'suppressed', suppressed_at = ?, suppressed_reason = 'suppression list',
        next_step = NULL, next_send_at = NULL, updated_at = ? WHERE id = ? AND status = 'active'`),
    scheduleNext: sql.prepare<[number, number, number, number, number]>(`
      UPDATE subscribers SET next_step = ?, next_send_at = ?, updated_at = ?
      WHERE id = ? AND status = 'active' AND next_step = ? AND next_send_at IS NULL`),
    scheduleNextFromDue: sql.prepare<[number, number, number, number]>(`
      UPDATE subscribers SET next_step = ?, next_send_at = ?, updated_at = ? WHERE id = ?`),
    complete: sql.prepare<[number, number, number, number]>(`
      UPDATE subscribers SET status = 'completed', completed_at = ?, next_step = NULL, next_send_at = NULL, updated_at = ?
      WHERE id = ? AND status = 'active' AND next_step = ?`),
    lastSent: sql.prepare<[number, number]>(`
      UPDATE subscribers SET last_sequence_sent_at = max(coalesce(last_sequence_sent_at, 0), ?) WHERE id = ?`),
    activity: sql.prepare<[number, string, number, string | null]>('INSERT INTO activity (subscriber_id, type, at, detail) VALUES (?, ?, ?, ?)'),

    staleBatch: sql.prepare<[number, number], { id: number }>(`
      SELECT id FROM batches
      WHERE status = 'ready' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
        AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
      ORDER BY id LIMIT 1`),
    lease: sql.prepare<[string, number, number]>('UPDATE batches SET lease_owner = ?, lease_expires_at = ? WHERE id = ?'),
    batch: sql.prepare<[number], ClaimedBatch & { status: string; leaseOwner: string | null }>(`
      SELECT id, status, attempts, payload, idempotency_key AS idempotencyKey, lease_owner AS leaseOwner FROM batches WHERE id = ?`),
    items: sql.prepare<[number], Omit<BatchItem, 'suppressed'> & { suppressed: 0 | 1 }>(`
      SELECT d.id AS deliveryId, d.step, s.id AS subscriberId, s.email, s.first_name AS firstName,
             s.token_generation AS tokenGeneration, s.status, s.timezone, s.confirmed_at AS confirmedAt,
             EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = s.email_hash) AS suppressed
      FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
      WHERE d.batch_id = ? AND d.status = 'queued'
      ORDER BY d.id`),
    templateVersion: sql.prepare<[string, number]>('UPDATE deliveries SET template_version = ? WHERE id = ?'),
    beginAttempt: sql.prepare<[number, number]>('UPDATE batches SET attempts = attempts + 1, lease_expires_at = ? WHERE id = ?'),
    persistAttempt: sql.prepare<[string, string, number, number]>(
      'UPDATE batches SET payload = ?, idempotency_key = ?, attempts = attempts + 1, lease_expires_at = ? WHERE id = ?',
    ),
    dropDelivery: sql.prepare<[string, number]>("UPDATE deliveries SET status = 'dropped', error = ? WHERE id = ?"),
    sentDelivery: sql.prepare<[string, number, number]>("UPDATE deliveries SET status = 'sent', provider_id = ?, sent_at = ?, error = NULL WHERE id = ?"),
    failDelivery: sql.prepare<[string, number]>("UPDATE deliveries SET status = 'failed', error = ? WHERE id = ?"),
    batchDone: sql.prepare<[string, number | null, string | null, number]>(`
      UPDATE batches SET status = ?, payload = NULL, sent_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL
      WHERE id = ?`),
    release: sql.prepare<[number | null, string | null, number, string]>(`
      UPDATE batches SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = ?, last_error = coalesce(?, last_error)
      WHERE id = ? AND lease_owner = ?`),
    moveDelivery: sql.prepare<[number, number]>('UPDATE deliveries SET batch_id = ? WHERE id = ?'),
    newPreparedBatch: sql.prepare<[string, string, string, number, number], { id: number }>(`
      INSERT INTO batches (status, idempotency_key, payload, lease_owner, lease_expires_at, attempts, created_at)
      VALUES ('ready', ?, ?, ?, ?, 0, ?) RETURNING id`),
    getState: sql.prepare<[string], { value: string }>('SELECT value FROM worker_state WHERE key = ?'),
    setState: sql.prepare<[string, string, number]>(`
      INSERT INTO worker_state (key, value, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
  };

  const immediate = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const t = sql.transaction(fn);
    return (...args: A): R => t.immediate(...args);
  };

  /** Moves a subscriber on after `step` went or finally failed at `at`. */
  function advance(sub: { subscriberId: number; timezone: string; confirmedAt: number | null }, step: number, at: number, now: number, fromDue: boolean) {
    const next = decideAfterSend(sub, sequence, step, at, schedule);
    if (next.kind === 'next') {
      if (fromDue) q.scheduleNextFromDue.run(next.step, next.at, now, sub.subscriberId);
      else q.scheduleNext.run(next.step, next.at, now, sub.subscriberId, step);
      return false;
    }
    if (q.complete.run(now, now, sub.subscriberId, step).changes > 0) {
      q.activity.run(sub.subscriberId, 'completed', now, null);
      return true;
    }
    return false;
  }

  /**
   * Claims up to `limit` due subscribers into one new batch (leased to
   * `owner`); subscribers that are due but may not be mailed now are
   * rescheduled, unscheduled or completed on the way.
   */
  const claimDue = immediate((now: number, limit: number, owner: string, leaseMs: number): ClaimResult => {
    const rows = q.due.all(now, limit);
    const result: ClaimResult = { batchId: null, due: rows.length, rescheduled: 0, completed: 0, stopped: 0 };
    if (rows.length === 0) return result;
    const batchId = q.newBatch.get(`unprepared-${crypto.randomUUID()}`, owner, now + leaseMs, now)!.id;
    let queued = 0;
    for (const raw of rows) {
      const row: DueRow = { ...raw, suppressed: raw.suppressed === 1 };
      const action: DueAction = decideDue(row, sequence, now, schedule);
      switch (action.kind) {
        case 'send': {
          const step = steps.get(action.step)!;
          const inserted = q.queueDelivery.get(row.id, step.step, step.templateId, step.subject, batchId, now);
          if (inserted) {
            q.inFlight.run(now, row.id);
            queued++;
            break;
          }
          // This step already has a delivery: in flight elsewhere, or settled.
          const existing = q.existingDelivery.get(row.id, step.step)!;
          if (existing.status === 'queued') q.inFlight.run(now, row.id);
          else if (advance({ subscriberId: row.id, timezone: row.timezone, confirmedAt: row.confirmedAt }, step.step, existing.sentAt ?? existing.createdAt, now, true)) result.completed++;
          break;
        }
        case 'reschedule':
          q.reschedule.run(action.at, now, row.id);
          result.rescheduled++;
          break;
        case 'unschedule':
          q.unschedule.run(now, row.id);
          result.stopped++;
          break;
        case 'suppress':
          if (q.suppress.run(now, now, row.id).changes > 0) q.activity.run(row.id, 'suppressed', now, JSON.stringify({ reason: 'suppression list' }));
          result.stopped++;
          break;
        case 'complete':
          if (q.complete.run(now, now, row.id, row.nextStep).changes > 0) {
            q.activity.run(row.id, 'completed', now, null);
            result.completed++;
          }
          break;
      }
    }
    if (queued === 0) q.deleteBatch.run(batchId);
    else result.batchId = batchId;
    return result;
  });

  /** Takes over one unfinished batch whose lease expired (a crash) or whose retry time came. */
  const claimStale = immediate((now: number, owner: string, leaseMs: number): number | null => {
    const row = q.staleBatch.get(now, now);
    if (!row) return null;
    q.lease.run(owner, now + leaseMs, row.id);
    return row.id;
  });

  function items(batchId: number): BatchItem[] {
    return q.items.all(batchId).map((r) => ({ ...r, suppressed: r.suppressed === 1 }));
  }

  type Begun = { kind: 'send'; emails: OutgoingEmail[]; idempotencyKey: string; dropped: number } | { kind: 'lost' } | { kind: 'empty'; dropped: number };

  /**
   * Persists the request and marks an attempt, in one write, just before the
   * request leaves; renews the lease. `fresh` is a request rendered in memory
   * that was never persisted (so never sent); without it the persisted one is
   * used. A payload is written once: SQLite rewrites a whole row (every page of
   * a 1.5 MB payload) on any update, so saving it and counting the attempt
   * separately would write it twice.
   *
   * Dropping: a batch that was never attempted cannot have reached the
   * provider, so subscribers who unsubscribed, were suppressed, converted or
   * erased since the claim are taken out (a new body, hence a new key). Once
   * an attempt was made the provider may have accepted the request (the
   * answer can be lost in a timeout or a crash), and only the identical
   * request with the identical key is recognised as a repeat: changing the
   * body then could send the others twice, so it is repeated as it is.
   */
  const beginAttempt = immediate((batchId: number, owner: string, now: number, leaseMs: number, fresh: { emails: OutgoingEmail[]; versions: Map<number, string> } | null): Begun => {
    const batch = q.batch.get(batchId);
    if (!batch || batch.status !== 'ready' || batch.leaseOwner !== owner) return { kind: 'lost' };
    if (!fresh && batch.payload === null) return { kind: 'lost' };
    let emails = fresh?.emails ?? (JSON.parse(batch.payload!) as OutgoingEmail[]);
    let changed = fresh !== null;
    let dropped = 0;
    if (batch.attempts === 0) {
      const drop = new Map<number, string>();
      const queued = new Set<number>();
      for (const item of items(batchId)) {
        queued.add(item.deliveryId);
        const reason = dropReason(item);
        if (reason) drop.set(item.deliveryId, reason);
        if (reason === 'suppressed' && q.suppress.run(now, now, item.subscriberId).changes > 0) {
          q.activity.run(item.subscriberId, 'suppressed', now, JSON.stringify({ reason: 'suppression list' }));
        }
      }
      for (const [id, reason] of drop) q.dropDelivery.run(`dropped: ${reason}`, id);
      dropped = drop.size;
      // Also leave out emails whose delivery is no longer queued in this batch (dropped elsewhere).
      const kept = emails.filter((e) => queued.has(deliveryIdOf(e)) && !drop.has(deliveryIdOf(e)));
      if (kept.length !== emails.length) {
        emails = kept;
        changed = true;
      }
      if (emails.length === 0) {
        q.batchDone.run('failed', null, 'every delivery dropped', batchId);
        return { kind: 'empty', dropped };
      }
    }
    let idempotencyKey = batch.idempotencyKey;
    if (changed) {
      const request = batchRequest(emails);
      idempotencyKey = request.idempotencyKey;
      q.persistAttempt.run(request.payload, idempotencyKey, now + leaseMs, batchId);
      if (fresh) for (const [deliveryId, version] of fresh.versions) q.templateVersion.run(version, deliveryId);
    } else {
      q.beginAttempt.run(now + leaseMs, batchId);
    }
    return { kind: 'send', emails, idempotencyKey, dropped };
  });

  /** Records the provider's answer: deliveries sent or failed, each subscriber's next step, the batch done. */
  const settle = immediate((batchId: number, outcomes: ItemOutcome[], now: number): { sent: number; failed: number; completed: number } => {
    const byDelivery = new Map(items(batchId).map((i) => [i.deliveryId, i]));
    let sent = 0;
    let failed = 0;
    let completed = 0;
    for (const o of outcomes) {
      const item = byDelivery.get(o.deliveryId);
      if (!item) continue;
      if (o.error !== undefined) {
        q.failDelivery.run(o.error, o.deliveryId);
        failed++;
      } else {
        q.sentDelivery.run(o.providerId ?? '', now, o.deliveryId);
        q.lastSent.run(now, item.subscriberId);
        sent++;
      }
      if (advance(item, item.step, now, now, false)) completed++;
    }
    q.batchDone.run(sent > 0 ? 'sent' : 'failed', sent > 0 ? now : null, failed > 0 ? `${failed} of ${outcomes.length} failed` : null, batchId);
    return { sent, failed, completed };
  });

  /**
   * Replaces a batch the provider refused as a whole by two halves (new
   * requests: the refused one was not accepted, so nothing of it was sent).
   */
  const split = immediate((batchId: number, halves: OutgoingEmail[][], reason: string, owner: string, now: number, leaseMs: number): number[] => {
    const ids = halves.map((emails) => {
      const request = batchRequest(emails);
      const id = q.newPreparedBatch.get(request.idempotencyKey, request.payload, owner, now + leaseMs, now)!.id;
      for (const e of emails) q.moveDelivery.run(id, deliveryIdOf(e));
      return id;
    });
    q.batchDone.run('failed', null, `split: ${reason}`, batchId);
    return ids;
  });

  return {
    claimDue,
    claimStale,
    items,
    beginAttempt,
    settle,
    split,
    batch: (id: number) => q.batch.get(id),
    /** Gives the batch up so another tick (or worker) repeats the identical request. */
    release(batchId: number, owner: string, retryAt: number | null, error: string | null) {
      q.release.run(retryAt, error, batchId, owner);
    },
    pausedUntil(): number | null {
      const row = q.getState.get(QUOTA_KEY);
      return row ? Number(row.value) : null;
    },
    pauseUntil(until: number, now: number) {
      q.setState.run(QUOTA_KEY, String(until), now);
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;
