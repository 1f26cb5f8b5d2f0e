import { dueRowOf, enteringRow } from '../cross-sequence.js';
import type pg from 'pg';
import { signupKindSql, signupSourcesOf } from '../signup-sources.js';
import type { SubscriberStore } from '../stores.js';
import { PAGE_SIZE, SUBSCRIBER_STATUSES, type ImportReportRow, type KeptImportReport, type ActivityType, type ConfirmInput, type ConfirmationResendOutcome, type DecideMerge, type DueRow, type MergeAudit, type MergePatch, type RekeyOutcome, type AddressHashes, type SignupRecord, type ImportResult, type PendingDetails, type LeavingReason, type UnsubscribeReasonCount, type ProfileField, type ProfileOutcome, type Subscriber, type SubscriberRow, type SubscriberStatus, type SuppressInput, type WithoutRecipient, type Enrolment, type EnrolmentEndReason, type SequenceId, type EnrolOutcome, type LeaveOutcome, type AddressCorrectionOutcome } from '../types.js';
import { AUDIT_FREE_TEXT, AUDIT_TYPED_TEXT, canonicalEmail, likeSubstring, personalStrings, scrub } from '../text.js';
import { selectList, transaction, type Queryable } from './client.js';
import { countHitSql, hitsIn } from './settings.js';
import { activity, deliveries, enrolments, importReportRows, importReports, pendingDetails, providerEvents, subscribers, suppressions } from './schema.js';

// A subscriber with their education enrolment's cursor (db/types.ts, Subscriber), read FROM ${VIEW}.
const SUBSCRIBER = `${selectList(subscribers, 's')}, e.next_step AS "nextStep", e.next_send_at AS "nextSendAt", e.last_sent_at AS "lastSequenceSentAt", e.version AS "sequenceVersion"`;
const VIEW = `subscribers s LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education'`;
const ENROLMENT = selectList(enrolments);
const DELIVERY = selectList(deliveries);
const EVENT = selectList(providerEvents);
const ACTIVITY = selectList(activity);
const SUPPRESSION = selectList(suppressions);
const PENDING_DETAILS = selectList(pendingDetails);

/** A signup's details for someone already on the list, kept until they confirm (the latest signup's win). */
async function keepAside(c: Queryable, id: number, r: SignupRecord): Promise<void> {
  await c.query(
    `INSERT INTO pending_details (subscriber_id, email, first_name, timezone, reader, source, signup_ip, signup_user_agent, signed_up_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (subscriber_id) DO UPDATE SET email = excluded.email, first_name = excluded.first_name, timezone = excluded.timezone, reader = excluded.reader,
       source = excluded.source, signup_ip = excluded.signup_ip, signup_user_agent = excluded.signup_user_agent, signed_up_at = excluded.signed_up_at`,
    [id, r.email, r.firstName, r.timezone, r.reader, r.source, r.ip, r.userAgent, r.now],
  );
}

async function pendingOf(c: Queryable, id: number): Promise<PendingDetails | null> {
  return (await c.query<PendingDetails>(`SELECT ${PENDING_DETAILS} FROM pending_details WHERE subscriber_id = $1`, [id])).rows[0] ?? null;
}

/** Counts a reason for unsubscribing under the last sequence email the person had (none: the education series' step 0) and its day. */
async function countReason(c: Queryable, id: number, now: number, given: LeavingReason): Promise<void> {
  await c.query(
    `INSERT INTO unsubscribe_reasons (sequence, step, reason, day, count)
     SELECT coalesce(last.sequence, 'education'), coalesce(last.step, 0), $3, $4, 1
     FROM (SELECT 1) AS one LEFT JOIN LATERAL (
       SELECT d.sequence, d.step FROM deliveries d
       WHERE d.subscriber_id = $1 AND d.kind = 'sequence' AND d.status = 'sent' AND d.sent_at <= $2
       ORDER BY d.sent_at DESC, d.id DESC LIMIT 1) AS last ON true
     ON CONFLICT (sequence, step, reason, day) DO UPDATE SET count = unsubscribe_reasons.count + 1`,
    [id, now, given.reason, given.day],
  );
}

async function dropPending(c: Queryable, id: number): Promise<void> {
  await c.query('DELETE FROM pending_details WHERE subscriber_id = $1', [id]);
}

// The columns a merge may set on the row that stays (MergePatch).
const MERGE_COLUMNS: Record<keyof MergePatch, string> = {
  firstName: 'first_name',
  createdAt: 'created_at',
  confirmedAt: 'confirmed_at',
  consentText: 'consent_text',
  consentVersion: 'consent_version',
  consentIp: 'consent_ip',
  consentUserAgent: 'consent_user_agent',
  consentSource: 'consent_source',
  consentGivenAt: 'consent_given_at',
};

/** Why the address is suppressed (under its hash, or the one an earlier release gave its spelling), or null. */
async function suppressionOf(c: Queryable, r: AddressHashes): Promise<string | null> {
  const found = (await c.query<{ h: string; reason: string }>('SELECT email_hash AS h, reason FROM suppressions WHERE email_hash = ANY($1)', [[r.emailHash, r.legacyHash ?? r.emailHash]])).rows;
  return (found.find((f) => f.h === r.emailHash) ?? found[0])?.reason ?? null;
}

// The signup's two statements are prepared once per connection (named): a
// signup's planning cost more of the server's time than running them.
const SIGNUP_READ = {
  name: 'signup-read',
  text: `SELECT ${SUBSCRIBER},
      (SELECT reason FROM suppressions WHERE email_hash = ANY($2) ORDER BY email_hash = $1 DESC LIMIT 1) AS "suppression$",
      (SELECT value FROM worker_state WHERE key = $3) AS "counter$"
    FROM (SELECT 1) AS one LEFT JOIN subscribers s ON s.email_hash = $1 LEFT JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education'`,
};

/** What a signup's decision reads, in one round trip: the row, a suppression (its own hash's first), the confirmations in the record's counter. */
async function readForSignup(c: Queryable, r: SignupRecord): Promise<{ existing: Subscriber | undefined; suppression: string | null; confirmations: number }> {
  const counter = r.confirmations;
  const read = (
    await c.query<Subscriber & { suppression$: string | null; counter$: string | null }>({
      ...SIGNUP_READ,
      values: [r.emailHash, [r.emailHash, r.legacyHash ?? r.emailHash], counter?.key ?? null],
    })
  ).rows[0]!;
  const { suppression$: suppression, counter$: counted, ...row } = read;
  return { existing: row.id === null ? undefined : row, suppression, confirmations: counter ? hitsIn(counted, r.now, counter.windowMs) : 0 };
}

