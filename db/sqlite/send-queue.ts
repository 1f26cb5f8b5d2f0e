/**
 * The send queue on SQLite: the due set, claims with leases, batches and
 * their outcomes. Every write that must be atomic is one IMMEDIATE
 * transaction, so two workers (or the server and a worker) serialise their
 * claims; the unique (subscriber, sequence, step) index on sequence
 * deliveries is the last guard.
 *
 * The due set is the enrolments with a `next_send_at`. A claimed enrolment
 * keeps `next_step` (the step in flight) with `next_send_at` null: it is off
 * the due set until its batch is settled, which schedules the following step.
 */
import crypto from 'node:crypto';
import type { SendQueueStore } from '../stores.js';
import type { BatchItem, BatchRequest, Begun, SequenceId, ClaimResult, DecideResend, DueRow, FreshRequest, HeldBatch, ItemOutcome, OutgoingEmail, QueueSchedule, Envelope, SentInSpan, PlannedNext, ResendInput, ResendOutcome, StepCounts, SubscriberStatus, TestDelivery } from '../types.js';
import type { SqliteDb } from './client.js';
import { batches } from './schema.js';

type RawItem = Omit<BatchItem, 'suppressed' | 'leftSequence'> & { suppressed: 0 | 1; leftSequence: 0 | 1 };
type BatchState = { id: number; status: string; attempts: number; persisted: 0 | 1; idempotencyKey: string; leaseOwner: string | null; inDoubt: 0 | 1; firstAttemptAt: number | null };
type Settling = Pick<BatchItem, 'deliveryId' | 'kind' | 'sequence' | 'step' | 'subscriberId' | 'timezone'> & { enrolmentId: number | null; startedAt: number | null; received: string | null };
type RawDue = Omit<DueRow, 'suppressed' | 'received' | 'otherInFlight'> & { suppressed: 0 | 1; received: string | null; otherInFlight: 0 | 1 };

// A due row with what the decision needs: suppression, the step ids received, and the person's other sequences.
const DUE_COLUMNS = `s.id, e.id AS enrolmentId, e.sequence, s.status, s.email, s.timezone, e.started_at AS confirmedAt, e.next_step AS nextStep,
             e.last_sent_at AS lastSentAt, s.paused_until AS pausedUntil, e.version AS sequenceVersion,
             EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = s.email_hash) AS suppressed,
             (SELECT group_concat(d.step) FROM deliveries d
              WHERE d.subscriber_id = s.id AND d.kind = 'sequence' AND d.sequence = e.sequence AND d.status <> 'dropped') AS received,
             (SELECT max(o.last_sent_at) FROM enrolments o WHERE o.subscriber_id = s.id) AS lastAnySentAt,
             EXISTS (SELECT 1 FROM enrolments o WHERE o.subscriber_id = s.id AND o.id <> e.id AND o.ended_at IS NULL
                     AND o.next_step IS NOT NULL AND o.next_send_at IS NULL) AS otherInFlight`;

/** The step ids a group_concat of steps lists (none when null). */
const stepsOf = (concatenated: string | null): number[] => (concatenated ? concatenated.split(',').map(Number) : []);

function dueRow(raw: RawDue): DueRow {
  return { ...raw, suppressed: raw.suppressed === 1, otherInFlight: raw.otherInFlight === 1, received: stepsOf(raw.received) };
}

