/**
 * The send queue on PostgreSQL, for any number of workers on any machines.
 * Claims take rows with FOR UPDATE SKIP LOCKED, so concurrent workers share
 * the due work without waiting on each other (a claim locks the enrolment and
 * its person, so one person's sequences are claimed by one worker at a time);
 * the unique (subscriber, sequence, step) index on sequence deliveries is the
 * last guard. The row-by-row decisions
 * come from the schedule (pure, in src/); the writes they lead to are applied
 * in bulk (unnest), so a claim or a settle costs a few round trips, not one
 * per email.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { crossSequence } from '../cross-sequence.js';
import type { SendQueueStore } from '../stores.js';
import type { Batch, BatchItem, Enrolment, BatchRequest, ClaimResult, SequenceId, DueRow, HeldBatch, ItemOutcome, QueueSchedule, PlannedNext, ResendFacts, SentInSpan, ResendOutcome, StepCounts } from '../types.js';
import { selectList, transaction, type Queryable } from './client.js';
import { batches } from './schema.js';

const BATCH = selectList(batches);
// A batch without its request body (read only when needed).
const BATCH_STATE = `id, status, attempts, payload IS NOT NULL AS persisted, idempotency_key AS "idempotencyKey", lease_owner AS "leaseOwner",
  in_doubt AS "inDoubt", first_attempt_at AS "firstAttemptAt"`;
type BatchState = Pick<Batch, 'id' | 'status' | 'attempts' | 'idempotencyKey' | 'leaseOwner' | 'inDoubt' | 'firstAttemptAt'> & { persisted: boolean };

const ITEMS = `
  SELECT d.id AS "deliveryId", d.kind, d.sequence, d.step, d.template_id AS "templateId", d.to_address AS "toAddress",
         s.id AS "subscriberId", s.email, s.first_name AS "firstName", coalesce(s.token_generation, 0) AS "tokenGeneration",
         s.status, coalesce(s.timezone, 'UTC') AS timezone, s.reader, s.confirmed_at AS "confirmedAt",
         s.source, s.consent_source AS "consentSource", s.consent_version AS "consentVersion", s.consent_given_at AS "consentGivenAt",
         coalesce(EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = s.email_hash), false) AS suppressed,
         d.kind = 'sequence' AND EXISTS (SELECT 1 FROM enrolments n WHERE n.subscriber_id = d.subscriber_id AND n.sequence = d.sequence
                                         AND n.ended_reason IN ('left', 'staff')) AS "leftSequence"
  FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
  WHERE d.batch_id = $1 AND d.status = 'queued'
  ORDER BY d.id`;

// A due row with what the decision needs: suppression and the step ids received.
const DUE_COLUMNS = `s.id, e.id AS "enrolmentId", e.sequence, s.status, s.email, s.timezone, e.started_at AS "confirmedAt", e.next_step AS "nextStep", e.last_sent_at AS "lastSentAt",
  s.paused_until AS "pausedUntil", e.version AS "sequenceVersion",
  EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = s.email_hash) AS suppressed,
  array(SELECT d.step FROM deliveries d WHERE d.subscriber_id = s.id AND d.kind = 'sequence' AND d.sequence = e.sequence AND d.status <> 'dropped') AS received`;
// The person's other sequences, for rows read without locks; locked rows get them from withCrossSequence instead.
const CROSS_SEQUENCE_COLUMNS = `(SELECT max(o.last_sent_at) FROM enrolments o WHERE o.subscriber_id = s.id) AS "lastAnySentAt",
  EXISTS (SELECT 1 FROM enrolments o WHERE o.subscriber_id = s.id AND o.id <> e.id AND o.ended_at IS NULL AND o.next_step IS NOT NULL AND o.next_send_at IS NULL) AS "otherInFlight"`;
const DUE_FROM = 'enrolments e JOIN subscribers s ON s.id = e.subscriber_id';

type LockedDueRow = Omit<DueRow, 'lastAnySentAt' | 'otherInFlight'>;

type Advance = { subscriberId: number; enrolmentId: number; sequence: SequenceId; timezone: string; confirmedAt: number | null; step: number; at: number };

/**
 * The locked rows with the person's other sequences, read after the locks:
 * the select that locked them read its snapshot before taking the locks, so
 * a claim of the same person committed in between (another worker's) would
 * be missed; this statement sees it.
 */