const createSql = (counted: boolean) => ({
  name: counted ? 'signup-create-counted' : 'signup-create',
  text: `WITH l AS (SELECT pg_advisory_xact_lock(hashtext($9))),
    s AS (
      INSERT INTO subscribers (email, first_name, timezone, source, signup_ip, signup_user_agent, updated_at, reader, created_at, confirmation_sent_at, email_hash, status)
      SELECT $1, $2, $3, $4, $5, $6, $7::bigint, $8, $7, $7, $9, 'pending' FROM l
      WHERE NOT EXISTS (SELECT 1 FROM suppressions WHERE email_hash = ANY($11))
      ON CONFLICT (email_hash) DO NOTHING RETURNING id),
    a AS (INSERT INTO activity (subscriber_id, type, at, detail) SELECT id, 'signup', $7, $10 FROM s),
    d AS (
      INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, created_at)
      SELECT id, 'confirmation', 0, 'confirmation', '(confirmation email)', 'queued', $7 FROM s RETURNING id)${
        counted
          ? `,
    h AS (${countHitSql('$12', '$7', '$13', 's')})`
          : ''
      }
    SELECT d.id AS delivery FROM d`,
});
const CREATE = createSql(false);
const CREATE_COUNTED = createSql(true);

/**
 * A new pending subscriber, its signup activity, its confirmation queued and
 * counted, in one statement under the address's lock (imports and merges
 * read, then insert, under it); the confirmation's delivery id, or null
 * (nothing written) when the address is taken or on the suppression list.
 */
async function createIn(c: Queryable, r: SignupRecord, action: { afterErasure?: boolean }): Promise<number | null> {
  const counter = r.confirmations;
  const rows = (
    await c.query<{ delivery: number }>({
      ...(counter ? CREATE_COUNTED : CREATE),
      values: [
        r.email,
        r.firstName,
        r.timezone,
        r.source,
        r.ip,
        r.userAgent,
        r.now,
        r.reader,
        r.emailHash,
        JSON.stringify(action.afterErasure ? { source: r.source, afterErasure: true } : { source: r.source }),
        [r.emailHash, r.legacyHash ?? r.emailHash],
        ...(counter ? [counter.key, counter.windowMs] : []),
      ],
    })
  ).rows;
  return rows[0]?.delivery ?? null;
}

async function rekeyIn(c: Queryable, id: number, hash: string, now: number, merge: DecideMerge, audit: MergeAudit): Promise<RekeyOutcome> {
  // The lock a signup of this address takes, so neither sees the other half done.
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [hash]);
  const row = (await c.query<Subscriber>(`SELECT ${SUBSCRIBER} FROM ${VIEW} WHERE s.id = $1 FOR UPDATE OF s`, [id])).rows[0];
  if (!row || row.email === null) return { kind: 'gone' };
  if (row.emailHash === hash) return { kind: 'unchanged' };
  // The suppression follows the address (the old entry stays: it can only match the old spelling).
  await c.query('INSERT INTO suppressions (email_hash, reason, created_at) SELECT $1, reason, created_at FROM suppressions WHERE email_hash = $2 ON CONFLICT DO NOTHING', [hash, row.emailHash]);
  const other = (await c.query<Subscriber>(`SELECT ${SUBSCRIBER} FROM ${VIEW} WHERE s.email_hash = $1 FOR UPDATE OF s`, [hash])).rows[0];
  if (!other) {
    await c.query('UPDATE subscribers SET email_hash = $1 WHERE id = $2', [hash, id]);
    return { kind: 'rekeyed' };
  }
  const { survivorId, patch } = merge(row, other);
  const mergedId = survivorId === row.id ? other.id : row.id;
  await c.query(
    `UPDATE deliveries SET kind = 'resend' WHERE subscriber_id = $1 AND kind = 'sequence'
       AND (sequence, step) IN (SELECT sequence, step FROM deliveries WHERE subscriber_id = $2 AND kind = 'sequence')`,
    [mergedId, survivorId],
  );
  // The row that stays keeps its own place in each sequence; one it never entered comes from the other.
  await c.query('UPDATE enrolments SET subscriber_id = $1 WHERE subscriber_id = $2 AND sequence NOT IN (SELECT sequence FROM enrolments WHERE subscriber_id = $1)', [survivorId, mergedId]);
  await c.query('DELETE FROM enrolments WHERE subscriber_id = $1', [mergedId]);
  await dropPending(c, mergedId);
  for (const table of ['deliveries', 'activity', 'audit_log']) await c.query(`UPDATE ${table} SET subscriber_id = $1 WHERE subscriber_id = $2`, [survivorId, mergedId]);
  await c.query('UPDATE subscriber_merges SET into_id = $1 WHERE into_id = $2', [survivorId, mergedId]);
  await c.query('INSERT INTO subscriber_merges (from_id, into_id, merged_at) VALUES ($1, $2, $3)', [mergedId, survivorId, now]);
  await c.query('DELETE FROM subscribers WHERE id = $1', [mergedId]);
  const fields = (Object.keys(patch) as (keyof MergePatch)[]).filter((k) => patch[k] !== undefined);
  await c.query(
    `UPDATE subscribers SET email_hash = $1, updated_at = $2${fields.map((k, i) => `, ${MERGE_COLUMNS[k]} = $${i + 4}`).join('')} WHERE id = $3`,
    [hash, now, survivorId, ...fields.map((k) => patch[k])],
  );
  const entry = audit(survivorId, mergedId);
  await c.query('INSERT INTO audit_log (at, actor, action, subscriber_id, detail) VALUES ($1, $2, $3, $4, $5)', [entry.at, entry.actor, entry.action, entry.subscriberId, entry.detail === null ? null : JSON.stringify(entry.detail)]);
  return { kind: 'merged', survivorId, mergedId };
}

const MAILABLE = ['pending', 'active', 'completed', 'converted'];
const KEEP_ON_CONVERT: readonly SubscriberStatus[] = ['unsubscribed', 'suppressed'];

/** Forgets the address staff sent test emails to, in any spelling; the ids of those test deliveries. */
async function clearTestAddress(c: Queryable, address: string): Promise<number[]> {
  const canonical = canonicalEmail(address);
  const ids = (await c.query<{ id: number; to: string }>("SELECT id, to_address AS to FROM deliveries WHERE kind = 'test' AND to_address IS NOT NULL")).rows
    .filter((d) => canonicalEmail(d.to) === canonical)
    .map((d) => d.id);
  if (ids.length) await c.query('UPDATE deliveries SET to_address = NULL WHERE id = ANY($1)', [ids]);
  return ids;
}

/**
 * Takes the emails to `address` out of the requests of these batches that
 * may still be rebuilt (ready and not in doubt, or held): an in-doubt one is
 * repeated as it is. Returns those batches' ids and how many were rewritten.
 */
async function withdrawFromBatches(c: Queryable, batchIds: number[], address: string, without: WithoutRecipient): Promise<{ open: number[]; withdrawn: number }> {
  if (batchIds.length === 0) return { open: [], withdrawn: 0 };
  const open = (await c.query<{ id: number; payload: string | null }>("SELECT id, payload FROM batches WHERE id = ANY($1) AND ((status = 'ready' AND NOT in_doubt) OR status = 'held') FOR UPDATE", [batchIds])).rows;
  let withdrawn = 0;
  for (const b of open) {
    if (b.payload === null) continue;
    const rewritten = without(b.payload, address);
    if (rewritten.kind === 'unchanged') continue;
    if (rewritten.kind === 'rewritten') await c.query('UPDATE batches SET payload = $2, idempotency_key = $3 WHERE id = $1', [b.id, rewritten.request.payload, rewritten.request.idempotencyKey]);
    else await c.query('UPDATE batches SET payload = NULL WHERE id = $1', [b.id]);
    withdrawn++;
  }
  return { open: open.map((b) => b.id), withdrawn };
}