export function sqliteSendQueueStore(db: SqliteDb): SendQueueStore {
  const sql = db.$client;

  const q = {
    due: sql.prepare<[number, number], RawDue>(`
      SELECT ${DUE_COLUMNS}
      FROM enrolments e JOIN subscribers s ON s.id = e.subscriber_id
      WHERE e.next_send_at IS NOT NULL AND e.next_send_at <= ?
      ORDER BY e.next_send_at
      LIMIT ?`),
    // Scheduled rows on an older version than the one running, to move on (see moveToVersion).
    behind: sql.prepare<{ sequence: SequenceId; version: number; limit: number }, RawDue>(`
      SELECT ${DUE_COLUMNS}
      FROM enrolments e JOIN subscribers s ON s.id = e.subscriber_id
      WHERE e.sequence = @sequence AND e.next_send_at IS NOT NULL AND e.version < @version
      ORDER BY e.version, e.id
      LIMIT @limit`),
    scheduled: sql.prepare<{ sequence: SequenceId; afterId: number; limit: number }, RawDue>(`
      SELECT ${DUE_COLUMNS}
      FROM enrolments e JOIN subscribers s ON s.id = e.subscriber_id
      WHERE e.sequence = @sequence AND s.id > @afterId AND s.status = 'active' AND e.next_send_at IS NOT NULL
      ORDER BY s.id
      LIMIT @limit`),
    received: sql.prepare<{ id: number; sequence: SequenceId }, { step: number }>(`
      SELECT step FROM deliveries WHERE subscriber_id = @id AND kind = 'sequence' AND sequence = @sequence AND status <> 'dropped'`),
    newBatch: sql.prepare<[string, string, number, number], { id: number }>(`
      INSERT INTO batches (status, idempotency_key, lease_owner, lease_expires_at, attempts, created_at)
      VALUES ('ready', ?, ?, ?, 0, ?) RETURNING id`),
    deleteBatch: sql.prepare<[number]>('DELETE FROM batches WHERE id = ?'),
    // A dropped delivery (never sent) may be queued again after a re-subscribe.
    queueDelivery: sql.prepare<[number, SequenceId, number, string, string, number, number], { id: number }>(`
      INSERT INTO deliveries (subscriber_id, kind, sequence, step, template_id, subject, status, batch_id, created_at)
      VALUES (?, 'sequence', ?, ?, ?, ?, 'queued', ?, ?)
      ON CONFLICT (subscriber_id, sequence, step) WHERE kind = 'sequence' DO UPDATE SET
        status = 'queued', batch_id = excluded.batch_id, template_id = excluded.template_id,
        subject = excluded.subject, error = NULL, created_at = excluded.created_at
      WHERE deliveries.status = 'dropped'
      RETURNING id`),
    existingDelivery: sql.prepare<[number, SequenceId, number], { status: string; sentAt: number | null; createdAt: number }>(`
      SELECT status, sent_at AS sentAt, created_at AS createdAt FROM deliveries
      WHERE subscriber_id = ? AND sequence = ? AND step = ? AND kind = 'sequence'`),
    // The enrolment (by id) of one of these rows: @id below is an enrolment's.
    reschedule: sql.prepare<{ step: number; at: number; version: number; id: number }>(
      'UPDATE enrolments SET next_step = @step, next_send_at = @at, version = @version WHERE id = @id',
    ),
    unschedule: sql.prepare<[number]>('UPDATE enrolments SET next_step = NULL, next_send_at = NULL WHERE id = ?'),
    suppress: sql.prepare<[number, number, number]>(`
      UPDATE subscribers SET status = 'suppressed', suppressed_at = ?, suppressed_reason = 'suppression list', updated_at = ?
      WHERE id = ? AND status IN ('active', 'pending')`),
    endEnrolments: sql.prepare<[number, string, number]>(`
      UPDATE enrolments SET next_step = NULL, next_send_at = NULL, ended_at = ?, ended_reason = ? WHERE subscriber_id = ? AND ended_at IS NULL`),
    scheduleNext: sql.prepare<{ step: number; at: number; version: number; id: number; sent: number }>(`
      UPDATE enrolments SET next_step = @step, next_send_at = @at, version = @version
      WHERE id = @id AND ended_at IS NULL AND next_step = @sent AND next_send_at IS NULL
        AND (SELECT status FROM subscribers WHERE id = enrolments.subscriber_id) = 'active'`),
    inFlightOn: sql.prepare<{ step: number; version: number; id: number }>(
      'UPDATE enrolments SET next_step = @step, next_send_at = NULL, version = @version WHERE id = @id',
    ),
    // The sequence's last step went: the enrolment ends; the person has finished once no other runs.
    complete: sql.prepare<[number, number, number]>(`
      UPDATE enrolments SET ended_at = ?, ended_reason = 'completed', next_step = NULL, next_send_at = NULL
      WHERE id = ? AND ended_at IS NULL AND next_step = ?`),
    finished: sql.prepare<[number, number, number, number]>(`
      UPDATE subscribers SET status = 'completed', completed_at = ?, updated_at = ?
      WHERE id = ? AND status = 'active' AND NOT EXISTS (SELECT 1 FROM enrolments WHERE subscriber_id = ? AND ended_at IS NULL)`),
    lastSent: sql.prepare<[number, number]>(`
      UPDATE enrolments SET last_sent_at = max(coalesce(last_sent_at, 0), ?) WHERE id = ?`),
    // A confirmation that finally failed: the person may ask again at once.
    confirmationFailed: sql.prepare<[number, number]>(`UPDATE subscribers SET confirmation_sent_at = NULL, updated_at = ? WHERE id = ? AND status = 'pending'`),
    activity: sql.prepare<[number, string, number, string | null]>('INSERT INTO activity (subscriber_id, type, at, detail) VALUES (?, ?, ?, ?)'),

    queued: sql.prepare<[number], { id: number }>(`
      SELECT id FROM deliveries WHERE batch_id IS NULL AND status = 'queued' ORDER BY id LIMIT ?`),
    staleBatch: sql.prepare<[number, number], { id: number }>(`
      SELECT id FROM batches
      WHERE status = 'ready' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
        AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
      ORDER BY id LIMIT 1`),
    lease: sql.prepare<[string, number, number]>('UPDATE batches SET lease_owner = ?, lease_expires_at = ? WHERE id = ?'),
    nextLeaseEnd: sql.prepare<[number], { at: number | null }>("SELECT min(lease_expires_at) AS at FROM batches WHERE status = 'ready' AND lease_expires_at > ?"),
    renew: sql.prepare<[number, number, string]>("UPDATE batches SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'ready'"),
    // A batch without its request body (a couple of kilobytes, read only when needed).
    batch: sql.prepare<[number], BatchState>(`
      SELECT id, status, attempts, payload IS NOT NULL AS persisted, idempotency_key AS idempotencyKey, lease_owner AS leaseOwner,
             in_doubt AS inDoubt, first_attempt_at AS firstAttemptAt
      FROM batches WHERE id = ?`),
    payload: sql.prepare<[number], { payload: string | null }>('SELECT payload FROM batches WHERE id = ?'),
    items: sql.prepare<[number], RawItem>(`
      SELECT d.id AS deliveryId, d.kind, d.sequence, d.step, d.template_id AS templateId, d.to_address AS toAddress,
             s.id AS subscriberId, s.email, s.first_name AS firstName,
             coalesce(s.token_generation, 0) AS tokenGeneration, s.status, coalesce(s.timezone, 'UTC') AS timezone,
             s.reader, s.confirmed_at AS confirmedAt,
             s.source, s.consent_source AS consentSource, s.consent_version AS consentVersion, s.consent_given_at AS consentGivenAt,
             EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = s.email_hash) AS suppressed,
             d.kind = 'sequence' AND EXISTS (SELECT 1 FROM enrolments n WHERE n.subscriber_id = d.subscriber_id AND n.sequence = d.sequence
                                             AND n.ended_reason IN ('left', 'staff')) AS leftSequence
      FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
      WHERE d.batch_id = ? AND d.status = 'queued'
      ORDER BY d.id`),
    // What settling a batch needs of each delivery still in flight, with its enrolment and the steps the person has of its sequence.
    settling: sql.prepare<[number], Settling>(`
      SELECT d.id AS deliveryId, d.kind, d.sequence, d.step, s.id AS subscriberId, coalesce(s.timezone, 'UTC') AS timezone,
             e.id AS enrolmentId, e.started_at AS startedAt,
             (SELECT group_concat(r.step) FROM deliveries r
              WHERE r.subscriber_id = d.subscriber_id AND r.kind = 'sequence' AND r.sequence = d.sequence AND r.status <> 'dropped') AS received
      FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
        LEFT JOIN enrolments e ON e.subscriber_id = d.subscriber_id AND e.sequence = d.sequence
      WHERE d.batch_id = ? AND d.status = 'queued'`),
    rendered: sql.prepare<[string | null, string, number]>('UPDATE deliveries SET template_version = coalesce(?, template_version), subject = ? WHERE id = ?'),
    attempt: sql.prepare<[number, number, number]>(`
      UPDATE batches SET attempts = attempts + 1, in_doubt = 1, first_attempt_at = coalesce(first_attempt_at, ?), lease_expires_at = ? WHERE id = ?`),
    // A new body is a new request with a new key: its idempotency window starts now.
    persistAttempt: sql.prepare<[string, string, number, number, number]>(`
      UPDATE batches SET payload = ?, idempotency_key = ?, attempts = attempts + 1, in_doubt = 1, first_attempt_at = ?, lease_expires_at = ? WHERE id = ?`),
    hold: sql.prepare<[string, number]>(`
      UPDATE batches SET status = 'held', last_error = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?`),
    knownFailure: sql.prepare<[string, number, string]>('UPDATE batches SET in_doubt = 0, last_error = ? WHERE id = ? AND lease_owner = ?'),
    dropDelivery: sql.prepare<[string, number]>("UPDATE deliveries SET status = 'dropped', error = ? WHERE id = ?"),
    sentDelivery: sql.prepare<[string | null, number, number]>("UPDATE deliveries SET status = 'sent', provider_id = ?, sent_at = ?, error = NULL WHERE id = ?"),
    failDelivery: sql.prepare<[string, number]>("UPDATE deliveries SET status = 'failed', error = ? WHERE id = ?"),
    batchDone: sql.prepare<[string, number | null, string | null, number]>(`
      UPDATE batches SET status = ?, payload = NULL, sent_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL, in_doubt = 0
      WHERE id = ?`),
    release: sql.prepare<[number | null, string | null, number, number, string]>(`
      UPDATE batches SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = ?, last_error = coalesce(?, last_error),
        in_doubt = CASE WHEN ? = 1 THEN 0 ELSE in_doubt END
      WHERE id = ? AND lease_owner = ?`),
    moveDelivery: sql.prepare<[number, number]>('UPDATE deliveries SET batch_id = ? WHERE id = ?'),
    newPreparedBatch: sql.prepare<[string, string, string | null, number | null, number], { id: number }>(`
      INSERT INTO batches (status, idempotency_key, payload, lease_owner, lease_expires_at, attempts, created_at)
      VALUES ('ready', ?, ?, ?, ?, 0, ?) RETURNING id`),
    insertTest: sql.prepare<[number | null, string, string | null, string, string, number], { id: number }>(`
      INSERT INTO deliveries (subscriber_id, kind, step, template_id, template_version, subject, to_address, status, created_at)
      VALUES (?, 'test', 0, ?, ?, ?, ?, 'queued', ?) RETURNING id`),
    resendFacts: sql.prepare<[{ id: number; step: number }], { status: SubscriberStatus; hasEmail: 0 | 1; suppressed: 0 | 1; stepSent: 0 | 1; resendQueued: 0 | 1; lastResentAt: number | null }>(`
      SELECT s.status, s.email IS NOT NULL AS hasEmail,
             EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = s.email_hash) AS suppressed,
             EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = s.id AND d.kind = 'sequence' AND d.sequence = 'education' AND d.step = @step AND d.status = 'sent') AS stepSent,
             EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = s.id AND d.kind = 'resend' AND d.status = 'queued') AS resendQueued,
             (SELECT max(d.created_at) FROM deliveries d WHERE d.subscriber_id = s.id AND d.kind = 'resend' AND d.sequence = 'education' AND d.step = @step AND d.status IN ('queued', 'sent')) AS lastResentAt
      FROM subscribers s WHERE s.id = @id`),
    insertResend: sql.prepare<[ResendInput], { id: number }>(`
      INSERT INTO deliveries (subscriber_id, kind, sequence, step, template_id, subject, status, created_at)
      VALUES (@subscriberId, 'resend', 'education', @step, @templateId, @subject, 'queued', @now) RETURNING id`),
    held: sql.prepare<[], HeldBatch>(`
      SELECT b.id, b.created_at AS createdAt, b.first_attempt_at AS firstAttemptAt, b.attempts, b.last_error AS lastError,
             count(d.id) AS deliveries, coalesce(group_concat(DISTINCT d.kind), '') AS kinds
      FROM batches b LEFT JOIN deliveries d ON d.batch_id = b.id AND d.status = 'queued'
      WHERE b.status = 'held' GROUP BY b.id ORDER BY b.id`),
    resendHeld: sql.prepare<[number]>(`
      UPDATE batches SET status = 'ready', in_doubt = 0, first_attempt_at = NULL, next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ? AND status = 'held'`),
  };

  const tx = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const t = sql.transaction(fn);
    return async (...args: A): Promise<R> => t.immediate(...args);
  };

  function items(batchId: number): BatchItem[] {
    return q.items.all(batchId).map((r) => ({ ...r, suppressed: r.suppressed === 1, leftSequence: r.leftSequence === 1 }));
  }

  /**
   * Moves an enrolment on after `step` went or finally failed at `at`;
   * `received`, the steps the person has of the sequence, when already read.
   */
  function advance(
    schedule: QueueSchedule,
    sub: { subscriberId: number; enrolmentId: number; sequence: SequenceId; timezone: string; confirmedAt: number | null },
    step: number,
    at: number,
    now: number,
    fromDue: boolean,
    received = q.received.all({ id: sub.subscriberId, sequence: sub.sequence }).map((r) => r.step),
  ): boolean {
    const next = schedule.decideAfterSend({ sequence: sub.sequence, confirmedAt: sub.confirmedAt, timezone: sub.timezone, received }, step, at);
    if (next.kind === 'next') {
      const row = { step: next.step, at: next.at, version: schedule.versionOf(sub.sequence), id: sub.enrolmentId };
      if (fromDue) q.reschedule.run(row);
      else q.scheduleNext.run({ ...row, sent: step });
      return false;
    }
    if (q.complete.run(now, sub.enrolmentId, step).changes > 0) return finish(sub.subscriberId, now);
    return false;
  }

  /** The person finished every sequence they were in: true when that made them 'completed'. */
  function finish(subscriberId: number, now: number): boolean {
    if (q.finished.run(now, now, subscriberId, subscriberId).changes === 0) return false;
    q.activity.run(subscriberId, 'completed', now, null);
    return true;
  }

  /**
   * Applies the due decision to one row. With a batch, a step to send is
   * queued in it (true when it was); without one (a version move), the row
   * is only placed: due now for the next claim.
   */
  function applyDue(schedule: QueueSchedule, row: DueRow, now: number, batchId: number | null, result: ClaimResult): boolean {
    const action = schedule.decideDue(row, now);
    const version = schedule.versionOf(row.sequence);
    switch (action.kind) {
      case 'send': {
        if (batchId === null) {
          q.reschedule.run({ step: action.step, at: now, version, id: row.enrolmentId });
          return false;
        }
        const inserted = q.queueDelivery.get(row.id, row.sequence, action.step, action.templateId, action.subject, batchId, now);
        if (inserted) {
          q.inFlightOn.run({ step: action.step, version, id: row.enrolmentId });
          return true;
        }
        // This step already has a delivery: in flight elsewhere, or settled.
        const existing = q.existingDelivery.get(row.id, row.sequence, action.step)!;
        if (existing.status === 'queued') q.inFlightOn.run({ step: action.step, version, id: row.enrolmentId });
        else if (advance(schedule, { subscriberId: row.id, enrolmentId: row.enrolmentId, sequence: row.sequence, timezone: row.timezone, confirmedAt: row.confirmedAt }, action.step, existing.sentAt ?? existing.createdAt, now, true)) result.completed++;
        return false;
      }
      case 'reschedule':
        q.reschedule.run({ step: action.step, at: action.at, version, id: row.enrolmentId });
        result.rescheduled++;
        return false;
      case 'unschedule':
        q.unschedule.run(row.enrolmentId);
        result.stopped++;
        return false;
      case 'suppress':
        suppressSubscriber(row.id, now);
        result.stopped++;
        return false;
      case 'complete':
        if (q.complete.run(now, row.enrolmentId, row.nextStep).changes > 0 && finish(row.id, now)) result.completed++;
        return false;
    }
  }

  function suppressSubscriber(id: number, now: number) {
    if (q.suppress.run(now, now, id).changes === 0) return;
    q.endEnrolments.run(now, 'suppressed', id);
    q.activity.run(id, 'suppressed', now, JSON.stringify({ reason: 'suppression list' }));
  }

  /** Settles each outcome: the delivery sent or failed, and what follows for its subscriber. */
  function settleItems(schedule: QueueSchedule, batchId: number, outcomes: ItemOutcome[], now: number) {
    const byDelivery = new Map(q.settling.all(batchId).map((i) => [i.deliveryId, i]));
    let sent = 0;
    let failed = 0;
    let completed = 0;
    for (const o of outcomes) {
      const item = byDelivery.get(o.deliveryId);
      if (!item) continue;
      const ok = o.error === undefined;
      if (ok) {
        q.sentDelivery.run(o.providerId ?? null, now, o.deliveryId);
        sent++;
      } else {
        q.failDelivery.run(o.error!, o.deliveryId);
        failed++;
      }
      if (item.subscriberId === null) continue;
      if (item.kind === 'sequence' && item.sequence !== null) {
        if (item.enrolmentId === null) continue;
        if (ok) q.lastSent.run(now, item.enrolmentId);
        const sub = { subscriberId: item.subscriberId, enrolmentId: item.enrolmentId, sequence: item.sequence, timezone: item.timezone, confirmedAt: item.startedAt };
        // Read before this batch's statuses changed: settling changes none of them to dropped, so the steps are the same.
        if (advance(schedule, sub, item.step, now, now, false, stepsOf(item.received))) completed++;
      } else if (item.kind === 'confirmation') {
        if (ok) q.activity.run(item.subscriberId, 'confirmation_sent', now, null);
        else q.confirmationFailed.run(now, item.subscriberId);
      }
    }
    q.batchDone.run(sent > 0 ? 'sent' : 'failed', sent > 0 ? now : null, failed > 0 ? `${failed} of ${outcomes.length} failed` : null, batchId);
    return { sent, failed, completed };
  }

  return {
    claimDue: tx((now: number, limit: number, owner: string, leaseUntil: number, schedule: QueueSchedule): ClaimResult => {
      const rows = q.due.all(now, limit);
      const result: ClaimResult = { batchId: null, due: rows.length, rescheduled: 0, completed: 0, stopped: 0 };
      if (rows.length === 0) return result;
      const batchId = q.newBatch.get(`unprepared-${crypto.randomUUID()}`, owner, leaseUntil, now)!.id;
      let queued = 0;
      // A person with two sequences due gets one now: the other waits its gap after it.
      const sending = new Set<number>();
      for (const raw of rows) {
        const row = dueRow(raw);
        if (sending.has(row.id)) row.otherInFlight = true;
        if (applyDue(schedule, row, now, batchId, result)) {
          queued++;
          sending.add(row.id);
        }
      }
      if (queued === 0) q.deleteBatch.run(batchId);
      else result.batchId = batchId;
      return result;
    }),

    /**
     * Moves up to `limit` scheduled subscribers on an older version onto the
     * schedule's (the one running): their next step and time as the new version
     * has them from where they are. One with a step due now is left due (the
     * next claim sends it). Returns how many were moved; 0 when none is left.
     */
    moveToVersion: tx((now: number, limit: number, schedule: QueueSchedule): number => {
      let moved = 0;
      for (const sequence of schedule.sequences) {
        const rows = q.behind.all({ sequence, version: schedule.versionOf(sequence), limit: limit - moved });
        const result: ClaimResult = { batchId: null, due: rows.length, rescheduled: 0, completed: 0, stopped: 0 };
        for (const raw of rows) applyDue(schedule, dueRow(raw), now, null, result);
        moved += rows.length;
        if (moved >= limit) break;
      }
      return moved;
    }),

    async scheduled(sequence, afterId, limit) {
      return q.scheduled.all({ sequence, afterId, limit }).map(dueRow);
    },

    claimQueued: tx((now: number, limit: number, owner: string, leaseUntil: number): number | null => {
      const rows = q.queued.all(limit);
      if (rows.length === 0) return null;
      const batchId = q.newBatch.get(`unprepared-${crypto.randomUUID()}`, owner, leaseUntil, now)!.id;
      for (const r of rows) q.moveDelivery.run(batchId, r.id);
      return batchId;
    }),

    claimStale: tx((now: number, realNow: number, owner: string, leaseUntil: number): number | null => {
      const row = q.staleBatch.get(realNow, now);
      if (!row) return null;
      q.lease.run(owner, leaseUntil, row.id);
      return row.id;
    }),

    async renewLease(batchId, owner, leaseUntil) {
      return q.renew.run(leaseUntil, batchId, owner).changes > 0;
    },

    async nextLeaseEnd(realNow) {
      return q.nextLeaseEnd.get(realNow)?.at ?? null;
    },

    async batch(id) {
      const b = q.batch.get(id);
      if (!b) return undefined;
      const payload = b.persisted ? q.payload.get(id)!.payload! : null;
      return { id: b.id, status: b.status, attempts: b.attempts, payload, idempotencyKey: b.idempotencyKey, leaseOwner: b.leaseOwner };
    },

    async items(batchId) {
      return items(batchId);
    },

    /**
     * Persists the request and marks an attempt, in one write, just before
     * the request leaves; renews the lease. `fresh` is a request rendered in
     * memory that was never persisted (so never sent); without it the
     * persisted one is used. A payload is written once: SQLite rewrites a
     * whole row on any update, so saving it and counting the attempt
     * separately would write it twice.
     *
     * What the earlier attempts allow (schedule.planAttempt): when none left
     * or the last failed with an answer, no provider holds the request, so
     * people who left, were suppressed or erased since are taken out (a new
     * body, hence a new key). When the last attempt's outcome is unknown the
     * provider may have accepted it, and only the identical request with the
     * identical key is recognised as a repeat, so it goes as it is; past the
     * provider's idempotency window even that could send twice, so the batch
     * is held for staff.
     */
    beginAttempt: tx((batchId: number, owner: string, now: number, realNow: number, leaseUntil: number, fresh: FreshRequest | null, schedule: QueueSchedule, envelope: Envelope): Begun => {
      const batch = q.batch.get(batchId);
      if (!batch || batch.status !== 'ready' || batch.leaseOwner !== owner) return { kind: 'lost' };
      if (!fresh && !batch.persisted) return { kind: 'lost' };
      const plan = schedule.planAttempt({ attempts: batch.attempts, inDoubt: batch.inDoubt === 1, firstAttemptAt: batch.firstAttemptAt }, realNow);
      if (plan === 'hold') {
        q.hold.run('outcome unknown past the idempotency window: staff decide', batchId);
        return { kind: 'held' };
      }
      const persisted = fresh ? null : envelope.open(q.payload.get(batchId)!.payload!);
      let emails = fresh?.emails ?? persisted!.emails;
      // A request to persist with this attempt: a fresh one, or one rebuilt smaller.
      let request: BatchRequest | null = fresh?.request ?? null;
      let dropped = 0;
      if (plan === 'rebuild') {
        const list = items(batchId);
        const { drop, kept } = schedule.rebuild(list, emails);
        for (const item of list) {
          const reason = drop.get(item.deliveryId);
          if (!reason || item.subscriberId === null) continue;
          if (reason === 'suppressed') suppressSubscriber(item.subscriberId, now);
          if (item.kind === 'confirmation') q.confirmationFailed.run(now, item.subscriberId);
        }
        for (const [id, reason] of drop) q.dropDelivery.run(`dropped: ${reason}`, id);
        dropped = drop.size;
        if (kept.length !== emails.length) {
          emails = kept;
          request = kept.length ? envelope.seal(kept) : null;
        }
        if (emails.length === 0) {
          q.batchDone.run('failed', null, 'every delivery dropped', batchId);
          return { kind: 'empty', dropped };
        }
      }
      if (!request) {
        q.attempt.run(realNow, leaseUntil, batchId);
        return { kind: 'send', emails, body: persisted!.body, idempotencyKey: batch.idempotencyKey, dropped, replay: plan === 'replay' };
      }
      q.persistAttempt.run(request.payload, request.idempotencyKey, realNow, leaseUntil, batchId);
      if (fresh) for (const e of emails) q.rendered.run(fresh.versions.get(envelope.deliveryIdOf(e)) ?? null, e.subject, envelope.deliveryIdOf(e));
      return { kind: 'send', emails, body: request.body, idempotencyKey: request.idempotencyKey, dropped, replay: false };
    }),

    // Only a batch still in flight: a former owner's late answer after a takeover changes nothing.
    settle: tx((batchId: number, outcomes: ItemOutcome[], now: number, schedule: QueueSchedule) =>
      q.batch.get(batchId)?.status === 'ready' ? settleItems(schedule, batchId, outcomes, now) : { sent: 0, failed: 0, completed: 0 },
    ),

    split: tx((batchId: number, parts: OutgoingEmail[][], reason: string, owner: string, now: number, leaseUntil: number, envelope: Envelope): number[] => {
      const ids = parts.map((emails) => {
        const request = envelope.seal(emails);
        const id = q.newPreparedBatch.get(request.idempotencyKey, request.payload, owner, leaseUntil, now)!.id;
        for (const e of emails) q.moveDelivery.run(id, envelope.deliveryIdOf(e));
        return id;
      });
      q.batchDone.run('failed', null, `split: ${reason}`, batchId);
      return ids;
    }),

    async release(batchId, owner, retryAt, error, known) {
      q.release.run(retryAt, error, known ? 1 : 0, batchId, owner);
    },

    async markKnownFailure(batchId, owner, error) {
      q.knownFailure.run(error, batchId, owner);
    },

    async held() {
      return q.held.all();
    },

    resolveHeld: tx((batchId: number, decision: 'resend' | 'sent', now: number, schedule: QueueSchedule): boolean => {
      const batch = q.batch.get(batchId);
      if (!batch || batch.status !== 'held') return false;
      if (decision === 'resend') return q.resendHeld.run(batchId).changes > 0;
      // Staff know it arrived (the provider's log shows it): settle it as sent.
      settleItems(schedule, batchId, items(batchId).map((i) => ({ deliveryId: i.deliveryId })), now);
      return true;
    }),

    enqueueTest: tx((test: TestDelivery, now: number, envelope: Envelope): number => {
      const deliveryId = q.insertTest.get(test.subscriberId, test.templateId, test.templateVersion, test.subject, test.toAddress, now)!.id;
      const request = envelope.seal([envelope.tagDelivery(test.email, deliveryId)]);
      const batchId = q.newPreparedBatch.get(request.idempotencyKey, request.payload, null, null, now)!.id;
      q.moveDelivery.run(batchId, deliveryId);
      return deliveryId;
    }),

    // IMMEDIATE, so the facts cannot change (an unsubscribe, another resend) before the insert.
    enqueueResend: tx((input: ResendInput, decide: DecideResend): ResendOutcome => {
      const raw = q.resendFacts.get({ id: input.subscriberId, step: input.step });
      if (!raw) return { ok: false, reason: 'not_found' };
      const refusal = decide({ status: raw.status, hasEmail: raw.hasEmail === 1, suppressed: raw.suppressed === 1, stepSent: raw.stepSent === 1, resendQueued: raw.resendQueued === 1, lastResentAt: raw.lastResentAt }, input.now);
      if (refusal) return { ok: false, reason: refusal, status: raw.status };
      return { ok: true, deliveryId: q.insertResend.get(input)!.id };
    }),

    async sentBetween(from, to, people) {
      const sent = sql
        .prepare(
          `WITH people AS (SELECT DISTINCT subscriber_id AS id FROM deliveries
                           WHERE status = 'sent' AND sent_at BETWEEN ? AND ? AND subscriber_id IS NOT NULL ORDER BY subscriber_id LIMIT ?)
           SELECT d.subscriber_id AS subscriberId, s.email, coalesce(s.timezone, 'UTC') AS timezone, d.kind, d.sequence, d.step, d.subject, d.sent_at AS sentAt
           FROM deliveries d JOIN people p ON p.id = d.subscriber_id JOIN subscribers s ON s.id = d.subscriber_id
           WHERE d.status = 'sent' AND d.sent_at BETWEEN ? AND ? ORDER BY d.subscriber_id, d.sent_at, d.id`,
        )
        .all(from, to, people, from, to) as SentInSpan[];
      const ids = [...new Set(sent.map((r) => r.subscriberId))];
      const planned = ids.length
        ? (sql
            .prepare(
              `SELECT subscriber_id AS subscriberId, sequence, next_step AS step, next_send_at AS at FROM enrolments
               WHERE subscriber_id IN (SELECT value FROM json_each(?)) AND ended_at IS NULL AND next_step IS NOT NULL ORDER BY subscriber_id, sequence`,
            )
            .all(JSON.stringify(ids)) as PlannedNext[])
        : [];
      return { sent, planned };
    },

    async delivery(id) {
      return db.$client.prepare('SELECT id, status, provider_id AS providerId, error, sent_at AS sentAt FROM deliveries WHERE id = ?').get(id) as Awaited<ReturnType<SendQueueStore['delivery']>>;
    },

    async stepCounts(sequence) {
      const out = new Map<number, StepCounts>();
      const get = (step: number) => {
        let c = out.get(step);
        if (!c) out.set(step, (c = { waiting: 0, sent: 0, delivered: 0, opened: 0, clicked: 0 }));
        return c;
      };
      const waiting = sql
        .prepare(`SELECT e.next_step AS step, count(*) AS n FROM enrolments e JOIN subscribers s ON s.id = e.subscriber_id
                  WHERE e.sequence = ? AND s.status = 'active' AND e.next_step IS NOT NULL GROUP BY e.next_step`)
        .all(sequence) as { step: number; n: number }[];
      for (const r of waiting) get(r.step).waiting = r.n;
      const sent = sql
        .prepare(`SELECT step, count(*) AS sent, count(delivered_at) AS delivered, count(opened_at) AS opened, count(clicked_at) AS clicked
                  FROM deliveries WHERE kind = 'sequence' AND sequence = ? AND status = 'sent' GROUP BY step`)
        .all(sequence) as ({ step: number } & Omit<StepCounts, 'waiting'>)[];
      for (const r of sent) Object.assign(get(r.step), { sent: r.sent, delivered: r.delivered, opened: r.opened, clicked: r.clicked });
      return out;
    },

    async batches() {
      return db.select().from(batches).orderBy(batches.id).all();
    },
  };
}
