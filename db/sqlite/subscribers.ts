import { dueRowOf, enteringRow } from '../cross-sequence.js';
import { and, asc, count, desc, eq, getTableColumns, gt, gte, inArray, isNotNull, isNull, lt, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import { signupKindSql, signupSourcesOf } from '../signup-sources.js';
import type { SubscriberStore } from '../stores.js';
import type { KeepImportReport, KeptImportReport, Enrolment, EnrolInput, EnrolOutcome, LeaveInput, LeaveOutcome, ActivityType, AddressHashes, EnrolmentEndReason, SequenceId, SubscriberRow, ConfirmationResendOutcome, ConfirmationResendInput, DecideConfirmationResend, ConfirmInput, DecideImport, DecideMerge, MergeAudit, RekeyOutcome, DueRow, EraseOutcome, ImportAudit, ImportRecord, ImportResult, LeavingReason, PauseInput, ProfileField, ProfileInput, ProfileOutcome, Reader, SignupRecord, Subscriber, SubscriberQuery, SuppressInput, WithoutRecipient, AddressCorrectionInput, AddressCorrectionOutcome, DecideAddressCorrection } from '../types.js';
import { PAGE_SIZE, SUBSCRIBER_STATUSES, type SubscriberStatus } from '../types.js';
import { AUDIT_FREE_TEXT, AUDIT_TYPED_TEXT, canonicalEmail, likeSubstring, personalStrings, scrub } from '../text.js';
import type { SqliteDb } from './client.js';
import { groupCommit } from './group-commit.js';
import { hitCounters } from './settings.js';
import { activity, auditLog, batches, deliveries, enrolments, importReportRows, importReports, pendingDetails, providerEvents, subscriberMerges, subscribers, suppressions, unsubscribeReasons } from './schema.js';

/** A subscriber with their education enrolment's cursor (db/types.ts, Subscriber). */
export const subscriberView = {
  ...getTableColumns(subscribers),
  nextStep: enrolments.nextStep,
  nextSendAt: enrolments.nextSendAt,
  lastSequenceSentAt: enrolments.lastSentAt,
  sequenceVersion: enrolments.version,
};
export const educationEnrolment = and(eq(enrolments.subscriberId, subscribers.id), eq(enrolments.sequence, 'education'));

/** Ends every enrolment of a subscriber still running, for `reason`. Runs inside the caller's transaction. */
export function endEnrolments(db: Writer, subscriberId: number, at: number, reason: EnrolmentEndReason): void {
  db.update(enrolments)
    .set({ nextStep: null, nextSendAt: null, endedAt: at, endedReason: reason })
    .where(and(eq(enrolments.subscriberId, subscriberId), isNull(enrolments.endedAt)))
    .run();
}


// Statuses that may still get mail; everything else is already off the list.
const MAILABLE = ['pending', 'active', 'completed', 'converted'] as const;
// Statuses that already stop all mail and say more than "converted" would.
const KEEP_ON_CONVERT: readonly SubscriberStatus[] = ['unsubscribed', 'suppressed'];

type Writer = Pick<SqliteDb, 'insert' | 'update' | 'select'>;

export function insertActivity(db: Writer, subscriberId: number | null, type: ActivityType, at: number, detail?: Record<string, unknown> | null): void {
  db.insert(activity)
    .values({ subscriberId, type, at, detail: detail ? JSON.stringify(detail) : null })
    .run();
}

/** Adds the hash to the suppression list and stops the subscriber who has it. Runs inside the caller's transaction. */
export function suppressIn(db: Writer, input: SuppressInput): { subscriberId: number | null; newlySuppressed: boolean } {
  const { emailHash, reason, at, detail } = input;
  db.insert(suppressions).values({ emailHash, reason, createdAt: at }).onConflictDoNothing().run();
  const sub = db.select({ id: subscribers.id, status: subscribers.status }).from(subscribers).where(eq(subscribers.emailHash, emailHash)).get();
  if (!sub) return { subscriberId: null, newlySuppressed: false };
  const newlySuppressed = sub.status !== 'suppressed' && sub.status !== 'erased';
  if (newlySuppressed) {
    db.update(subscribers)
      .set({ status: 'suppressed', suppressedAt: at, suppressedReason: reason, updatedAt: at })
      .where(eq(subscribers.id, sub.id))
      .run();
    endEnrolments(db, sub.id, at, 'suppressed');
  }
  insertActivity(db, sub.id, reason, at, detail);
  return { subscriberId: sub.id, newlySuppressed };
}

// How long an erase waits for the WAL to be emptied before answering, and how long it keeps trying after.
const ERASE_CHECKPOINT_WAIT_MS = 10_000;
const ERASE_CHECKPOINT_GIVE_UP_MS = 10 * 60_000;

/**
 * Copies the WAL back into the database and truncates it. A reader holding
 * an older snapshot keeps the checkpoint from finishing (the WAL would still
 * hold old row versions), so it is tried again, without blocking on the busy
 * handler, until it completes or `withinMs` passes; true when it completed.
 */
async function truncateWal(sqlite: SqliteDb['$client'], withinMs: number): Promise<boolean> {
  const giveUpAt = Date.now() + withinMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 1000)) {
    const busyTimeout = sqlite.pragma('busy_timeout', { simple: true }) as number;
    sqlite.pragma('busy_timeout = 0');
    let result: { busy: number; log: number; checkpointed: number };
    try {
      result = (sqlite.pragma('wal_checkpoint(TRUNCATE)') as (typeof result)[])[0]!;
    } finally {
      sqlite.pragma(`busy_timeout = ${busyTimeout}`);
    }
    if (result.busy === 0 && result.log === result.checkpointed) return true;
    if (Date.now() >= giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export function sqliteSubscriberStore(db: SqliteDb): SubscriberStore {
  const sqlite = db.$client;
  const p = sql.placeholder;
  // Each unsubscribe under the last sequence email sent before it (per subscriber from the sequence-once index).
  const unsubscribesByStep = sqlite.prepare<[SequenceId], { step: number | null; n: number }>(`
    SELECT (SELECT d.step FROM deliveries d
            WHERE d.subscriber_id = a.subscriber_id AND d.kind = 'sequence' AND d.sequence = ? AND d.status = 'sent' AND d.sent_at <= a.at
            ORDER BY d.sent_at DESC, d.id DESC LIMIT 1) AS step,
           count(*) AS n
    FROM activity a WHERE a.type = 'unsubscribed'
    GROUP BY 1`);
  const signupKinds = sqlite.prepare<[number, number], { type: string; kind: string; n: number }>(`
    SELECT a.type AS type, ${signupKindSql("CASE WHEN json_valid(a.detail) THEN json_extract(a.detail, '$.source') END")} AS kind, count(*) AS n
    FROM activity a LEFT JOIN subscribers s ON s.id = a.subscriber_id
    WHERE a.type IN ('signup', 'confirmed') AND a.at >= ? AND a.at < ?
    GROUP BY 1, 2`);
  // The statements every signup runs, prepared once: building SQL per request costs more than running it.
  const q = {
    // The retention sweep's page (every tick) and erase's and a merge's statements, prepared once too.
    leftBefore: sqlite.prepare<[{ cutoff: number; limit: number }], { id: number }>(`SELECT s.id FROM subscribers s
      WHERE (
        (s.status = 'unsubscribed' AND s.unsubscribed_at < @cutoff)
        OR (s.status = 'completed' AND s.completed_at < @cutoff
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = s.id AND (d.opened_at >= @cutoff OR d.clicked_at >= @cutoff))
            AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.subscriber_id = s.id AND a.at >= @cutoff)))
      ORDER BY s.id LIMIT @limit`),
    unconfirmedBefore: sqlite.prepare<[{ neverConfirmed: number; confirmedBefore: number; limit: number }], { id: number; confirmedBefore: 0 | 1 }>(`
      SELECT id, confirmed_at IS NOT NULL AS confirmedBefore FROM subscribers
      WHERE status = 'pending'
        AND coalesce(confirmation_sent_at, updated_at) < (CASE WHEN confirmed_at IS NULL THEN @neverConfirmed ELSE @confirmedBefore END)
      ORDER BY id LIMIT @limit`),
    auditTypedTextOf: sqlite.prepare<[number]>(`UPDATE audit_log SET detail = json_remove(detail, ${AUDIT_TYPED_TEXT.map((k) => `'$.${k}'`).join(', ')}) WHERE subscriber_id = ? AND json_valid(detail)`),
    auditFreeTextNaming: sqlite.prepare<[string]>(`UPDATE audit_log SET detail = json_remove(detail, ${AUDIT_FREE_TEXT.map((k) => `'$.${k}'`).join(', ')}) WHERE detail LIKE ? ESCAPE '\\' AND json_valid(detail)`),
    // A step both merged rows had stays on the one that goes as a 'resend', so it counts once.
    stepsHadTwiceAsResends: sqlite.prepare<[number, number]>(`
      UPDATE deliveries SET kind = 'resend' WHERE subscriber_id = ? AND kind = 'sequence'
        AND (sequence, step) IN (SELECT sequence, step FROM deliveries WHERE subscriber_id = ? AND kind = 'sequence')`),
    enrolmentsNotHeld: sqlite.prepare<[number, number, number]>(`
      UPDATE enrolments SET subscriber_id = ? WHERE subscriber_id = ?
        AND sequence NOT IN (SELECT sequence FROM enrolments WHERE subscriber_id = ?)`),
    byHash: db.select(subscriberView).from(subscribers).leftJoin(enrolments, educationEnrolment).where(eq(subscribers.emailHash, p('hash'))).prepare(),
    suppression: db.select({ reason: suppressions.reason }).from(suppressions).where(eq(suppressions.emailHash, p('hash'))).prepare(),
    liftErasure: db.delete(suppressions).where(and(eq(suppressions.emailHash, p('hash')), eq(suppressions.reason, 'erased'))).prepare(),
    insertPending: db
      .insert(subscribers)
      .values({
        email: p('email'),
        emailHash: p('hash'),
        firstName: p('firstName'),
        timezone: p('timezone'),
        reader: p('reader'),
        status: 'pending',
        source: p('source'),
        signupIp: p('ip'),
        signupUserAgent: p('userAgent'),
        createdAt: p('now'),
        updatedAt: p('now'),
        confirmationSentAt: p('sentAt'),
      })
      .returning({ id: subscribers.id })
      .prepare(),
    insertActivity: db
      .insert(activity)
      .values({ subscriberId: p('subscriberId'), type: p('type'), at: p('at'), detail: p('detail') })
      .prepare(),
    queueConfirmation: db
      .insert(deliveries)
      .values({ subscriberId: p('subscriberId'), kind: 'confirmation', step: 0, templateId: 'confirmation', subject: '(confirmation email)', status: 'queued', createdAt: p('now') })
      .returning({ id: deliveries.id })
      .prepare(),
    insertAudit: db
      .insert(auditLog)
      .values({ at: p('at'), actor: p('actor'), action: p('action'), subscriberId: p('subscriberId'), detail: p('detail') })
      .prepare(),
  };

  const hits = hitCounters(sqlite);

  /** Why the address is suppressed (under its hash, or the one an earlier release gave its spelling), or null. */
  function suppressionOf(r: AddressHashes): string | null {
    return q.suppression.get({ hash: r.emailHash })?.reason ?? (r.legacyHash ? (q.suppression.get({ hash: r.legacyHash })?.reason ?? null) : null);
  }

  /** A signup's details for someone already on the list, kept until they confirm (the latest signup's win). */
  function keepAside(id: number, r: SignupRecord) {
    const details = { email: r.email, firstName: r.firstName, timezone: r.timezone, reader: r.reader, source: r.source, signupIp: r.ip, signupUserAgent: r.userAgent, signedUpAt: r.now };
    db.insert(pendingDetails)
      .values({ subscriberId: id, ...details })
      .onConflictDoUpdate({ target: pendingDetails.subscriberId, set: details })
      .run();
  }

  const pendingOf = (id: number) => db.select().from(pendingDetails).where(eq(pendingDetails.subscriberId, id)).get() ?? null;
  const dropPending = (id: number) => db.delete(pendingDetails).where(eq(pendingDetails.subscriberId, id)).run();

  /** The signup's writes, synchronous: one unit inside a group commit. */
  function recordSignup(r: SignupRecord, decide: Parameters<SubscriberStore['signup']>[1]) {
    const existing = q.byHash.get({ hash: r.emailHash });
    const suppression = suppressionOf(r);
    const counter = r.confirmations;
    const action = decide(existing, suppression, counter ? hits.peek(counter.key, r.now, counter.windowMs) : 0);
    let id: number | null = null;
    let send = false;
    if (action.kind === 'create') {
      // Their own new signup lifts the erasure's block; the pending row keeps imports and staff away until they confirm.
      if (action.afterErasure) for (const hash of [r.emailHash, r.legacyHash]) if (hash) q.liftErasure.run({ hash });
      id = q.insertPending.get({ email: r.email, firstName: r.firstName, timezone: r.timezone, reader: r.reader, source: r.source, hash: r.emailHash, ip: r.ip, userAgent: r.userAgent, now: r.now, sentAt: r.now })!.id;
      q.insertActivity.run({ subscriberId: id, type: 'signup', at: r.now, detail: JSON.stringify(action.afterErasure ? { source: r.source, afterErasure: true } : { source: r.source }) });
      send = true;
    } else if (action.kind === 'resend') {
      // Same links as before (same generation); the details typed this time wait for the confirmation.
      keepAside(existing!.id, r);
      db.update(subscribers).set({ confirmationSentAt: r.now, updatedAt: r.now }).where(eq(subscribers.id, existing!.id)).run();
      id = existing!.id;
      send = true;
    } else if (action.kind === 'reopen') {
      keepAside(existing!.id, r);
      db.update(subscribers)
        .set({ status: 'pending', tokenGeneration: existing!.tokenGeneration + 1, updatedAt: r.now, ...(action.send ? { confirmationSentAt: r.now } : {}) })
        .where(eq(subscribers.id, existing!.id))
        .run();
      id = existing!.id;
      insertActivity(db, id, 'signup', r.now, { source: r.source, resubscribe: true });
      send = action.send;
    }
    if (id === null || !send) return { action, confirmationDeliveryId: null };
    const confirmationDeliveryId = q.queueConfirmation.get({ subscriberId: id, now: r.now })!.id;
    if (counter) hits.count(counter.key, r.now, counter.windowMs);
    return { action, confirmationDeliveryId };
  }

  const byId = (id: number): Subscriber | undefined => db.select(subscriberView).from(subscribers).leftJoin(enrolments, educationEnrolment).where(eq(subscribers.id, id)).get();

  /** The step ids of a subscriber's deliveries of a sequence: what they have had of it (a dropped one never went). */
  const receivedSteps = (id: number, sequence: SequenceId = 'education') =>
    db
      .select({ step: deliveries.step })
      .from(deliveries)
      .where(and(eq(deliveries.subscriberId, id), eq(deliveries.kind, 'sequence'), eq(deliveries.sequence, sequence), ne(deliveries.status, 'dropped')))
      .all()
      .map((r) => r.step);

  /** The enrolments of a subscriber still running with a next email scheduled (not in flight). */
  const scheduledEnrolments = (id: number) =>
    db
      .select()
      .from(enrolments)
      .where(and(eq(enrolments.subscriberId, id), isNull(enrolments.endedAt), isNotNull(enrolments.nextSendAt), isNotNull(enrolments.nextStep)))
      .all();

  /**
   * Asks `decide` when each scheduled email of the subscriber goes now (a
   * pause or a time zone changed; `s` holds the change) and moves it there.
   */
  function replan(s: SubscriberRow, decide: (row: DueRow) => number | null) {
    const scheduled = scheduledEnrolments(s.id);
    if (scheduled.length === 0) return;
    const all = db.select().from(enrolments).where(eq(enrolments.subscriberId, s.id)).all();
    const suppressed = db.select({ h: suppressions.emailHash }).from(suppressions).where(eq(suppressions.emailHash, s.emailHash)).get() !== undefined;
    for (const e of scheduled) {
      const row = dueRowOf(s, e, { received: receivedSteps(s.id, e.sequence), suppressed, all });
      const at = decide(row);
      if (at !== null) db.update(enrolments).set({ nextSendAt: at }).where(eq(enrolments.id, e.id)).run();
    }
  }

  const confirm = sqlite.transaction((id: number, input: ConfirmInput): Subscriber | undefined => {
    const s = byId(id);
    if (!s || s.status !== 'pending') return undefined;
    const nextStep = input.firstStep(receivedSteps(id));
    const { now, consent } = input;
    // The details their latest signup typed become theirs now that they confirm.
    const pending = pendingOf(id);
    const details = pending
      ? { email: pending.email, firstName: pending.firstName, timezone: pending.timezone, reader: pending.reader, source: pending.source, signupIp: pending.signupIp, signupUserAgent: pending.signupUserAgent }
      : {};
    if (pending) dropPending(id);
    const updated = db
      .update(subscribers)
      .set({
        ...details,
        status: nextStep === null ? 'completed' : 'active',
        confirmedAt: now,
        consentText: consent.text,
        consentVersion: consent.version,
        consentIp: consent.ip,
        consentUserAgent: consent.userAgent,
        consentSource: consent.source ?? (pending ? pending.source : s.source) ?? 'signup-form',
        consentGivenAt: consent.givenAt ?? now,
        updatedAt: now,
      })
      .where(and(eq(subscribers.id, id), eq(subscribers.status, 'pending')))
      .run();
    if (updated.changes === 0) return undefined;
    // They start the education sequence, or take it up again from where they left it, when its first step may go.
    const startsAt = nextStep === null ? now : (input.firstSendAt?.(nextStep, pending?.timezone ?? s.timezone) ?? now);
    const place = {
      version: input.sequenceVersion,
      startedAt: startsAt,
      nextStep,
      nextSendAt: nextStep === null ? null : startsAt,
      endedAt: nextStep === null ? now : null,
      endedReason: nextStep === null ? ('completed' as const) : null,
    };
    db.insert(enrolments)
      .values({ subscriberId: id, sequence: 'education', ...place })
      .onConflictDoUpdate({ target: [enrolments.subscriberId, enrolments.sequence], set: place })
      .run();
    insertActivity(db, id, 'confirmed', now, { consentVersion: consent.version, nextStep });
    return byId(id);
  });

  const enrolmentOf = (id: number, sequence: SequenceId): Enrolment | undefined =>
    db.select().from(enrolments).where(and(eq(enrolments.subscriberId, id), eq(enrolments.sequence, sequence))).get();

  const enrol = sqlite.transaction((id: number, input: EnrolInput): EnrolOutcome => {
    const s = db.select().from(subscribers).where(eq(subscribers.id, id)).get();
    if (!s) return { kind: 'unknown' };
    if (s.status !== 'active' && s.status !== 'completed') return { kind: 'not_mailable', status: s.status };
    const existing = enrolmentOf(id, input.sequence);
    if (existing) return { kind: 'already', enrolment: existing };
    const { now } = input;
    const all = db.select().from(enrolments).where(eq(enrolments.subscriberId, id)).all();
    const at = input.at(enteringRow(s, input, receivedSteps(id, input.sequence), all));
    const enrolment = db
      .insert(enrolments)
      .values({ subscriberId: id, sequence: input.sequence, version: input.version, startedAt: now, nextStep: input.firstStep, nextSendAt: at })
      .returning()
      .get();
    // Finished with every sequence before: running one again.
    if (s.status === 'completed') db.update(subscribers).set({ status: 'active', updatedAt: now }).where(eq(subscribers.id, id)).run();
    insertActivity(db, id, 'enrolled', now, { sequence: input.sequence, by: input.by });
    return { kind: 'enrolled', enrolment };
  });

  const leave = sqlite.transaction((id: number, input: LeaveInput): LeaveOutcome => {
    const e = enrolmentOf(id, input.sequence);
    if (!e || e.endedAt !== null) return { kind: 'not_enrolled' };
    const others = db
      .select({ id: enrolments.id })
      .from(enrolments)
      .where(and(eq(enrolments.subscriberId, id), isNull(enrolments.endedAt), ne(enrolments.id, e.id)))
      .all();
    if (others.length === 0) return { kind: 'last' };
    const { now } = input;
    const ended = db
      .update(enrolments)
      .set({ nextStep: null, nextSendAt: null, endedAt: now, endedReason: input.reason })
      .where(eq(enrolments.id, e.id))
      .returning()
      .get()!;
    insertActivity(db, id, 'left_sequence', now, { sequence: input.sequence, by: input.reason === 'left' ? 'subscriber' : 'staff' });
    return { kind: 'left', enrolment: ended };
  });

  const importRows = sqlite.transaction((rows: ImportRecord[], decide: DecideImport, audit: ImportAudit): ImportResult[] => {
    const seen = new Set<string>();
    return rows.map((r) => {
      if (seen.has(r.emailHash)) throw new Error('an import chunk holds each address once');
      seen.add(r.emailHash);
      const existing = q.byHash.get({ hash: r.emailHash });
      const suppression = suppressionOf(r);
      const action = decide(existing, suppression, r);
      if (action.kind === 'none') return { action, subscriberId: existing?.id ?? null, status: existing?.status ?? null };
      const invite = action.kind === 'invite';
      if (!invite && !r.confirm) throw new Error('an enrolled import row needs its consent');
      const id = q.insertPending.get({
        email: r.email,
        hash: r.emailHash,
        firstName: r.firstName,
        timezone: r.timezone,
        reader: r.reader,
        source: r.source,
        ip: r.ip,
        userAgent: r.userAgent,
        now: r.now,
        sentAt: invite ? r.now : null,
      })!.id;
      q.insertActivity.run({ subscriberId: id, type: 'signup', at: r.now, detail: JSON.stringify({ source: r.source }) });
      if (invite) q.queueConfirmation.run({ subscriberId: id, now: r.now });
      // The same confirmation as a link's (nested: a savepoint of this transaction).
      else confirm(id, r.confirm!);
      const entry = audit(id, action);
      q.insertAudit.run({ ...entry, detail: entry.detail === null ? null : JSON.stringify(entry.detail) });
      return { action, subscriberId: id, status: null };
    });
  });

  const resendConfirmation = sqlite.transaction((id: number, input: ConfirmationResendInput, decide: DecideConfirmationResend): ConfirmationResendOutcome => {
    const { now, counter } = input;
    const s = byId(id);
    if (!s || s.status === 'erased') return { ok: false, reason: 'not_found' };
    const key = counter.keyPrefix + s.emailHash;
    const refusal = decide(s, suppressionOf({ emailHash: s.emailHash }), hits.peek(key, now, counter.windowMs));
    if (refusal) return { ok: false, reason: refusal };
    // An unsubscribed person opts in again: pending, with new links (the old ones may still be in their inbox).
    const reopened = s.status === 'unsubscribed';
    db.update(subscribers)
      .set({ confirmationSentAt: now, updatedAt: now, ...(reopened ? { status: 'pending', tokenGeneration: s.tokenGeneration + 1 } : {}) })
      .where(eq(subscribers.id, id))
      .run();
    if (reopened) insertActivity(db, id, 'signup', now, { source: 'staff', staff: input.staff, resubscribe: true });
    hits.count(key, now, counter.windowMs);
    return { ok: true, deliveryId: q.queueConfirmation.get({ subscriberId: id, now })!.id, emailHash: s.emailHash, reopened };
  });

  const counterRow = sqlite.prepare<[string], { updatedAt: number }>('SELECT updated_at AS updatedAt FROM worker_state WHERE key = ?');

  /** Forgets the address staff sent test emails to, in any spelling; the ids of those test deliveries. */
  function clearTestAddress(address: string): number[] {
    const canonical = canonicalEmail(address);
    const ids = db
      .select({ id: deliveries.id, to: deliveries.toAddress })
      .from(deliveries)
      .where(and(eq(deliveries.kind, 'test'), isNotNull(deliveries.toAddress)))
      .all()
      .filter((d) => canonicalEmail(d.to!) === canonical)
      .map((d) => d.id);
    if (ids.length) db.update(deliveries).set({ toAddress: null }).where(inArray(deliveries.id, ids)).run();
    return ids;
  }

  /**
   * Takes the emails to `address` out of the requests of these batches that
   * may still be rebuilt (ready and not in doubt, or held): an in-doubt one
   * is repeated as it is. Returns those batches' ids and how many were rewritten.
   */
  function withdrawFromBatches(batchIds: number[], address: string, without: WithoutRecipient): { open: number[]; withdrawn: number } {
    if (batchIds.length === 0) return { open: [], withdrawn: 0 };
    const open = db
      .select()
      .from(batches)
      .where(and(inArray(batches.id, batchIds), or(and(eq(batches.status, 'ready'), eq(batches.inDoubt, false)), eq(batches.status, 'held'))))
      .all();
    let withdrawn = 0;
    for (const b of open) {
      if (b.payload === null) continue;
      const rewritten = without(b.payload, address);
      if (rewritten.kind === 'unchanged') continue;
      db.update(batches)
        .set(rewritten.kind === 'rewritten' ? { payload: rewritten.request.payload, idempotencyKey: rewritten.request.idempotencyKey } : { payload: null })
        .where(eq(batches.id, b.id))
        .run();
      withdrawn++;
    }
    return { open: open.map((b) => b.id), withdrawn };
  }

  const correctAddress = sqlite.transaction((id: number, input: AddressCorrectionInput, decide: DecideAddressCorrection, without: WithoutRecipient): AddressCorrectionOutcome => {
    const { now, counter, hashes } = input;
    const s = byId(id);
    if (!s || s.status === 'erased' || s.email === null) return { ok: false, reason: 'not_found' };
    const sameAddress = s.emailHash === hashes.emailHash;
    const holder = sameAddress ? undefined : (q.byHash.get({ hash: hashes.emailHash }) ?? (hashes.legacyHash ? q.byHash.get({ hash: hashes.legacyHash }) : undefined));
    const key = counter.keyPrefix + hashes.emailHash;
    const action = decide({
      current: s,
      sameAddress,
      holderId: holder && holder.id !== id ? holder.id : null,
      suppression: sameAddress ? null : suppressionOf(hashes),
      sentInWindow: hits.peek(key, now, counter.windowMs),
      lastSentAt: counterRow.get(key)?.updatedAt ?? null,
    });
    switch (action.kind) {
      case 'refuse':
        return action.reason === 'address_in_use' ? { ok: false, reason: 'address_in_use', holderId: holder!.id } : { ok: false, reason: action.reason };
      case 'unchanged':
        return { ok: true, kind: 'unchanged' };
      case 'respell':
        db.update(subscribers).set({ email: input.email, updatedAt: now }).where(eq(subscribers.id, id)).run();
        return { ok: true, kind: 'respelled' };
      case 'correct':
        break;
    }
    const old = s.email;
    // Test emails staff sent to the old address, in any spelling.
    clearTestAddress(old);
    const dels = db.select().from(deliveries).where(eq(deliveries.subscriberId, id)).all();
    // Emails queued to the old address do not go: unbatched ones, and those of a batch that may be rebuilt (its request is
    // rewritten without them). A batch whose last attempt is in doubt is repeated as it is (the provider may have sent it).
    const batchIds = [...new Set(dels.filter((d) => d.status === 'queued').map((d) => d.batchId).filter((b): b is number => b !== null))];
    const openIds = new Set(withdrawFromBatches(batchIds, old, without).open);
    const dropped = dels.filter((d) => d.status === 'queued' && (d.batchId === null || openIds.has(d.batchId))).map((d) => d.id);
    if (dropped.length) db.update(deliveries).set({ status: 'dropped', error: 'dropped: address corrected' }).where(inArray(deliveries.id, dropped)).run();
    for (const d of dels) {
      const subject = scrub(d.subject, [old])!;
      const error = scrub(d.error, [old]);
      if (subject !== d.subject || error !== d.error) db.update(deliveries).set({ subject, error }).where(eq(deliveries.id, d.id)).run();
    }
    // Webhook payloads carry the address.
    db.update(providerEvents).set({ detail: null }).where(sql`${providerEvents.detail} like ${likeSubstring(old)} escape '\\'`).run();
    db.update(activity)
      .set({ detail: null })
      .where(and(or(eq(activity.subscriberId, id), isNull(activity.subscriberId)), sql`${activity.detail} like ${likeSubstring(old)} escape '\\'`))
      .run();
    // A signup of the old address kept aside is not theirs to confirm any more.
    dropPending(id);
    q.auditFreeTextNaming.run(likeSubstring(old));
    db.update(subscribers)
      .set({
        email: input.email,
        emailHash: hashes.emailHash,
        status: 'pending',
        // Links in emails to the old address stop working.
        tokenGeneration: s.tokenGeneration + 1,
        confirmationSentAt: now,
        suppressedAt: null,
        suppressedReason: null,
        updatedAt: now,
      })
      .where(eq(subscribers.id, id))
      .run();
    // Nothing is scheduled while they are pending: confirming takes the education series up again from the first email
    // they have not had; a later series (entered from the old address) ends, as staff took them out of it.
    db.update(enrolments)
      .set({ nextStep: null, nextSendAt: null })
      .where(and(eq(enrolments.subscriberId, id), isNull(enrolments.endedAt), eq(enrolments.sequence, 'education')))
      .run();
    db.update(enrolments)
      .set({ nextStep: null, nextSendAt: null, endedAt: now, endedReason: 'staff' })
      .where(and(eq(enrolments.subscriberId, id), isNull(enrolments.endedAt), ne(enrolments.sequence, 'education')))
      .run();
    insertActivity(db, id, 'address_corrected', now, { staff: input.staff, previousStatus: s.status });
    hits.count(key, now, counter.windowMs);
    return { ok: true, kind: 'corrected', deliveryId: q.queueConfirmation.get({ subscriberId: id, now })!.id, previousStatus: s.status, previousEmail: old, droppedDeliveries: dropped.length };
  });

  const rekey = sqlite.transaction((id: number, hash: string, now: number, merge: DecideMerge, audit: MergeAudit): RekeyOutcome => {
    const row = byId(id);
    if (!row || row.email === null) return { kind: 'gone' };
    if (row.emailHash === hash) return { kind: 'unchanged' };
    // The suppression follows the address (the old entry stays: it can only match the old spelling).
    const suppression = db.select().from(suppressions).where(eq(suppressions.emailHash, row.emailHash)).get();
    if (suppression) db.insert(suppressions).values({ ...suppression, emailHash: hash }).onConflictDoNothing().run();
    const other = q.byHash.get({ hash });
    if (!other) {
      db.update(subscribers).set({ emailHash: hash }).where(eq(subscribers.id, id)).run();
      return { kind: 'rekeyed' };
    }
    const { survivorId, patch } = merge(row, other);
    const mergedId = survivorId === row.id ? other.id : row.id;
    q.stepsHadTwiceAsResends.run(mergedId, survivorId);
    // The row that stays keeps its own place in each sequence; one it never entered comes from the other.
    q.enrolmentsNotHeld.run(survivorId, mergedId, survivorId);
    db.delete(enrolments).where(eq(enrolments.subscriberId, mergedId)).run();
    dropPending(mergedId);
    db.update(deliveries).set({ subscriberId: survivorId }).where(eq(deliveries.subscriberId, mergedId)).run();
    db.update(activity).set({ subscriberId: survivorId }).where(eq(activity.subscriberId, mergedId)).run();
    db.update(auditLog).set({ subscriberId: survivorId }).where(eq(auditLog.subscriberId, mergedId)).run();
    db.update(subscriberMerges).set({ intoId: survivorId }).where(eq(subscriberMerges.intoId, mergedId)).run();
    db.insert(subscriberMerges).values({ fromId: mergedId, intoId: survivorId, mergedAt: now }).run();
    db.delete(subscribers).where(eq(subscribers.id, mergedId)).run();
    db.update(subscribers).set({ ...patch, emailHash: hash, updatedAt: now }).where(eq(subscribers.id, survivorId)).run();
    const entry = audit(survivorId, mergedId);
    q.insertAudit.run({ ...entry, detail: entry.detail === null ? null : JSON.stringify(entry.detail) });
    return { kind: 'merged', survivorId, mergedId };
  });

  /** Counts a reason for unsubscribing under the last sequence email the person had (none: the education series' step 0) and its day. */
  function countReason(id: number, now: number, given: LeavingReason) {
    const last = db
      .select({ sequence: deliveries.sequence, step: deliveries.step })
      .from(deliveries)
      .where(and(eq(deliveries.subscriberId, id), eq(deliveries.kind, 'sequence'), eq(deliveries.status, 'sent'), lte(deliveries.sentAt, now)))
      .orderBy(desc(deliveries.sentAt), desc(deliveries.id))
      .limit(1)
      .get();
    const key = { sequence: last?.sequence ?? 'education', step: last?.step ?? 0, reason: given.reason, day: given.day };
    db.insert(unsubscribeReasons)
      .values({ ...key, count: 1 })
      .onConflictDoUpdate({ target: [unsubscribeReasons.sequence, unsubscribeReasons.step, unsubscribeReasons.reason, unsubscribeReasons.day], set: { count: sql`${unsubscribeReasons.count} + 1` } })
      .run();
  }

  const unsubscribe = sqlite.transaction((id: number, now: number, detail: Record<string, unknown>, reason: LeavingReason | undefined) => {
    const updated = db
      .update(subscribers)
      .set({ status: 'unsubscribed', unsubscribedAt: now, updatedAt: now })
      .where(and(eq(subscribers.id, id), inArray(subscribers.status, [...MAILABLE])))
      .run();
    if (updated.changes === 0) return undefined;
    // A signup they never confirmed changes nothing now.
    dropPending(id);
    if (reason) countReason(id, now, reason);
    endEnrolments(db, id, now, 'unsubscribed');
    insertActivity(db, id, 'unsubscribed', now, detail);
    return byId(id);
  });

  const markConverted = sqlite.transaction((id: number, now: number) => {
    const sub = db.select({ id: subscribers.id, status: subscribers.status, convertedAt: subscribers.convertedAt }).from(subscribers).where(eq(subscribers.id, id)).get();
    if (!sub) return { ok: false as const, reason: 'not_found' as const };
    if (sub.status === 'erased') return { ok: false as const, reason: 'erased' as const };
    // Not confirmed yet: they never started the sequence, so there is nothing to end.
    if (sub.status === 'pending') return { ok: false as const, reason: 'pending' as const };
    if (sub.convertedAt !== null) return { ok: true as const, changed: false, subscriber: { id: sub.id, status: sub.status, convertedAt: sub.convertedAt } };
    const status: SubscriberStatus = KEEP_ON_CONVERT.includes(sub.status) ? sub.status : 'converted';
    db.update(subscribers).set({ status, convertedAt: now, updatedAt: now }).where(eq(subscribers.id, sub.id)).run();
    endEnrolments(db, sub.id, now, 'converted');
    insertActivity(db, sub.id, 'converted', now, { previousStatus: sub.status });
    return { ok: true as const, changed: true, subscriber: { id: sub.id, status, convertedAt: now } };
  });

  const suppress = sqlite.transaction((input: SuppressInput) => suppressIn(db, input));

  const setPause = sqlite.transaction((id: number, input: PauseInput): Subscriber | undefined => {
    const s = byId(id);
    if (!s || s.status !== 'active') return undefined;
    const { now, pausedUntil } = input;
    db.update(subscribers).set({ pausedUntil, updatedAt: now }).where(eq(subscribers.id, id)).run();
    // An email in flight is not moved: that email is already going; the due decision places the next one.
    replan({ ...s, pausedUntil }, input.nextSendAt);
    insertActivity(db, id, pausedUntil === null ? 'resumed' : 'paused', now, { ...input.detail, ...(pausedUntil === null ? {} : { until: pausedUntil }) });
    return byId(id);
  });

  const setReader = sqlite.transaction((id: number, reader: Reader | null, now: number): Subscriber | undefined => {
    const s = byId(id);
    if (!s || s.status === 'erased') return undefined;
    db.update(subscribers).set({ reader, updatedAt: now }).where(eq(subscribers.id, id)).run();
    insertActivity(db, id, 'reader_changed', now, { from: s.reader, to: reader });
    return byId(id);
  });

  const updateProfile = sqlite.transaction((id: number, input: ProfileInput): ProfileOutcome | undefined => {
    const s = byId(id);
    if (!s || s.status === 'erased') return undefined;
    const { changes, now } = input;
    const changed = (Object.keys(changes) as ProfileField[]).filter((f) => changes[f] !== undefined && changes[f] !== s[f]);
    if (changed.length === 0) return { subscriber: s, changed };
    const next = { ...s, ...Object.fromEntries(changed.map((f) => [f, changes[f]])) } as Subscriber;
    db.update(subscribers).set({ firstName: next.firstName, timezone: next.timezone, reader: next.reader, updatedAt: now }).where(eq(subscribers.id, id)).run();
    // An email in flight is not moved: that email is already going; the due decision places the next one in the new zone.
    if (changed.includes('timezone')) replan(next, input.nextSendAt);
    if (changed.includes('reader')) insertActivity(db, id, 'reader_changed', now, { from: s.reader, to: next.reader });
    return { subscriber: byId(id)!, changed };
  });

  /**
   * Removes the subscriber's personal data everywhere the database keeps it
   * and keeps only what stops us from mailing them again: the keyed hash of
   * the address in `suppressions` (reason 'erased'). Deliveries stay (for the
   * numbers) without personal data; a never attempted batch is rewritten
   * without them. IMMEDIATE, so it serialises with the worker's claims.
   */
  const erase = sqlite.transaction((id: number, now: number, without: WithoutRecipient): EraseOutcome | null => {
    const s = byId(id);
    if (!s) return null;
    if (s.status === 'erased') return { id, email: null, alreadyErased: true, withdrawnFromBatches: 0, providerIds: [] };
    const secrets = personalStrings(s);
    db.insert(suppressions).values({ emailHash: s.emailHash, reason: 'erased', createdAt: now }).onConflictDoUpdate({ target: suppressions.emailHash, set: { reason: 'erased' } }).run();

    // Test emails sent to their address (typed by staff, in any spelling) are theirs too.
    const testsTo = s.email === null ? [] : clearTestAddress(s.email);
    const dels = db
      .select()
      .from(deliveries)
      .where(testsTo.length ? or(eq(deliveries.subscriberId, id), inArray(deliveries.id, testsTo)) : eq(deliveries.subscriberId, id))
      .all();
    // Out of every batch whose request may be rebuilt (never attempted, its
    // last attempt failed with an answer, or held for staff, whose resend
    // rebuilds it): a new body and key are safe. Their deliveries stay queued and the worker drops
    // them before the next attempt (no address any more). A batch whose last
    // attempt is in doubt is repeated byte for byte (exactly once) and its
    // payload is cleared as soon as it settles.
    const batchIds = [...new Set(dels.filter((d) => d.status === 'queued').map((d) => d.batchId).filter((b): b is number => b !== null))];
    const { withdrawn } = s.email ? withdrawFromBatches(batchIds, s.email, without) : { withdrawn: 0 };
    for (const d of dels) {
      const subject = scrub(d.subject, secrets)!;
      const error = scrub(d.error, secrets);
      if (subject !== d.subject || error !== d.error) db.update(deliveries).set({ subject, error }).where(eq(deliveries.id, d.id)).run();
    }
    // Webhook payloads carry the address, and click events the reader's IP and user agent.
    if (dels.length) db.update(providerEvents).set({ detail: null }).where(inArray(providerEvents.deliveryId, dels.map((d) => d.id))).run();
    if (s.email) {
      db.update(providerEvents).set({ detail: null }).where(sql`${providerEvents.detail} like ${likeSubstring(s.email)} escape '\\'`).run();
      db.update(activity)
        .set({ detail: null })
        .where(and(isNull(activity.subscriberId), sql`${activity.detail} like ${likeSubstring(s.email)} escape '\\'`))
        .run();
    }
    db.update(activity).set({ detail: null }).where(eq(activity.subscriberId, id)).run();
    dropPending(id);
    // The audit keeps who acted, when and what; free text staff typed about the person and addresses go.
    q.auditTypedTextOf.run(id);
    if (s.email) q.auditFreeTextNaming.run(likeSubstring(s.email));
    db.update(subscribers)
      .set({
        email: null,
        // The hash moves to `suppressions` only, so this row no longer links to the address.
        emailHash: `erased:${id}`,
        firstName: null,
        // Who they read for says something about their health or a relative's.
        reader: null,
        signupIp: null,
        signupUserAgent: null,
        consentIp: null,
        consentUserAgent: null,
        // An imported consent's source and wording are whatever the file said (they may name the person); ours are fixed texts.
        ...(s.source === 'import' ? { consentSource: null, consentText: null } : {}),
        status: 'erased',
        erasedAt: now,
        updatedAt: now,
      })
      .where(eq(subscribers.id, id))
      .run();
    endEnrolments(db, id, now, 'erased');
    // Kept import reports: the rows that name them (their address, or the person the row created).
    db.delete(importReportRows)
      .where(or(eq(importReportRows.emailHash, s.emailHash), eq(importReportRows.subscriberId, id)))
      .run();
    insertActivity(db, id, 'erased', now);
    const providerIds = dels.map((d) => d.providerId).filter((p): p is string => p !== null);
    return { id, email: s.email, alreadyErased: false, withdrawnFromBatches: withdrawn, providerIds };
  });

  const keepImportReport = sqlite.transaction((report: KeepImportReport): number => {
    const { rows, ...kept } = report;
    const id = db.insert(importReports).values(kept).returning({ id: importReports.id }).get().id;
    for (let at = 0; at < rows.length; at += 500) {
      db.insert(importReportRows)
        .values(rows.slice(at, at + 500).map((r) => ({ ...r, reportId: id })))
        .run();
    }
    return id;
  });

  const reportColumns = { ...getTableColumns(importReports), rowsToFix: sql<number>`(SELECT count(*) FROM "import_report_rows" AS "x" WHERE "x"."report_id" = "import_reports"."id")` };

  const dropExpiredImportReports = sqlite.transaction((now: number): number => {
    const expired = db.select({ id: importReports.id }).from(importReports).where(lte(importReports.expiresAt, now)).all().map((r) => r.id);
    if (expired.length === 0) return 0;
    db.delete(importReportRows).where(inArray(importReportRows.reportId, expired)).run();
    db.delete(importReports).where(inArray(importReports.id, expired)).run();
    return expired.length;
  });

  return {
    async byId(id) {
      return byId(id);
    },
    async keepImportReport(report) {
      return keepImportReport.immediate(report);
    },
    async importReports(now, limit) {
      return db.select(reportColumns).from(importReports).where(gt(importReports.expiresAt, now)).orderBy(desc(importReports.createdAt), desc(importReports.id)).limit(limit).all() as KeptImportReport[];
    },
    async importReport(id, now) {
      const report = db
        .select(reportColumns)
        .from(importReports)
        .where(and(eq(importReports.id, id), gt(importReports.expiresAt, now)))
        .get() as KeptImportReport | undefined;
      if (!report) return null;
      return { report, rows: db.select().from(importReportRows).where(eq(importReportRows.reportId, id)).orderBy(asc(importReportRows.row)).all() };
    },
    async dropExpiredImportReports(now) {
      return dropExpiredImportReports.immediate(now);
    },
    async signup(record, decide) {
      return groupCommit(db).run(() => recordSignup(record, decide));
    },
    async confirm(id, input) {
      return confirm.immediate(id, input);
    },
    async importRows(rows, decide, audit) {
      return importRows.immediate(rows, decide, audit);
    },
    async enrolments(id) {
      return db.select().from(enrolments).where(eq(enrolments.subscriberId, id)).orderBy(enrolments.startedAt, enrolments.id).all();
    },
    async enrol(id, input) {
      return enrol.immediate(id, input);
    },
    async leave(id, input) {
      return leave.immediate(id, input);
    },
    async pendingDetails(id) {
      return pendingOf(id);
    },
    async unsubscribe(id, now, detail, reason) {
      return unsubscribe.immediate(id, now, detail, reason);
    },
    async markConverted(id, now) {
      return markConverted.immediate(id, now);
    },
    async suppress(input) {
      return suppress.immediate(input);
    },
    async setPause(id, input) {
      return setPause.immediate(id, input);
    },
    async setReader(id, reader, now) {
      return setReader.immediate(id, reader, now);
    },
    async updateProfile(id, input) {
      return updateProfile.immediate(id, input);
    },
    async erase(id, now, without) {
      const outcome = erase.immediate(id, now, without);
      // The old row versions sit in the WAL until a checkpoint copies the
      // (overwritten) pages back; truncating it leaves no copy to read.
      if (outcome && !outcome.alreadyErased) {
        const done = await truncateWal(sqlite, ERASE_CHECKPOINT_WAIT_MS);
        // A reader's snapshot outlived the wait: keep trying after answering.
        if (!done) void truncateWal(sqlite, ERASE_CHECKPOINT_GIVE_UP_MS);
      }
      return outcome;
    },
    async list(query: SubscriberQuery) {
      const conds: SQL[] = [];
      // Addresses are stored normalised (domain lower-cased); LIKE is case-insensitive for ASCII.
      const text = query.q?.trim();
      // By address or by first name (what a caller gives on the phone).
      if (text) conds.push(sql`(${subscribers.email} like ${likeSubstring(text)} escape '\\' or ${subscribers.firstName} like ${likeSubstring(text)} escape '\\')`);
      if (query.status) conds.push(eq(subscribers.status, query.status));
      if (query.pausedAt !== undefined) conds.push(eq(subscribers.status, 'active'), gt(subscribers.pausedUntil, query.pausedAt));
      const where = conds.length ? and(...conds) : undefined;
      const total = db.select({ n: count() }).from(subscribers).where(where).get()!.n;
      const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
      const page = Math.min(Math.max(1, Math.floor(query.page ?? 1)), pageCount);
      const items = db
        .select({
          id: subscribers.id,
          email: subscribers.email,
          firstName: subscribers.firstName,
          status: subscribers.status,
          timezone: subscribers.timezone,
          createdAt: subscribers.createdAt,
          confirmedAt: subscribers.confirmedAt,
          nextStep: enrolments.nextStep,
          nextSendAt: enrolments.nextSendAt,
        })
        .from(subscribers)
        .leftJoin(enrolments, educationEnrolment)
        .where(where)
        .orderBy(desc(subscribers.createdAt), desc(subscribers.id))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .all();
      const statusCounts = Object.fromEntries(SUBSCRIBER_STATUSES.map((s) => [s, 0])) as Record<SubscriberStatus, number>;
      for (const r of db.select({ status: subscribers.status, n: count() }).from(subscribers).groupBy(subscribers.status).all()) statusCounts[r.status] = r.n;
      const all = Object.values(statusCounts).reduce((a, b) => a + b, 0);
      return { items, page, pageSize: PAGE_SIZE, total, pageCount, statusCounts, all };
    },
    async record(id) {
      const subscriber = byId(id);
      if (!subscriber) return null;
      const dels = db.select().from(deliveries).where(eq(deliveries.subscriberId, id)).orderBy(asc(deliveries.createdAt), asc(deliveries.id)).all();
      const events = dels.length
        ? db.select().from(providerEvents).where(inArray(providerEvents.deliveryId, dels.map((d) => d.id))).orderBy(asc(providerEvents.occurredAt)).all()
        : [];
      const byDelivery = new Map<number, typeof events>();
      for (const e of events) {
        const list = byDelivery.get(e.deliveryId!) ?? [];
        list.push(e);
        byDelivery.set(e.deliveryId!, list);
      }
      return {
        subscriber,
        enrolments: db.select().from(enrolments).where(eq(enrolments.subscriberId, id)).orderBy(asc(enrolments.startedAt), asc(enrolments.id)).all(),
        deliveries: dels.map((d) => ({ ...d, events: byDelivery.get(d.id) ?? [] })),
        activity: db.select().from(activity).where(eq(activity.subscriberId, id)).orderBy(asc(activity.at), asc(activity.id)).all(),
        suppression: db.select().from(suppressions).where(eq(suppressions.emailHash, subscriber.emailHash)).get() ?? null,
      };
    },
    async resendConfirmation(id, input, decide) {
      return resendConfirmation.immediate(id, input, decide);
    },
    async correctAddress(id, input, decide, without) {
      return correctAddress.immediate(id, input, decide, without);
    },
    async suppressionOf(hashes) {
      return suppressionOf(hashes);
    },
    async rekey(id, hash, now, merge, audit) {
      return rekey(id, hash, now, merge, audit);
    },
    async mergedInto(id) {
      return db.select({ intoId: subscriberMerges.intoId }).from(subscriberMerges).where(eq(subscriberMerges.fromId, id)).get()?.intoId ?? null;
    },
    async *all(chunk = 500) {
      let after = 0;
      for (;;) {
        const rows = db.select(subscriberView).from(subscribers).leftJoin(enrolments, educationEnrolment).where(gt(subscribers.id, after)).orderBy(asc(subscribers.id)).limit(chunk).all();
        yield* rows;
        if (rows.length < chunk) return;
        after = rows[rows.length - 1]!.id;
      }
    },
    async leftBefore(cutoff, limit) {
      return q.leftBefore.all({ cutoff, limit }).map((r) => r.id);
    },
    async unconfirmedBefore(cutoffs, limit) {
      return q.unconfirmedBefore.all({ ...cutoffs, limit }).map((r) => ({ id: r.id, confirmedBefore: r.confirmedBefore === 1 }));
    },
    async received(id) {
      return receivedSteps(id);
    },

    async lastSequenceSent(id) {
      const last = db
        .select({ step: deliveries.step, sentAt: deliveries.sentAt })
        .from(deliveries)
        .where(and(eq(deliveries.subscriberId, id), eq(deliveries.kind, 'sequence'), eq(deliveries.status, 'sent'), isNotNull(deliveries.sentAt)))
        .orderBy(desc(deliveries.sentAt), desc(deliveries.id))
        .limit(1)
        .get();
      return last?.sentAt ? { step: last.step, sentAt: last.sentAt } : null;
    },
    async activityCounts(types, ranges) {
      // One small grouped query per range and per type, each answered from the (type, at) index alone.
      const out = ranges.map((r) => {
        const counts: Record<string, number> = {};
        const rows = db
          .select({ type: activity.type, n: count() })
          .from(activity)
          .where(and(inArray(activity.type, [...types]), gte(activity.at, r.start), lt(activity.at, r.end)))
          .groupBy(activity.type)
          .all();
        for (const row of rows) counts[row.type] = row.n;
        return counts;
      });
      const allTime: Record<string, number> = {};
      for (const type of types) allTime[type] = db.select({ n: count() }).from(activity).where(eq(activity.type, type)).get()!.n;
      return { ranges: out, allTime };
    },

    async unsubscribeReasons(sequence) {
      return db
        .select({ sequence: unsubscribeReasons.sequence, step: unsubscribeReasons.step, reason: unsubscribeReasons.reason, count: sql<number>`sum(${unsubscribeReasons.count})`.mapWith(Number) })
        .from(unsubscribeReasons)
        .where(eq(unsubscribeReasons.sequence, sequence))
        .groupBy(unsubscribeReasons.sequence, unsubscribeReasons.step, unsubscribeReasons.reason)
        .orderBy(asc(unsubscribeReasons.step), asc(unsubscribeReasons.reason))
        .all();
    },

    async signupSources(ranges) {
      return {
        ranges: ranges.map((r) => signupSourcesOf(signupKinds.all(r.start, r.end))),
        allTime: signupSourcesOf(signupKinds.all(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)),
      };
    },

    async unsubscribesByStep(sequence) {
      const rows = unsubscribesByStep.all(sequence);
      return new Map(rows.filter((r) => r.step !== null).map((r) => [r.step!, r.n]));
    },
  };
}