/** Ends every enrolment of a subscriber still running, for `reason`, inside the caller's transaction. */
export async function endEnrolments(c: Queryable, subscriberId: number, at: number, reason: EnrolmentEndReason) {
  await c.query('UPDATE enrolments SET next_step = NULL, next_send_at = NULL, ended_at = $2, ended_reason = $3 WHERE subscriber_id = $1 AND ended_at IS NULL', [subscriberId, at, reason]);
}

export async function insertActivity(c: Queryable, subscriberId: number | null, type: ActivityType, at: number, detail?: Record<string, unknown> | null) {
  await c.query('INSERT INTO activity (subscriber_id, type, at, detail) VALUES ($1, $2, $3, $4)', [subscriberId, type, at, detail ? JSON.stringify(detail) : null]);
}

/** Adds the hash to the suppression list and stops the subscriber who has it, inside the caller's transaction. */
export async function suppressIn(c: Queryable, input: SuppressInput) {
  const { emailHash, reason, at, detail } = input;
  await c.query('INSERT INTO suppressions (email_hash, reason, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [emailHash, reason, at]);
  const sub = (await c.query<{ id: number; status: SubscriberStatus }>('SELECT id, status FROM subscribers WHERE email_hash = $1 FOR UPDATE', [emailHash])).rows[0];
  if (!sub) return { subscriberId: null, newlySuppressed: false };
  const newlySuppressed = sub.status !== 'suppressed' && sub.status !== 'erased';
  if (newlySuppressed) {
    await c.query(
      "UPDATE subscribers SET status = 'suppressed', suppressed_at = $1, suppressed_reason = $2, updated_at = $1 WHERE id = $3",
      [at, reason, sub.id],
    );
    await endEnrolments(c, sub.id, at, 'suppressed');
  }
  await insertActivity(c, sub.id, reason, at, detail);
  return { subscriberId: sub.id, newlySuppressed };
}

/** The step ids of a subscriber's deliveries of a sequence: what they have had of it (a dropped one never went). */
async function receivedSteps(c: Queryable, id: number, sequence: SequenceId = 'education'): Promise<number[]> {
  return (await c.query<{ step: number }>("SELECT step FROM deliveries WHERE subscriber_id = $1 AND kind = 'sequence' AND sequence = $2 AND status <> 'dropped'", [id, sequence])).rows.map((r) => r.step);
}

/**
 * Asks `decide` when each scheduled email of the subscriber goes now (a
 * pause or a time zone changed; `s` holds the change) and moves it there.
 * An email in flight (no time) is not moved: the due decision places the next one.
 */
async function replan(c: Queryable, s: SubscriberRow, decide: (row: DueRow) => number | null) {
  const all = (await c.query<Enrolment>(`SELECT ${ENROLMENT} FROM enrolments WHERE subscriber_id = $1`, [s.id])).rows;
  const scheduled = all.filter((e) => e.endedAt === null && e.nextSendAt !== null && e.nextStep !== null);
  if (scheduled.length === 0) return;
  const suppressed = (await c.query('SELECT 1 FROM suppressions WHERE email_hash = $1', [s.emailHash])).rowCount! > 0;
  for (const e of scheduled) {
    const row = dueRowOf(s, e, { received: await receivedSteps(c, s.id, e.sequence), suppressed, all });
    const at = decide(row);
    if (at !== null) await c.query('UPDATE enrolments SET next_send_at = $2 WHERE id = $1', [e.id, at]);
  }
}

export function postgresSubscriberStore(pool: pg.Pool): SubscriberStore {
  const byId = async (c: Queryable, id: number, lock = false) =>
    (await c.query<Subscriber>(`SELECT ${SUBSCRIBER} FROM ${VIEW} WHERE s.id = $1${lock ? ' FOR UPDATE OF s' : ''}`, [id])).rows[0];

  /** Confirms a pending subscriber inside the caller's transaction (see confirm()). */
  async function confirmIn(c: Queryable, id: number, input: ConfirmInput): Promise<Subscriber | undefined> {
    const s = await byId(c, id, true);
    if (!s || s.status !== 'pending') return undefined;
    const nextStep = input.firstStep(await receivedSteps(c, id));
    const { now, consent } = input;
    // The details their latest signup typed become theirs now that they confirm.
    const pending = await pendingOf(c, id);
    if (pending) {
      await c.query('UPDATE subscribers SET email = $2, first_name = $3, timezone = $4, reader = $5, source = $6, signup_ip = $7, signup_user_agent = $8 WHERE id = $1', [
        id,
        pending.email,
        pending.firstName,
        pending.timezone,
        pending.reader,
        pending.source,
        pending.signupIp,
        pending.signupUserAgent,
      ]);
      await dropPending(c, id);
    }
    const updated = (
      await c.query(
        `UPDATE subscribers SET status = $2, confirmed_at = $3, consent_text = $4, consent_version = $5, consent_ip = $6, consent_user_agent = $7,
           consent_source = $8, updated_at = $3, consent_given_at = $9
         WHERE id = $1 AND status = 'pending'`,
        [
          id,
          nextStep === null ? 'completed' : 'active',
          now,
          consent.text,
          consent.version,
          consent.ip,
          consent.userAgent,
          consent.source ?? (pending ? pending.source : s.source) ?? 'signup-form',
          consent.givenAt ?? now,
        ],
      )
    ).rowCount;
    if (!updated) return undefined;
    // They start the education sequence, or take it up again from where they left it, when its first step may go.
    const startsAt = nextStep === null ? now : (input.firstSendAt?.(nextStep, pending?.timezone ?? s.timezone) ?? now);
    await c.query(
      `INSERT INTO enrolments (subscriber_id, sequence, version, started_at, next_step, next_send_at, ended_at, ended_reason)
       VALUES ($1, 'education', $2, $3, $4, $5, $6, $7)
       ON CONFLICT (subscriber_id, sequence) DO UPDATE SET version = excluded.version, started_at = excluded.started_at, next_step = excluded.next_step,
         next_send_at = excluded.next_send_at, ended_at = excluded.ended_at, ended_reason = excluded.ended_reason`,
      [id, input.sequenceVersion, startsAt, nextStep, nextStep === null ? null : startsAt, nextStep === null ? now : null, nextStep === null ? 'completed' : null],
    );
    await insertActivity(c, id, 'confirmed', now, { consentVersion: consent.version, nextStep });
    return byId(c, id);
  }

  const REPORT_COLUMNS = `${selectList(importReports, 'r')}, (SELECT count(*)::int FROM import_report_rows x WHERE x.report_id = r.id) AS "rowsToFix"`;
  const ROW_COLUMNS = selectList(importReportRows);
  const ROW_FIELDS = ['row', 'email', 'email_hash', 'outcome', 'subscriber_id', 'problems', 'cells'] as const;

  return {
    keepImportReport(report) {
      return transaction(pool, async (c) => {
        const id = (
          await c.query<{ id: number }>('INSERT INTO import_reports (created_at, actor, expires_at, summary, notes) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
            report.createdAt,
            report.actor,
            report.expiresAt,
            report.summary,
            report.notes,
          ])
        ).rows[0]!.id;
        for (let at = 0; at < report.rows.length; at += 500) {
          const chunk = report.rows.slice(at, at + 500);
          const params: unknown[] = [id];
          const values = chunk.map((r) => {
            const slots = [r.row, r.email, r.emailHash, r.outcome, r.subscriberId, r.problems, r.cells].map((v) => `$${params.push(v)}`);
            return `($1, ${slots.join(', ')})`;
          });
          await c.query(`INSERT INTO import_report_rows (report_id, ${ROW_FIELDS.join(', ')}) VALUES ${values.join(', ')}`, params);
        }
        return id;
      });
    },
    async importReports(now, limit) {
      return (await pool.query<KeptImportReport>(`SELECT ${REPORT_COLUMNS} FROM import_reports r WHERE r.expires_at > $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2`, [now, limit])).rows;
    },
    async importReport(id, now) {
      const report = (await pool.query<KeptImportReport>(`SELECT ${REPORT_COLUMNS} FROM import_reports r WHERE r.id = $1 AND r.expires_at > $2`, [id, now])).rows[0];
      if (!report) return null;
      const rows = (await pool.query<ImportReportRow>(`SELECT ${ROW_COLUMNS} FROM import_report_rows WHERE report_id = $1 ORDER BY "row"`, [id])).rows;
      return { report, rows };
    },
    dropExpiredImportReports(now) {
      return transaction(pool, async (c) => {
        const ids = (await c.query<{ id: number }>('SELECT id FROM import_reports WHERE expires_at <= $1 FOR UPDATE', [now])).rows.map((r) => r.id);
        if (ids.length === 0) return 0;
        await c.query('DELETE FROM import_report_rows WHERE report_id = ANY($1)', [ids]);
        await c.query('DELETE FROM import_reports WHERE id = ANY($1)', [ids]);
        return ids.length;
      });
    },
    async byId(id) {
      return byId(pool, id);
    },

    async signup(r, decide) {
      // A new address, the common case, in two statements and no transaction
      // (each round trip to the server costs more than the SQL it carries): the
      // decision's read, then one statement that writes the row, its activity,
      // its confirmation and the confirmation's count, or nothing when the
      // address appeared or was suppressed meanwhile, and then the signup is
      // decided again, under the address's lock.
      const seen = await readForSignup(pool, r);
      if (seen.existing === undefined && seen.suppression === null) {
        const action = decide(undefined, null, seen.confirmations);
        if (action.kind === 'none') return { action, confirmationDeliveryId: null };
        if (action.kind === 'create' && !action.afterErasure) {
          const delivery = await createIn(pool, r, action);
          if (delivery !== null) return { action, confirmationDeliveryId: delivery };
        }
      }
      return transaction(pool, async (c) => {
        // One signup per address at a time, across every server: the decision reads, then writes.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [r.emailHash]);
        const { existing, suppression, confirmations } = await readForSignup(c, r);
        const action = decide(existing, suppression, confirmations);
        let id: number | null = null;
        let send = false;
        if (action.kind === 'create') {
          // Their own new signup lifts the erasure's block; the pending row keeps imports and staff away until they confirm.
          if (action.afterErasure) await c.query("DELETE FROM suppressions WHERE email_hash = ANY($1) AND reason = 'erased'", [[r.emailHash, r.legacyHash ?? r.emailHash]]);
          return { action, confirmationDeliveryId: await createIn(c, r, action) };
        } else if (action.kind === 'resend') {
          // Same links as before (same generation); the details typed this time wait for the confirmation.
          id = existing!.id;
          await keepAside(c, id, r);
          await c.query('UPDATE subscribers SET confirmation_sent_at = $2, updated_at = $2 WHERE id = $1', [id, r.now]);
          send = true;
        } else if (action.kind === 'reopen') {
          id = existing!.id;
          await keepAside(c, id, r);
          await c.query(
            `UPDATE subscribers SET status = 'pending', token_generation = token_generation + 1, updated_at = $2${action.send ? ', confirmation_sent_at = $2' : ''} WHERE id = $1`,
            [id, r.now],
          );
          await insertActivity(c, id, 'signup', r.now, { source: r.source, resubscribe: true });
          send = action.send;
        }
        if (id === null || !send) return { action, confirmationDeliveryId: null };
        const delivery = await c.query<{ id: number }>(
          `INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, created_at)
           VALUES ($1, 'confirmation', 0, 'confirmation', '(confirmation email)', 'queued', $2) RETURNING id`,
          [id, r.now],
        );
        const counter = r.confirmations;
        if (counter) await c.query(countHitSql('$1', '$2', '$3'), [counter.key, Math.floor(r.now), counter.windowMs]);
        return { action, confirmationDeliveryId: delivery.rows[0]!.id };
      });
    },

    confirm(id, input) {
      return transaction(pool, (c) => confirmIn(c, id, input));
    },

    importRows(rows, decide, audit) {
      return transaction(pool, async (c) => {
        const hashes = rows.map((r) => r.emailHash);
        if (new Set(hashes).size !== hashes.length) throw new Error('an import chunk holds each address once');
        // The lock a signup takes per address, taken in one order so two imports cannot deadlock.
        await c.query('SELECT pg_advisory_xact_lock(k) FROM (SELECT hashtext(h) AS k FROM unnest($1::text[]) AS h ORDER BY 1 OFFSET 0) AS keys', [hashes]);
        const existing = new Map(
          (await c.query<{ id: number; status: SubscriberStatus; h: string }>('SELECT id, status, email_hash AS h FROM subscribers WHERE email_hash = ANY($1)', [hashes])).rows.map((r) => [r.h, { id: r.id, status: r.status }]),
        );
        const legacy = rows.flatMap((r) => (r.legacyHash ? [r.legacyHash] : []));
        const suppressed = new Map((await c.query<{ h: string; reason: string }>('SELECT email_hash AS h, reason FROM suppressions WHERE email_hash = ANY($1)', [[...hashes, ...legacy]])).rows.map((r) => [r.h, r.reason]));
        const results: ImportResult[] = rows.map((r) => {
          const found = existing.get(r.emailHash);
          const action = decide(found, suppressed.get(r.emailHash) ?? (r.legacyHash ? suppressed.get(r.legacyHash) : undefined) ?? null, r);
          if (action.kind === 'enrol' && !r.confirm) throw new Error('an enrolled import row needs its consent');
          return { action, subscriberId: found?.id ?? null, status: found?.status ?? null };
        });
        const created = rows.map((r, i) => ({ r, result: results[i]! })).filter((x) => x.result.action.kind !== 'none');
        if (created.length === 0) return results;
        // One statement per table for the chunk; ids come back by address.
        const col = <T>(f: (x: (typeof created)[number]) => T) => created.map(f);
        const ids = new Map(
          (
            await c.query<{ id: number; h: string }>(
              `INSERT INTO subscribers (email, email_hash, first_name, timezone, reader, source, signup_ip, signup_user_agent, created_at, updated_at, confirmation_sent_at, status)
               SELECT e, h, f, tz, rd, src, ip, ua, t, t, CASE WHEN inv THEN t END, 'pending'
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bool[]) AS u(e, h, f, tz, rd, src, ip, ua, t, inv)
               RETURNING id, email_hash AS h`,
              [
                col((x) => x.r.email),
                col((x) => x.r.emailHash),
                col((x) => x.r.firstName),
                col((x) => x.r.timezone),
                col((x) => x.r.reader),
                col((x) => x.r.source),
                col((x) => x.r.ip),
                col((x) => x.r.userAgent),
                col((x) => x.r.now),
                col((x) => x.result.action.kind === 'invite'),
              ],
            )
          ).rows.map((row) => [row.h, row.id]),
        );
        for (const x of created) x.result.subscriberId = ids.get(x.r.emailHash)!;
        await c.query(
          "INSERT INTO activity (subscriber_id, type, at, detail) SELECT id, 'signup', t, d FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, t, d)",
          [col((x) => x.result.subscriberId), col((x) => x.r.now), col((x) => JSON.stringify({ source: x.r.source }))],
        );
        const invited = created.filter((x) => x.result.action.kind === 'invite');
        if (invited.length) {
          await c.query(
            `INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, created_at)
             SELECT id, 'confirmation', 0, 'confirmation', '(confirmation email)', 'queued', t FROM unnest($1::bigint[], $2::bigint[]) AS u(id, t)`,
            [invited.map((x) => x.result.subscriberId), invited.map((x) => x.r.now)],
          );
        }
        // The same confirmation as a link's, in this transaction.
        for (const x of created) if (x.result.action.kind === 'enrol') await confirmIn(c, x.result.subscriberId!, x.r.confirm!);
        const entries = created.map((x) => audit(x.result.subscriberId!, x.result.action));
        await c.query('INSERT INTO audit_log (at, actor, action, subscriber_id, detail) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[])', [
          entries.map((e) => e.at),
          entries.map((e) => e.actor),
          entries.map((e) => e.action),
          entries.map((e) => e.subscriberId),
          entries.map((e) => (e.detail === null ? null : JSON.stringify(e.detail))),
        ]);
        return results;
      });
    },

    async enrolments(id) {
      return (await pool.query<Enrolment>(`SELECT ${ENROLMENT} FROM enrolments WHERE subscriber_id = $1 ORDER BY started_at, id`, [id])).rows;
    },

    enrol(id, input) {
      return transaction(pool, async (c): Promise<EnrolOutcome> => {
        const s = (await c.query<SubscriberRow>(`SELECT ${selectList(subscribers, 's')} FROM subscribers s WHERE s.id = $1 FOR UPDATE`, [id])).rows[0];
        if (!s) return { kind: 'unknown' };
        if (s.status !== 'active' && s.status !== 'completed') return { kind: 'not_mailable', status: s.status };
        const all = (await c.query<Enrolment>(`SELECT ${ENROLMENT} FROM enrolments WHERE subscriber_id = $1`, [id])).rows;
        const existing = all.find((e) => e.sequence === input.sequence);
        if (existing) return { kind: 'already', enrolment: existing };
        const { now } = input;
        const at = input.at(enteringRow(s, input, await receivedSteps(c, id, input.sequence), all));
        const enrolment = (
          await c.query<Enrolment>(
            `INSERT INTO enrolments (subscriber_id, sequence, version, started_at, next_step, next_send_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${ENROLMENT}`,
            [id, input.sequence, input.version, now, input.firstStep, at],
          )
        ).rows[0]!;
        // Finished with every sequence before: running one again.
        if (s.status === 'completed') await c.query("UPDATE subscribers SET status = 'active', updated_at = $2 WHERE id = $1", [id, now]);
        await insertActivity(c, id, 'enrolled', now, { sequence: input.sequence, by: input.by });
        return { kind: 'enrolled', enrolment };
      });
    },

    leave(id, input) {
      return transaction(pool, async (c): Promise<LeaveOutcome> => {
        await c.query('SELECT id FROM subscribers WHERE id = $1 FOR UPDATE', [id]);
        const running = (await c.query<Enrolment>(`SELECT ${ENROLMENT} FROM enrolments WHERE subscriber_id = $1 AND ended_at IS NULL`, [id])).rows;
        const e = running.find((r) => r.sequence === input.sequence);
        if (!e) return { kind: 'not_enrolled' };
        if (running.length === 1) return { kind: 'last' };
        const { now } = input;
        const ended = (
          await c.query<Enrolment>(
            `UPDATE enrolments SET next_step = NULL, next_send_at = NULL, ended_at = $2, ended_reason = $3 WHERE id = $1 RETURNING ${ENROLMENT}`,
            [e.id, now, input.reason],
          )
        ).rows[0]!;
        await insertActivity(c, id, 'left_sequence', now, { sequence: input.sequence, by: input.reason === 'left' ? 'subscriber' : 'staff' });
        return { kind: 'left', enrolment: ended };
      });
    },

    unsubscribe(id, now, detail, reason) {
      return transaction(pool, async (c) => {
        const updated = (
          await c.query(`UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = $2, updated_at = $2 WHERE id = $1 AND status = ANY($3)`, [id, now, MAILABLE])
        ).rowCount;
        if (!updated) return undefined;
        // A signup they never confirmed changes nothing now.
        await dropPending(c, id);
        if (reason) await countReason(c, id, now, reason);
        await endEnrolments(c, id, now, 'unsubscribed');
        await insertActivity(c, id, 'unsubscribed', now, detail);
        return byId(c, id);
      });
    },

    markConverted(id, now) {
      return transaction(pool, async (c) => {
        const sub = (await c.query<{ id: number; status: SubscriberStatus; convertedAt: number | null }>('SELECT id, status, converted_at AS "convertedAt" FROM subscribers WHERE id = $1 FOR UPDATE', [id])).rows[0];
        if (!sub) return { ok: false as const, reason: 'not_found' as const };
        if (sub.status === 'erased') return { ok: false as const, reason: 'erased' as const };
        // Not confirmed yet: they never started the sequence, so there is nothing to end.
        if (sub.status === 'pending') return { ok: false as const, reason: 'pending' as const };
        if (sub.convertedAt !== null) return { ok: true as const, changed: false, subscriber: { id: sub.id, status: sub.status, convertedAt: sub.convertedAt } };
        const status: SubscriberStatus = KEEP_ON_CONVERT.includes(sub.status) ? sub.status : 'converted';
        await c.query('UPDATE subscribers SET status = $2, converted_at = $3, updated_at = $3 WHERE id = $1', [id, status, now]);
        await endEnrolments(c, id, now, 'converted');
        await insertActivity(c, id, 'converted', now, { previousStatus: sub.status });
        return { ok: true as const, changed: true, subscriber: { id, status, convertedAt: now } };
      });
    },

    suppress(input) {
      return transaction(pool, (c) => suppressIn(c, input));
    },

    setPause(id, input) {
      return transaction(pool, async (c) => {
        const s = await byId(c, id, true);
        if (!s || s.status !== 'active') return undefined;
        const { now, pausedUntil } = input;
        await c.query('UPDATE subscribers SET paused_until = $2, updated_at = $3 WHERE id = $1', [id, pausedUntil, now]);
        await replan(c, { ...s, pausedUntil }, input.nextSendAt);
        await insertActivity(c, id, pausedUntil === null ? 'resumed' : 'paused', now, { ...input.detail, ...(pausedUntil === null ? {} : { until: pausedUntil }) });
        return byId(c, id);
      });
    },

    setReader(id, reader, now) {
      return transaction(pool, async (c) => {
        const s = await byId(c, id, true);
        if (!s || s.status === 'erased') return undefined;
        await c.query('UPDATE subscribers SET reader = $2, updated_at = $3 WHERE id = $1', [id, reader, now]);
        await insertActivity(c, id, 'reader_changed', now, { from: s.reader, to: reader });
        return byId(c, id);
      });
    },

    updateProfile(id, input) {
      return transaction(pool, async (c): Promise<ProfileOutcome | undefined> => {
        const s = await byId(c, id, true);
        if (!s || s.status === 'erased') return undefined;
        const { changes, now } = input;
        const changed = (Object.keys(changes) as ProfileField[]).filter((f) => changes[f] !== undefined && changes[f] !== s[f]);
        if (changed.length === 0) return { subscriber: s, changed };
        const next = { ...s, ...Object.fromEntries(changed.map((f) => [f, changes[f]])) } as Subscriber;
        await c.query('UPDATE subscribers SET first_name = $2, timezone = $3, reader = $4, updated_at = $5 WHERE id = $1', [id, next.firstName, next.timezone, next.reader, now]);
        if (changed.includes('timezone')) await replan(c, next, input.nextSendAt);
        if (changed.includes('reader')) await insertActivity(c, id, 'reader_changed', now, { from: s.reader, to: next.reader });
        return { subscriber: (await byId(c, id))!, changed };
      });
    },

    correctAddress(id, input, decide, without) {
      const { now, counter, hashes } = input;
      return transaction(pool, async (c): Promise<AddressCorrectionOutcome> => {
        // The new address's lock (a signup of it takes the same), then the person's row.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [hashes.emailHash]);
        const s = await byId(c, id, true);
        if (!s || s.status === 'erased' || s.email === null) return { ok: false, reason: 'not_found' };
        const sameAddress = s.emailHash === hashes.emailHash;
        const key = counter.keyPrefix + hashes.emailHash;
        const read = (
          await c.query<{ holder: number | null; suppression: string | null; counted: string | null; countedAt: string | null }>(
            `SELECT (SELECT id FROM subscribers WHERE email_hash = ANY($1) AND id <> $2 ORDER BY email_hash = $3 DESC LIMIT 1) AS holder,
                    (SELECT reason FROM suppressions WHERE email_hash = ANY($1) ORDER BY email_hash = $3 DESC LIMIT 1) AS suppression,
                    (SELECT value FROM worker_state WHERE key = $4) AS counted,
                    (SELECT updated_at FROM worker_state WHERE key = $4) AS "countedAt"`,
            [[hashes.emailHash, hashes.legacyHash ?? hashes.emailHash], id, hashes.emailHash, key],
          )
        ).rows[0]!;
        const action = decide({
          current: s,
          sameAddress,
          holderId: sameAddress ? null : read.holder,
          suppression: sameAddress ? null : read.suppression,
          sentInWindow: hitsIn(read.counted, now, counter.windowMs),
          lastSentAt: read.countedAt === null ? null : Number(read.countedAt),
        });
        switch (action.kind) {
          case 'refuse':
            return action.reason === 'address_in_use' ? { ok: false, reason: 'address_in_use', holderId: read.holder! } : { ok: false, reason: action.reason };
          case 'unchanged':
            return { ok: true, kind: 'unchanged' };
          case 'respell':
            await c.query('UPDATE subscribers SET email = $2, updated_at = $3 WHERE id = $1', [id, input.email, now]);
            return { ok: true, kind: 'respelled' };
          case 'correct':
            break;
        }
        const old = s.email!;
        // As on SQLite: test emails to the old address, queued emails to it, requests not yet sent, payloads and free text naming it.
        await clearTestAddress(c, old);
        const dels = (
          await c.query<{ id: number; status: string; batchId: number | null; subject: string; error: string | null }>(
            'SELECT id, status, batch_id AS "batchId", subject, error FROM deliveries WHERE subscriber_id = $1',
            [id],
          )
        ).rows;
        const batchIds = [...new Set(dels.filter((d) => d.status === 'queued').map((d) => d.batchId).filter((b): b is number => b !== null))];
        const openIds = new Set((await withdrawFromBatches(c, batchIds, old, without)).open);
        const dropped = dels.filter((d) => d.status === 'queued' && (d.batchId === null || openIds.has(d.batchId))).map((d) => d.id);
        if (dropped.length) await c.query("UPDATE deliveries SET status = 'dropped', error = 'dropped: address corrected' WHERE id = ANY($1)", [dropped]);
        for (const d of dels) {
          const subject = scrub(d.subject, [old])!;
          const error = scrub(d.error, [old]);
          if (subject !== d.subject || error !== d.error) await c.query('UPDATE deliveries SET subject = $2, error = $3 WHERE id = $1', [d.id, subject, error]);
        }
        await c.query("UPDATE provider_events SET detail = NULL WHERE detail ILIKE $1 ESCAPE '\\'", [likeSubstring(old)]);
        await c.query("UPDATE activity SET detail = NULL WHERE (subscriber_id = $2 OR subscriber_id IS NULL) AND detail ILIKE $1 ESCAPE '\\'", [likeSubstring(old), id]);
        await dropPending(c, id);
        await c.query("UPDATE audit_log SET detail = (detail::jsonb - $2::text[])::text WHERE detail ILIKE $1 ESCAPE '\\' AND detail LIKE '{%'", [likeSubstring(old), AUDIT_FREE_TEXT]);
        await c.query(
          `UPDATE subscribers SET email = $2, email_hash = $3, status = 'pending', token_generation = token_generation + 1, confirmation_sent_at = $4,
             suppressed_at = NULL, suppressed_reason = NULL, updated_at = $4
           WHERE id = $1`,
          [id, input.email, hashes.emailHash, now],
        );
        // Nothing is scheduled while they are pending: confirming takes the education series up again from the first email
        // they have not had; a later series (entered from the old address) ends, as staff took them out of it.
        await c.query(
          `UPDATE enrolments SET next_step = NULL, next_send_at = NULL,
             ended_at = CASE WHEN sequence = 'education' THEN NULL ELSE $2::bigint END, ended_reason = CASE WHEN sequence = 'education' THEN NULL ELSE 'staff' END
           WHERE subscriber_id = $1 AND ended_at IS NULL`,
          [id, now],
        );
        await insertActivity(c, id, 'address_corrected', now, { staff: input.staff, previousStatus: s.status });
        await c.query(countHitSql('$1', '$2', '$3'), [key, Math.floor(now), counter.windowMs]);
        const delivery = await c.query<{ id: number }>(
          `INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, created_at)
           VALUES ($1, 'confirmation', 0, 'confirmation', '(confirmation email)', 'queued', $2) RETURNING id`,
          [id, now],
        );
        return { ok: true, kind: 'corrected', deliveryId: delivery.rows[0]!.id, previousStatus: s.status, previousEmail: old, droppedDeliveries: dropped.length };
      });
    },

    erase(id, now, without) {
      return transaction(pool, async (c) => {
        const s = await byId(c, id, true);
        if (!s) return null;
        if (s.status === 'erased') return { id, email: null, alreadyErased: true, withdrawnFromBatches: 0, providerIds: [] };
        const secrets = personalStrings(s);
        await c.query("INSERT INTO suppressions (email_hash, reason, created_at) VALUES ($1, 'erased', $2) ON CONFLICT (email_hash) DO UPDATE SET reason = 'erased'", [s.emailHash, now]);
        // Test emails sent to their address (typed by staff, in any spelling) are theirs too.
        const testsTo = s.email === null ? [] : await clearTestAddress(c, s.email);
        const dels = (
          await c.query<{ id: number; status: string; batchId: number | null; subject: string; error: string | null; providerId: string | null }>(
            'SELECT id, status, batch_id AS "batchId", subject, error, provider_id AS "providerId" FROM deliveries WHERE subscriber_id = $1 OR id = ANY($2)',
            [id, testsTo],
          )
        ).rows;
        // As on SQLite: out of every batch that may be rebuilt (held ones too); an in-doubt one is repeated as it is.
        const batchIds = [...new Set(dels.filter((d) => d.status === 'queued').map((d) => d.batchId).filter((b): b is number => b !== null))];
        const { withdrawn } = s.email ? await withdrawFromBatches(c, batchIds, s.email, without) : { withdrawn: 0 };
        for (const d of dels) {
          const subject = scrub(d.subject, secrets)!;
          const error = scrub(d.error, secrets);
          if (subject !== d.subject || error !== d.error) await c.query('UPDATE deliveries SET subject = $2, error = $3 WHERE id = $1', [d.id, subject, error]);
        }
        if (dels.length) await c.query('UPDATE provider_events SET detail = NULL WHERE delivery_id = ANY($1)', [dels.map((d) => d.id)]);
        if (s.email) {
          await c.query("UPDATE provider_events SET detail = NULL WHERE detail ILIKE $1 ESCAPE '\\'", [likeSubstring(s.email)]);
          await c.query("UPDATE activity SET detail = NULL WHERE subscriber_id IS NULL AND detail ILIKE $1 ESCAPE '\\'", [likeSubstring(s.email)]);
        }
        await c.query('UPDATE activity SET detail = NULL WHERE subscriber_id = $1', [id]);
        await dropPending(c, id);
        // The audit keeps who acted, when and what; free text staff typed about the person and addresses go.
        await c.query("UPDATE audit_log SET detail = (detail::jsonb - $2::text[])::text WHERE subscriber_id = $1 AND detail LIKE '{%'", [id, AUDIT_TYPED_TEXT]);
        if (s.email) await c.query("UPDATE audit_log SET detail = (detail::jsonb - $2::text[])::text WHERE detail ILIKE $1 ESCAPE '\\' AND detail LIKE '{%'", [likeSubstring(s.email), AUDIT_FREE_TEXT]);
        await c.query(
          `UPDATE subscribers SET email = NULL, email_hash = $2, first_name = NULL, reader = NULL, signup_ip = NULL, signup_user_agent = NULL, consent_ip = NULL,
             consent_user_agent = NULL, status = 'erased', erased_at = $3, updated_at = $3,
             -- An imported consent's source and wording are whatever the file said (they may name the person); ours are fixed texts.
             consent_source = CASE WHEN source = 'import' THEN NULL ELSE consent_source END,
             consent_text = CASE WHEN source = 'import' THEN NULL ELSE consent_text END
           WHERE id = $1`,
          [id, `erased:${id}`, now],
        );
        await endEnrolments(c, id, now, 'erased');
        // Kept import reports: the rows that name them (their address, or the person the row created).
        await c.query('DELETE FROM import_report_rows WHERE email_hash = $1 OR subscriber_id = $2', [s.emailHash, id]);
        await insertActivity(c, id, 'erased', now);
        const providerIds = dels.map((d) => d.providerId).filter((p): p is string => p !== null);
        return { id, email: s.email, alreadyErased: false, withdrawnFromBatches: withdrawn, providerIds };
      });
    },

    async list(query) {
      const conds: string[] = [];
      const params: unknown[] = [];
      const text = query.q?.trim();
      if (text) {
        params.push(likeSubstring(text));
        // By address or by first name (what a caller gives on the phone).
        conds.push(`(email ILIKE $${params.length} ESCAPE '\\' OR first_name ILIKE $${params.length} ESCAPE '\\')`);
      }
      if (query.status) {
        params.push(query.status);
        conds.push(`status = $${params.length}`);
      }
      if (query.pausedAt !== undefined) {
        params.push(query.pausedAt);
        conds.push(`status = 'active' AND paused_until > $${params.length}`);
      }
      const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
      const total = (await pool.query<{ n: number }>(`SELECT count(*) AS n FROM subscribers ${where}`, params)).rows[0]!.n;
      const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
      const page = Math.min(Math.max(1, Math.floor(query.page ?? 1)), pageCount);
      const items = (
        await pool.query(
          `SELECT s.id, email, first_name AS "firstName", status, timezone, created_at AS "createdAt", confirmed_at AS "confirmedAt", e.next_step AS "nextStep", e.next_send_at AS "nextSendAt"
           FROM ${VIEW} ${where} ORDER BY s.created_at DESC, s.id DESC LIMIT ${PAGE_SIZE} OFFSET ${(page - 1) * PAGE_SIZE}`,
          params,
        )
      ).rows;
      const statusCounts = Object.fromEntries(SUBSCRIBER_STATUSES.map((s) => [s, 0])) as Record<SubscriberStatus, number>;
      for (const r of (await pool.query<{ status: SubscriberStatus; n: number }>('SELECT status, count(*) AS n FROM subscribers GROUP BY status')).rows) statusCounts[r.status] = r.n;
      const all = Object.values(statusCounts).reduce((a, b) => a + b, 0);
      return { items, page, pageSize: PAGE_SIZE, total, pageCount, statusCounts, all };
    },

    async pendingDetails(id) {
      return pendingOf(pool, id);
    },

    async record(id) {
      const subscriber = await byId(pool, id);
      if (!subscriber) return null;
      const dels = (await pool.query(`SELECT ${DELIVERY} FROM deliveries WHERE subscriber_id = $1 ORDER BY created_at, id`, [id])).rows;
      const events = dels.length ? (await pool.query(`SELECT ${EVENT} FROM provider_events WHERE delivery_id = ANY($1) ORDER BY occurred_at`, [dels.map((d) => d.id)])).rows : [];
      const byDelivery = new Map<number, typeof events>();
      for (const e of events) byDelivery.set(e.deliveryId, [...(byDelivery.get(e.deliveryId) ?? []), e]);
      return {
        subscriber,
        enrolments: (await pool.query<Enrolment>(`SELECT ${ENROLMENT} FROM enrolments WHERE subscriber_id = $1 ORDER BY started_at, id`, [id])).rows,
        deliveries: dels.map((d) => ({ ...d, events: byDelivery.get(d.id) ?? [] })),
        activity: (await pool.query(`SELECT ${ACTIVITY} FROM activity WHERE subscriber_id = $1 ORDER BY at, id`, [id])).rows,
        suppression: (await pool.query(`SELECT ${SUPPRESSION} FROM suppressions WHERE email_hash = $1`, [subscriber.emailHash])).rows[0] ?? null,
      };
    },

    suppressionOf(hashes) {
      return suppressionOf(pool, hashes);
    },

    resendConfirmation(id, input, decide) {
      const { now, counter } = input;
      return transaction(pool, async (c): Promise<ConfirmationResendOutcome> => {
        // The person's row lock also serialises their address's counter.
        const s = await byId(c, id, true);
        if (!s || s.status === 'erased') return { ok: false, reason: 'not_found' };
        const key = counter.keyPrefix + s.emailHash;
        const counted = (await c.query<{ value: string }>('SELECT value FROM worker_state WHERE key = $1', [key])).rows[0]?.value;
        const refusal = decide(s, await suppressionOf(c, { emailHash: s.emailHash }), hitsIn(counted, now, counter.windowMs));
        if (refusal) return { ok: false, reason: refusal };
        // An unsubscribed person opts in again: pending, with new links (the old ones may still be in their inbox).
        const reopened = s.status === 'unsubscribed';
        await c.query(
          `UPDATE subscribers SET confirmation_sent_at = $2, updated_at = $2${reopened ? ", status = 'pending', token_generation = token_generation + 1" : ''} WHERE id = $1`,
          [id, now],
        );
        if (reopened) await insertActivity(c, id, 'signup', now, { source: 'staff', staff: input.staff, resubscribe: true });
        await c.query(countHitSql('$1', '$2', '$3'), [key, Math.floor(now), counter.windowMs]);
        const delivery = await c.query<{ id: number }>(
          `INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, created_at)
           VALUES ($1, 'confirmation', 0, 'confirmation', '(confirmation email)', 'queued', $2) RETURNING id`,
          [id, now],
        );
        return { ok: true, deliveryId: delivery.rows[0]!.id, emailHash: s.emailHash, reopened };
      });
    },

    rekey(id, hash, now, merge, audit) {
      return transaction(pool, (c) => rekeyIn(c, id, hash, now, merge, audit));
    },

    async mergedInto(id) {
      return (await pool.query<{ intoId: number }>('SELECT into_id AS "intoId" FROM subscriber_merges WHERE from_id = $1', [id])).rows[0]?.intoId ?? null;
    },

    async *all(chunk = 500) {
      let after = 0;
      for (;;) {
        const rows = (await pool.query<Subscriber>(`SELECT ${SUBSCRIBER} FROM ${VIEW} WHERE s.id > $1 ORDER BY s.id LIMIT $2`, [after, chunk])).rows;
        yield* rows;
        if (rows.length < chunk) return;
        after = rows[rows.length - 1]!.id;
      }
    },

    async leftBefore(cutoff, limit) {
      return (
        await pool.query<{ id: number }>(
          `SELECT s.id FROM subscribers s
      WHERE (
        (s.status = 'unsubscribed' AND s.unsubscribed_at < $1)
        OR (s.status = 'completed' AND s.completed_at < $1
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = s.id AND (d.opened_at >= $1 OR d.clicked_at >= $1))
            AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.subscriber_id = s.id AND a.at >= $1)))
      ORDER BY s.id LIMIT $2`,
          [cutoff, limit],
        )
      ).rows.map((r) => r.id);
    },

    async unconfirmedBefore(cutoffs, limit) {
      return (
        await pool.query<{ id: number; confirmedBefore: boolean }>(
          `SELECT id, confirmed_at IS NOT NULL AS "confirmedBefore" FROM subscribers
           WHERE status = 'pending' AND coalesce(confirmation_sent_at, updated_at) < (CASE WHEN confirmed_at IS NULL THEN $1::bigint ELSE $2::bigint END)
           ORDER BY id LIMIT $3`,
          [cutoffs.neverConfirmed, cutoffs.confirmedBefore, limit],
        )
      ).rows;
    },

    async received(id) {
      return receivedSteps(pool, id);
    },

    async lastSequenceSent(id) {
      const row = (
        await pool.query<{ step: number; sentAt: number }>(
          `SELECT step, sent_at AS "sentAt" FROM deliveries WHERE subscriber_id = $1 AND kind = 'sequence' AND status = 'sent' AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1`,
          [id],
        )
      ).rows[0];
      return row ?? null;
    },

    async activityCounts(types, ranges) {
      const rows = (
        await pool.query<{ i: number; type: string; n: number }>(
          `SELECT r.i::int AS i, a.type, count(*) AS n
           FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS r(s, e, i)
           JOIN activity a ON a.type = ANY($3) AND a.at >= r.s AND a.at < r.e
           GROUP BY r.i, a.type`,
          [ranges.map((r) => r.start), ranges.map((r) => r.end), [...types]],
        )
      ).rows;
      const out = ranges.map(() => ({}) as Record<string, number>);
      for (const r of rows) out[r.i - 1]![r.type] = r.n;
      const allTime: Record<string, number> = Object.fromEntries(types.map((t) => [t, 0]));
      for (const r of (await pool.query<{ type: string; n: number }>('SELECT type, count(*) AS n FROM activity WHERE type = ANY($1) GROUP BY type', [[...types]])).rows) allTime[r.type] = r.n;
      return { ranges: out, allTime };
    },

    async unsubscribeReasons(sequence) {
      const rows = await pool.query<Omit<UnsubscribeReasonCount, 'day'>>(
        `SELECT sequence, step, reason, sum(count)::int AS count FROM unsubscribe_reasons WHERE sequence = $1
         GROUP BY sequence, step, reason ORDER BY step, reason`,
        [sequence],
      );
      return rows.rows;
    },

    async signupSources(ranges) {
      // Ranges numbered from 1; range 0 is all time.
      const all = [{ start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER }, ...ranges];
      const rows = (
        await pool.query<{ i: number; type: string; kind: string; n: string }>(
          `SELECT r.i::int - 1 AS i, a.type, ${signupKindSql(`(CASE WHEN a.detail LIKE '{%' THEN a.detail::jsonb ->> 'source' END)`)} AS kind, count(*) AS n
           FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS r(s, e, i)
           JOIN activity a ON a.type IN ('signup', 'confirmed') AND a.at >= r.s AND a.at < r.e
           LEFT JOIN subscribers s ON s.id = a.subscriber_id
           GROUP BY 1, 2, 3`,
          [all.map((r) => r.start), all.map((r) => r.end)],
        )
      ).rows;
      const of = (i: number) => signupSourcesOf(rows.filter((r) => r.i === i));
      return { ranges: ranges.map((_, i) => of(i + 1)), allTime: of(0) };
    },

    async unsubscribesByStep(sequence) {
      // Each unsubscribe under the last sequence email sent before it.
      const rows = await pool.query<{ step: number | null; n: number }>(
        `SELECT (SELECT d.step FROM deliveries d
                 WHERE d.subscriber_id = a.subscriber_id AND d.kind = 'sequence' AND d.sequence = $1 AND d.status = 'sent' AND d.sent_at <= a.at
                 ORDER BY d.sent_at DESC, d.id DESC LIMIT 1) AS step,
                count(*) AS n
         FROM activity a WHERE a.type = 'unsubscribed'
         GROUP BY 1`,
        [sequence],
      );
      return new Map(rows.rows.filter((r) => r.step !== null).map((r) => [r.step!, r.n]));
    },
  };
}