async function withCrossSequence(c: Queryable, rows: LockedDueRow[]): Promise<DueRow[]> {
  if (rows.length === 0) return [];
  const all = (
    await c.query<Pick<Enrolment, 'id' | 'subscriberId' | 'lastSentAt' | 'endedAt' | 'nextStep' | 'nextSendAt'>>(
      `SELECT id, subscriber_id AS "subscriberId", last_sent_at AS "lastSentAt", ended_at AS "endedAt", next_step AS "nextStep", next_send_at AS "nextSendAt"
       FROM enrolments WHERE subscriber_id = ANY($1)`,
      [[...new Set(rows.map((r) => r.id))]],
    )
  ).rows;
  const byPerson = new Map<number, typeof all>();
  for (const e of all) byPerson.set(e.subscriberId, [...(byPerson.get(e.subscriberId) ?? []), e]);
  return rows.map((row) => ({ ...row, ...crossSequence(byPerson.get(row.id) ?? [], row.enrolmentId) }));
}

export function postgresSendQueueStore(pool: pg.Pool): SendQueueStore {
  const items = async (c: Queryable, batchId: number) => (await c.query<BatchItem>(ITEMS, [batchId])).rows;
  const newBatch = async (c: Queryable, owner: string | null, leaseUntil: number | null, now: number, request: BatchRequest | null = null) =>
    (
      await c.query<{ id: number }>(
        "INSERT INTO batches (status, idempotency_key, payload, lease_owner, lease_expires_at, attempts, created_at) VALUES ('ready', $1, $2, $3, $4, 0, $5) RETURNING id",
        [request?.idempotencyKey ?? `unprepared-${crypto.randomUUID()}`, request?.payload ?? null, owner, leaseUntil, now],
      )
    ).rows[0]!.id;

  /** Ends the enrolments (by id) whose last step went; a person has finished once none of theirs runs. */
  async function complete(c: Queryable, done: { id: number; step: number }[], now: number): Promise<number> {
    if (done.length === 0) return 0;
    const ended = (
      await c.query<{ subscriberId: number }>(
        `UPDATE enrolments e SET ended_at = $3, ended_reason = 'completed', next_step = NULL, next_send_at = NULL
         FROM unnest($1::bigint[], $2::int[]) AS u(id, step)
         WHERE e.id = u.id AND e.ended_at IS NULL AND e.next_step = u.step RETURNING e.subscriber_id AS "subscriberId"`,
        [done.map((d) => d.id), done.map((d) => d.step), now],
      )
    ).rows.map((r) => r.subscriberId);
    if (ended.length === 0) return 0;
    const completed = (
      await c.query<{ id: number }>(
        `UPDATE subscribers s SET status = 'completed', completed_at = $2, updated_at = $2
         WHERE s.id = ANY($1) AND s.status = 'active' AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.subscriber_id = s.id AND e.ended_at IS NULL)
         RETURNING s.id`,
        [ended, now],
      )
    ).rows.map((r) => r.id);
    if (completed.length) await c.query("INSERT INTO activity (subscriber_id, type, at) SELECT id, 'completed', $2 FROM unnest($1::bigint[]) AS id", [completed, now]);
    return completed.length;
  }

  /** Moves subscribers on after their step went or finally failed. `fromDue`: their row is still on the due set. */
  async function advance(c: Queryable, schedule: QueueSchedule, list: Advance[], now: number, fromDue: boolean): Promise<number> {
    const next: { id: number; step: number; at: number; prev: number; version: number }[] = [];
    const done: { id: number; step: number }[] = [];
    const received = new Map<string, number[]>();
    const key = (subscriberId: number, sequence: string) => `${subscriberId}:${sequence}`;
    if (list.length) {
      const rows = await c.query<{ id: number; sequence: string; steps: number[] }>(
        "SELECT subscriber_id AS id, sequence, array_agg(step) AS steps FROM deliveries WHERE subscriber_id = ANY($1) AND kind = 'sequence' AND status <> 'dropped' GROUP BY subscriber_id, sequence",
        [list.map((a) => a.subscriberId)],
      );
      for (const r of rows.rows) received.set(key(r.id, r.sequence), r.steps);
    }
    for (const a of list) {
      const r = schedule.decideAfterSend({ sequence: a.sequence, confirmedAt: a.confirmedAt, timezone: a.timezone, received: received.get(key(a.subscriberId, a.sequence)) ?? [] }, a.step, a.at);
      if (r.kind === 'next') next.push({ id: a.enrolmentId, step: r.step, at: r.at, prev: a.step, version: schedule.versionOf(a.sequence) });
      else done.push({ id: a.enrolmentId, step: a.step });
    }
    if (next.length) {
      const guard = fromDue
        ? ''
        : " AND e.ended_at IS NULL AND e.next_step = u.prev AND e.next_send_at IS NULL AND (SELECT status FROM subscribers s WHERE s.id = e.subscriber_id) = 'active'";
      await c.query(
        `UPDATE enrolments e SET next_step = u.step, next_send_at = u.at, version = u.version
         FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::int[], $5::int[]) AS u(id, step, at, prev, version) WHERE e.id = u.id${guard}`,
        [next.map((n) => n.id), next.map((n) => n.step), next.map((n) => n.at), next.map((n) => n.prev), next.map((n) => n.version)],
      );
    }
    return complete(c, done, now);
  }

  /**
   * Applies the due decisions to locked rows. With a claim, the steps to send
   * are queued in one new batch (result.batchId); without one (a version
   * move), the rows are only placed: due now for the next claim.
   */
  async function applyDue(c: Queryable, schedule: QueueSchedule, rows: DueRow[], now: number, claim: { owner: string; leaseUntil: number } | null, result: ClaimResult): Promise<void> {
    if (rows.length === 0) return;
    const sends: { row: DueRow; step: number; templateId: string; subject: string }[] = [];
    const reschedule: { id: number; step: number; at: number; version: number }[] = [];
    const unschedule: number[] = [];
    const done: { id: number; step: number }[] = [];
    // A person with two sequences due gets one now: the other waits its gap after it.
    const sending = new Set<number>();
    for (const due of rows) {
      const row = claim && sending.has(due.id) ? { ...due, otherInFlight: true } : due;
      const action = schedule.decideDue(row, now);
      const version = schedule.versionOf(row.sequence);
      if (action.kind === 'send') {
        if (claim) {
          sends.push({ row, step: action.step, templateId: action.templateId, subject: action.subject });
          sending.add(row.id);
        } else reschedule.push({ id: row.enrolmentId, step: action.step, at: now, version });
      } else if (action.kind === 'reschedule') {
        reschedule.push({ id: row.enrolmentId, step: action.step, at: action.at, version });
        result.rescheduled++;
      } else if (action.kind === 'unschedule') unschedule.push(row.enrolmentId);
      else if (action.kind === 'suppress') {
        await suppressSubscriber(c, row.id, now);
        result.stopped++;
      } else done.push({ id: row.enrolmentId, step: row.nextStep });
    }
    if (reschedule.length) {
      await c.query(
        `UPDATE enrolments e SET next_step = u.step, next_send_at = u.at, version = u.version
         FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::int[]) AS u(id, step, at, version) WHERE e.id = u.id`,
        [reschedule.map((r) => r.id), reschedule.map((r) => r.step), reschedule.map((r) => r.at), reschedule.map((r) => r.version)],
      );
    }
    if (unschedule.length) {
      await c.query('UPDATE enrolments SET next_step = NULL, next_send_at = NULL WHERE id = ANY($1)', [unschedule]);
      result.stopped += unschedule.length;
    }
    result.completed += await complete(c, done, now);
    if (!claim || sends.length === 0) return;

    const batchId = await newBatch(c, claim.owner, claim.leaseUntil, now);
    // A dropped delivery (never sent) may be queued again after a re-subscribe.
    const inserted = new Set(
      (
        await c.query<{ subscriberId: number; sequence: string }>(
          `INSERT INTO deliveries (subscriber_id, kind, sequence, step, template_id, subject, status, batch_id, created_at)
           SELECT u.id, 'sequence', u.seq, u.step, u.tid, u.subj, 'queued', $6, $7
           FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[]) AS u(id, seq, step, tid, subj)
           ON CONFLICT (subscriber_id, sequence, step) WHERE kind = 'sequence' DO UPDATE SET
             status = 'queued', batch_id = excluded.batch_id, template_id = excluded.template_id, subject = excluded.subject, error = NULL, created_at = excluded.created_at
           WHERE deliveries.status = 'dropped'
           RETURNING subscriber_id AS "subscriberId", sequence`,
          [sends.map((s) => s.row.id), sends.map((s) => s.row.sequence), sends.map((s) => s.step), sends.map((s) => s.templateId), sends.map((s) => s.subject), batchId, now],
        )
      ).rows.map((r) => `${r.subscriberId}:${r.sequence}`),
    );
    const isInserted = (s: (typeof sends)[number]) => inserted.has(`${s.row.id}:${s.row.sequence}`);
    const inFlight = sends.filter(isInserted);
    const settled: Advance[] = [];
    for (const s of sends) {
      if (isInserted(s)) continue;
      // This step already has a delivery: in flight elsewhere, or settled.
      const existing = (
        await c.query<{ status: string; sentAt: number | null; createdAt: number }>(
          `SELECT status, sent_at AS "sentAt", created_at AS "createdAt" FROM deliveries WHERE subscriber_id = $1 AND sequence = $2 AND step = $3 AND kind = 'sequence'`,
          [s.row.id, s.row.sequence, s.step],
        )
      ).rows[0]!;
      if (existing.status === 'queued') inFlight.push(s);
      else settled.push({ subscriberId: s.row.id, enrolmentId: s.row.enrolmentId, sequence: s.row.sequence, timezone: s.row.timezone, confirmedAt: s.row.confirmedAt, step: s.step, at: existing.sentAt ?? existing.createdAt });
    }
    if (inFlight.length) {
      await c.query(
        `UPDATE enrolments e SET next_step = u.step, next_send_at = NULL, version = u.version
         FROM unnest($1::bigint[], $2::int[], $3::int[]) AS u(id, step, version) WHERE e.id = u.id`,
        [inFlight.map((s) => s.row.enrolmentId), inFlight.map((s) => s.step), inFlight.map((s) => schedule.versionOf(s.row.sequence))],
      );
    }
    result.completed += await advance(c, schedule, settled, now, true);
    if (inserted.size === 0) await c.query('DELETE FROM batches WHERE id = $1', [batchId]);
    else result.batchId = batchId;
  }

  async function suppressSubscriber(c: Queryable, id: number, now: number) {
    const r = await c.query(
      "UPDATE subscribers SET status = 'suppressed', suppressed_at = $2, suppressed_reason = 'suppression list', updated_at = $2 WHERE id = $1 AND status IN ('active', 'pending')",
      [id, now],
    );
    if (r.rowCount) await c.query("UPDATE enrolments SET next_step = NULL, next_send_at = NULL, ended_at = $2, ended_reason = 'suppressed' WHERE subscriber_id = $1 AND ended_at IS NULL", [id, now]);
    if (r.rowCount) await c.query("INSERT INTO activity (subscriber_id, type, at, detail) VALUES ($1, 'suppressed', $2, $3)", [id, now, JSON.stringify({ reason: 'suppression list' })]);
  }

  async function settleItems(c: Queryable, schedule: QueueSchedule, batchId: number, outcomes: ItemOutcome[], now: number) {
    const byDelivery = new Map((await items(c, batchId)).map((i) => [i.deliveryId, i]));
    const sent: ItemOutcome[] = [];
    const failed: ItemOutcome[] = [];
    const moveOn: Omit<Advance, 'enrolmentId' | 'confirmedAt'>[] = [];
    const confirmed: number[] = [];
    const confirmationFailed: number[] = [];
    for (const o of outcomes) {
      const item = byDelivery.get(o.deliveryId);
      if (!item) continue;
      const ok = o.error === undefined;
      (ok ? sent : failed).push(o);
      if (item.subscriberId === null) continue;
      if (item.kind === 'sequence' && item.sequence !== null) {
        moveOn.push({ subscriberId: item.subscriberId, sequence: item.sequence, timezone: item.timezone, step: item.step, at: ok ? now : -1 });
      } else if (item.kind === 'confirmation') {
        (ok ? confirmed : confirmationFailed).push(item.subscriberId);
      }
    }
    if (sent.length) {
      await c.query(
        "UPDATE deliveries d SET status = 'sent', provider_id = u.pid, sent_at = $3, error = NULL FROM unnest($1::bigint[], $2::text[]) AS u(id, pid) WHERE d.id = u.id",
        [sent.map((o) => o.deliveryId), sent.map((o) => o.providerId ?? null), now],
      );
    }
    if (failed.length) {
      await c.query("UPDATE deliveries d SET status = 'failed', error = u.err FROM unnest($1::bigint[], $2::text[]) AS u(id, err) WHERE d.id = u.id", [failed.map((o) => o.deliveryId), failed.map((o) => o.error!)]);
    }
    // Each sequence email's enrolment: the last email of it went now (when it went), then it moves on.
    const enrolled = moveOn.length
      ? (
          await c.query<{ id: number; subscriberId: number; sequence: SequenceId; startedAt: number }>(
            `UPDATE enrolments e SET last_sent_at = CASE WHEN u.sent THEN greatest(coalesce(e.last_sent_at, 0), $4) ELSE e.last_sent_at END
             FROM unnest($1::bigint[], $2::text[], $3::boolean[]) AS u(sid, seq, sent)
             WHERE e.subscriber_id = u.sid AND e.sequence = u.seq
             RETURNING e.id, e.subscriber_id AS "subscriberId", e.sequence, e.started_at AS "startedAt"`,
            [moveOn.map((m) => m.subscriberId), moveOn.map((m) => m.sequence), moveOn.map((m) => m.at !== -1), now],
          )
        ).rows
      : [];
    const enrolmentOf = new Map(enrolled.map((e) => [`${e.subscriberId}:${e.sequence}`, e]));
    const advancing = moveOn.flatMap((m): Advance[] => {
      const e = enrolmentOf.get(`${m.subscriberId}:${m.sequence}`);
      return e ? [{ ...m, enrolmentId: e.id, confirmedAt: e.startedAt, at: now }] : [];
    });
    if (confirmed.length) await c.query("INSERT INTO activity (subscriber_id, type, at) SELECT id, 'confirmation_sent', $2 FROM unnest($1::bigint[]) AS id", [confirmed, now]);
    if (confirmationFailed.length) await c.query("UPDATE subscribers SET confirmation_sent_at = NULL, updated_at = $2 WHERE id = ANY($1) AND status = 'pending'", [confirmationFailed, now]);
    const completed = await advance(c, schedule, advancing, now, false);
    await batchDone(c, batchId, sent.length > 0 ? 'sent' : 'failed', sent.length > 0 ? now : null, failed.length > 0 ? `${failed.length} of ${outcomes.length} failed` : null);
    return { sent: sent.length, failed: failed.length, completed };
  }

  async function batchDone(c: Queryable, id: number, status: string, sentAt: number | null, error: string | null) {
    await c.query(
      'UPDATE batches SET status = $2, payload = NULL, sent_at = $3, last_error = $4, lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL, in_doubt = false WHERE id = $1',
      [id, status, sentAt, error],
    );
  }

  async function lockBatch(c: Queryable, id: number) {
    return (await c.query<BatchState>(`SELECT ${BATCH_STATE} FROM batches WHERE id = $1 FOR UPDATE`, [id])).rows[0];
  }

  async function payloadOf(c: Queryable, id: number): Promise<string | null> {
    return (await c.query<{ payload: string | null }>('SELECT payload FROM batches WHERE id = $1', [id])).rows[0]?.payload ?? null;
  }

  return {
    claimDue(now, limit, owner, leaseUntil, schedule) {
      return transaction(pool, async (c) => {
        const locked = (
          await c.query<LockedDueRow>(
            `SELECT ${DUE_COLUMNS}
             FROM ${DUE_FROM}
             WHERE e.next_send_at IS NOT NULL AND e.next_send_at <= $1
             ORDER BY e.next_send_at LIMIT $2
             FOR UPDATE OF e, s SKIP LOCKED`,
            [now, limit],
          )
        ).rows;
        const rows = await withCrossSequence(c, locked);
        const result: ClaimResult = { batchId: null, due: rows.length, rescheduled: 0, completed: 0, stopped: 0 };
        await applyDue(c, schedule, rows, now, { owner, leaseUntil }, result);
        return result;
      });
    },

    moveToVersion(now, limit, schedule) {
      return transaction(pool, async (c) => {
        let moved = 0;
        for (const sequence of schedule.sequences) {
          const locked = (
            await c.query<LockedDueRow>(
              `SELECT ${DUE_COLUMNS}
               FROM ${DUE_FROM}
               WHERE e.sequence = $1 AND e.next_send_at IS NOT NULL AND e.version < $2
               ORDER BY e.version, e.id LIMIT $3
               FOR UPDATE OF e, s SKIP LOCKED`,
              [sequence, schedule.versionOf(sequence), limit - moved],
            )
          ).rows;
          const rows = await withCrossSequence(c, locked);
          await applyDue(c, schedule, rows, now, null, { batchId: null, due: rows.length, rescheduled: 0, completed: 0, stopped: 0 });
          moved += rows.length;
          if (moved >= limit) break;
        }
        return moved;
      });
    },

    async scheduled(sequence, afterId, limit) {
      return (
        await pool.query<DueRow>(
          `SELECT ${DUE_COLUMNS}, ${CROSS_SEQUENCE_COLUMNS} FROM ${DUE_FROM}
           WHERE e.sequence = $3 AND s.id > $1 AND s.status = 'active' AND e.next_send_at IS NOT NULL ORDER BY s.id LIMIT $2`,
          [afterId, limit, sequence],
        )
      ).rows;
    },

    claimQueued(now, limit, owner, leaseUntil) {
      return transaction(pool, async (c) => {
        const ids = (await c.query<{ id: number }>("SELECT id FROM deliveries WHERE batch_id IS NULL AND status = 'queued' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", [limit])).rows.map((r) => r.id);
        if (ids.length === 0) return null;
        const batchId = await newBatch(c, owner, leaseUntil, now);
        await c.query('UPDATE deliveries SET batch_id = $2 WHERE id = ANY($1)', [ids, batchId]);
        return batchId;
      });
    },

    async claimStale(now, realNow, owner, leaseUntil) {
      const row = (
        await pool.query<{ id: number }>(
          `UPDATE batches SET lease_owner = $2, lease_expires_at = $3
           WHERE id = (SELECT id FROM batches WHERE status = 'ready' AND (lease_expires_at IS NULL OR lease_expires_at <= $4)
                         AND (next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING id`,
          [now, owner, leaseUntil, realNow],
        )
      ).rows[0];
      return row?.id ?? null;
    },

    async renewLease(batchId, owner, leaseUntil) {
      const r = await pool.query("UPDATE batches SET lease_expires_at = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'ready'", [batchId, owner, leaseUntil]);
      return (r.rowCount ?? 0) > 0;
    },

    async nextLeaseEnd(realNow) {
      const r = await pool.query<{ at: number | null }>("SELECT min(lease_expires_at) AS at FROM batches WHERE status = 'ready' AND lease_expires_at > $1", [realNow]);
      return r.rows[0]?.at ?? null;
    },

    async batch(id) {
      const b = (await pool.query<Batch>(`SELECT ${BATCH} FROM batches WHERE id = $1`, [id])).rows[0];
      return b && { id: b.id, status: b.status, attempts: b.attempts, payload: b.payload, idempotencyKey: b.idempotencyKey, leaseOwner: b.leaseOwner };
    },

    async items(batchId) {
      return items(pool, batchId);
    },

    beginAttempt(batchId, owner, now, realNow, leaseUntil, fresh, schedule, envelope) {
      return transaction(pool, async (c) => {
        const batch = await lockBatch(c, batchId);
        if (!batch || batch.status !== 'ready' || batch.leaseOwner !== owner) return { kind: 'lost' as const };
        if (!fresh && !batch.persisted) return { kind: 'lost' as const };
        const plan = schedule.planAttempt({ attempts: batch.attempts, inDoubt: batch.inDoubt, firstAttemptAt: batch.firstAttemptAt }, realNow);
        if (plan === 'hold') {
          await c.query("UPDATE batches SET status = 'held', last_error = $2, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1", [batchId, 'outcome unknown past the idempotency window: staff decide']);
          return { kind: 'held' as const };
        }
        const persisted = fresh ? null : envelope.open((await payloadOf(c, batchId))!);
        let emails = fresh?.emails ?? persisted!.emails;
        // A request to persist with this attempt: a fresh one, or one rebuilt smaller.
        let request: BatchRequest | null = fresh?.request ?? null;
        let dropped = 0;
        if (plan === 'rebuild') {
          const list = await items(c, batchId);
          const { drop, kept } = schedule.rebuild(list, emails);
          for (const item of list) {
            const reason = drop.get(item.deliveryId);
            if (!reason || item.subscriberId === null) continue;
            if (reason === 'suppressed') await suppressSubscriber(c, item.subscriberId, now);
            if (item.kind === 'confirmation') {
              await c.query("UPDATE subscribers SET confirmation_sent_at = NULL, updated_at = $2 WHERE id = $1 AND status = 'pending'", [item.subscriberId, now]);
            }
          }
          if (drop.size) {
            await c.query("UPDATE deliveries d SET status = 'dropped', error = 'dropped: ' || u.reason FROM unnest($1::bigint[], $2::text[]) AS u(id, reason) WHERE d.id = u.id", [[...drop.keys()], [...drop.values()]]);
          }
          dropped = drop.size;
          if (kept.length !== emails.length) {
            emails = kept;
            request = kept.length ? envelope.seal(kept) : null;
          }
          if (emails.length === 0) {
            await batchDone(c, batchId, 'failed', null, 'every delivery dropped');
            return { kind: 'empty' as const, dropped };
          }
        }
        if (!request) {
          await c.query('UPDATE batches SET attempts = attempts + 1, in_doubt = true, first_attempt_at = coalesce(first_attempt_at, $2), lease_expires_at = $3 WHERE id = $1', [batchId, realNow, leaseUntil]);
          return { kind: 'send' as const, emails, body: persisted!.body, idempotencyKey: batch.idempotencyKey, dropped, replay: plan === 'replay' };
        }
        await c.query(
          'UPDATE batches SET payload = $2, idempotency_key = $3, attempts = attempts + 1, in_doubt = true, first_attempt_at = $4, lease_expires_at = $5 WHERE id = $1',
          [batchId, request.payload, request.idempotencyKey, realNow, leaseUntil],
        );
        if (fresh) {
          const ids = emails.map((e) => envelope.deliveryIdOf(e));
          await c.query(
            'UPDATE deliveries d SET template_version = coalesce(u.version, d.template_version), subject = u.subject FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, version, subject) WHERE d.id = u.id',
            [ids, ids.map((id) => fresh.versions.get(id) ?? null), emails.map((e) => e.subject)],
          );
        }
        return { kind: 'send' as const, emails, body: request.body, idempotencyKey: request.idempotencyKey, dropped, replay: false };
      });
    },

    settle(batchId, outcomes, now, schedule) {
      return transaction(pool, async (c) => {
        // Only a batch still in flight: a former owner's late answer after a takeover changes nothing.
        if ((await lockBatch(c, batchId))?.status !== 'ready') return { sent: 0, failed: 0, completed: 0 };
        return settleItems(c, schedule, batchId, outcomes, now);
      });
    },

    split(batchId, parts, reason, owner, now, leaseUntil, envelope) {
      return transaction(pool, async (c) => {
        const ids: number[] = [];
        for (const emails of parts) {
          const id = await newBatch(c, owner, leaseUntil, now, envelope.seal(emails));
          await c.query('UPDATE deliveries SET batch_id = $2 WHERE id = ANY($1)', [emails.map((e) => envelope.deliveryIdOf(e)), id]);
          ids.push(id);
        }
        await batchDone(c, batchId, 'failed', null, `split: ${reason}`);
        return ids;
      });
    },

    async release(batchId, owner, retryAt, error, known) {
      await pool.query(
        `UPDATE batches SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = $3, last_error = coalesce($4, last_error),
           in_doubt = CASE WHEN $5 THEN false ELSE in_doubt END
         WHERE id = $1 AND lease_owner = $2`,
        [batchId, owner, retryAt, error, known],
      );
    },

    async markKnownFailure(batchId, owner, error) {
      await pool.query('UPDATE batches SET in_doubt = false, last_error = $3 WHERE id = $1 AND lease_owner = $2', [batchId, owner, error]);
    },

    async held() {
      return (
        await pool.query<HeldBatch>(
          `SELECT b.id, b.created_at AS "createdAt", b.first_attempt_at AS "firstAttemptAt", b.attempts, b.last_error AS "lastError",
                  count(d.id)::int AS deliveries, coalesce(string_agg(DISTINCT d.kind, ','), '') AS kinds
           FROM batches b LEFT JOIN deliveries d ON d.batch_id = b.id AND d.status = 'queued'
           WHERE b.status = 'held' GROUP BY b.id ORDER BY b.id`,
        )
      ).rows;
    },

    resolveHeld(batchId, decision, now, schedule) {
      return transaction(pool, async (c) => {
        const batch = await lockBatch(c, batchId);
        if (!batch || batch.status !== 'held') return false;
        if (decision === 'resend') {
          await c.query("UPDATE batches SET status = 'ready', in_doubt = false, first_attempt_at = NULL, next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1", [batchId]);
          return true;
        }
        // Staff know it arrived (the provider's log shows it): settle it as sent.
        await settleItems(c, schedule, batchId, (await items(c, batchId)).map((i) => ({ deliveryId: i.deliveryId })), now);
        return true;
      });
    },

    enqueueTest(test, now, envelope) {
      return transaction(pool, async (c) => {
        const deliveryId = (
          await c.query<{ id: number }>(
            "INSERT INTO deliveries (subscriber_id, kind, step, template_id, template_version, subject, to_address, status, created_at) VALUES ($6, 'test', 0, $1, $2, $3, $4, 'queued', $5) RETURNING id",
            [test.templateId, test.templateVersion, test.subject, test.toAddress, now, test.subscriberId],
          )
        ).rows[0]!.id;
        const batchId = await newBatch(c, null, null, now, envelope.seal([envelope.tagDelivery(test.email, deliveryId)]));
        await c.query('UPDATE deliveries SET batch_id = $2 WHERE id = $1', [deliveryId, batchId]);
        return deliveryId;
      });
    },

    enqueueResend(input, decide) {
      return transaction(pool, async (c): Promise<ResendOutcome> => {
        // Lock the subscriber's row first, then read in a new statement (a new snapshot): an
        // unsubscribe or another resend of theirs that held the lock is seen, one still to come waits.
        if ((await c.query('SELECT id FROM subscribers WHERE id = $1 FOR UPDATE', [input.subscriberId])).rowCount === 0) return { ok: false, reason: 'not_found' };
        const facts = (
          await c.query<ResendFacts>(
            `SELECT s.status, s.email IS NOT NULL AS "hasEmail",
                    EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = s.email_hash) AS suppressed,
                    EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = s.id AND d.kind = 'sequence' AND d.sequence = 'education' AND d.step = $2 AND d.status = 'sent') AS "stepSent",
                    EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = s.id AND d.kind = 'resend' AND d.status = 'queued') AS "resendQueued",
                    (SELECT max(d.created_at) FROM deliveries d WHERE d.subscriber_id = s.id AND d.kind = 'resend' AND d.sequence = 'education' AND d.step = $2 AND d.status IN ('queued', 'sent')) AS "lastResentAt"
             FROM subscribers s WHERE s.id = $1`,
            [input.subscriberId, input.step],
          )
        ).rows[0]!;
        const refusal = decide(facts, input.now);
        if (refusal) return { ok: false, reason: refusal, status: facts.status };
        const id = (
          await c.query<{ id: number }>(
            "INSERT INTO deliveries (subscriber_id, kind, sequence, step, template_id, subject, status, created_at) VALUES ($1, 'resend', 'education', $2, $3, $4, 'queued', $5) RETURNING id",
            [input.subscriberId, input.step, input.templateId, input.subject, input.now],
          )
        ).rows[0]!.id;
        return { ok: true, deliveryId: id };
      });
    },

    async sentBetween(from, to, people) {
      const sent = (
        await pool.query<SentInSpan>(
          `WITH people AS (SELECT DISTINCT subscriber_id AS id FROM deliveries
                           WHERE status = 'sent' AND sent_at BETWEEN $1 AND $2 AND subscriber_id IS NOT NULL ORDER BY subscriber_id LIMIT $3)
           SELECT d.subscriber_id AS "subscriberId", s.email, coalesce(s.timezone, 'UTC') AS timezone, d.kind, d.sequence, d.step, d.subject, d.sent_at AS "sentAt"
           FROM deliveries d JOIN people p ON p.id = d.subscriber_id JOIN subscribers s ON s.id = d.subscriber_id
           WHERE d.status = 'sent' AND d.sent_at BETWEEN $1 AND $2 ORDER BY d.subscriber_id, d.sent_at, d.id`,
          [from, to, people],
        )
      ).rows;
      const ids = [...new Set(sent.map((r) => r.subscriberId))];
      const planned = ids.length
        ? (
            await pool.query<PlannedNext>(
              `SELECT subscriber_id AS "subscriberId", sequence, next_step AS step, next_send_at AS at FROM enrolments
               WHERE subscriber_id = ANY($1) AND ended_at IS NULL AND next_step IS NOT NULL ORDER BY subscriber_id, sequence`,
              [ids],
            )
          ).rows
        : [];
      return { sent, planned };
    },

    async delivery(id) {
      return (await pool.query('SELECT id, status, provider_id AS "providerId", error, sent_at AS "sentAt" FROM deliveries WHERE id = $1', [id])).rows[0];
    },

    async stepCounts(sequence) {
      const out = new Map<number, StepCounts>();
      const get = (step: number) => {
        let c = out.get(step);
        if (!c) out.set(step, (c = { waiting: 0, sent: 0, delivered: 0, opened: 0, clicked: 0 }));
        return c;
      };
      for (const r of (await pool.query<{ step: number; n: number }>(
        `SELECT e.next_step AS step, count(*) AS n FROM enrolments e JOIN subscribers s ON s.id = e.subscriber_id
         WHERE e.sequence = $1 AND s.status = 'active' AND e.next_step IS NOT NULL GROUP BY e.next_step`,
        [sequence],
      )).rows) get(r.step).waiting = r.n;
      const sent = await pool.query<{ step: number } & Omit<StepCounts, 'waiting'>>(
        "SELECT step, count(*) AS sent, count(delivered_at) AS delivered, count(opened_at) AS opened, count(clicked_at) AS clicked FROM deliveries WHERE kind = 'sequence' AND sequence = $1 AND status = 'sent' GROUP BY step",
        [sequence],
      );
      for (const r of sent.rows) Object.assign(get(r.step), { sent: r.sent, delivered: r.delivered, opened: r.opened, clicked: r.clicked });
      return out;
    },

    async batches() {
      return (await pool.query<Batch>(`SELECT ${BATCH} FROM batches ORDER BY id`)).rows;
    },
  };
}
