import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { ACTIVITY_TYPES, BATCH_STATUSES, DELIVERY_KINDS, DELIVERY_STATUSES, ENROLMENT_END_REASONS, EVENT_FLAG_REASONS, EVENT_FLAGS, READERS, SEQUENCE_IDS, STAFF_ROLES, SUBSCRIBER_STATUSES, UNSUBSCRIBE_REASONS } from '../enums.js';

// All times are integer milliseconds since the epoch (UTC).
const ms = (name: string) => integer(name, { mode: 'number' });


export const subscribers = sqliteTable(
  'subscribers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    // Normalised address; null once erased.
    email: text('email'),
    // Keyed hash (HMAC with SECRET_KEY) of the normalised address. Kept after
    // erase so an erased or suppressed address is never mailed by mistake.
    emailHash: text('email_hash').notNull(),
    firstName: text('first_name'),
    timezone: text('timezone').notNull(),
    // Who they read for, picked optionally at signup; null reads the 'self' version.
    reader: text('reader', { enum: READERS }),
    status: text('status', { enum: SUBSCRIBER_STATUSES }).notNull().default('pending'),
    // Bumped on every re-subscribe so links from an earlier round stop working.
    tokenGeneration: integer('token_generation').notNull().default(0),
    source: text('source'),
    signupIp: text('signup_ip'),
    signupUserAgent: text('signup_user_agent'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
    // Last confirmation email sent (at most one per 10 minutes).
    confirmationSentAt: ms('confirmation_sent_at'),
    // Consent record, written when the subscriber confirms.
    confirmedAt: ms('confirmed_at'),
    consentText: text('consent_text'),
    consentVersion: text('consent_version'),
    consentIp: text('consent_ip'),
    consentUserAgent: text('consent_user_agent'),
    consentSource: text('consent_source'),
    // When the consent was given: the confirmation itself, or the date an
    // import recorded (before it). Null on rows confirmed before it was kept.
    consentGivenAt: ms('consent_given_at'),
    unsubscribedAt: ms('unsubscribed_at'),
    suppressedAt: ms('suppressed_at'),
    suppressedReason: text('suppressed_reason'),
    convertedAt: ms('converted_at'),
    completedAt: ms('completed_at'),
    erasedAt: ms('erased_at'),
    // The reader paused their emails until then: nothing goes before it. Kept
    // after it passes (a time in the past pauses nothing).
    pausedUntil: ms('paused_until'),
  },
  (t) => [
    uniqueIndex('subscribers_email_hash_unique').on(t.emailHash),
    index('subscribers_status_idx').on(t.status),
    index('subscribers_created_idx').on(t.createdAt),
  ],
);

// What a signup of an address already on the list typed (the person's name,
// zone, reader, spelling and signup record), kept aside until they confirm:
// an unconfirmed signup never changes the stored details. One per person; it
// goes when they confirm (applied), unsubscribe or are erased.
export const pendingDetails = sqliteTable('pending_details', {
  subscriberId: integer('subscriber_id')
    .primaryKey()
    .references(() => subscribers.id),
  email: text('email').notNull(),
  firstName: text('first_name'),
  timezone: text('timezone').notNull(),
  reader: text('reader', { enum: READERS }),
  source: text('source'),
  signupIp: text('signup_ip'),
  signupUserAgent: text('signup_user_agent'),
  signedUpAt: ms('signed_up_at').notNull(),
});

// A person's place in one sequence (src/nurture/sequence.ts): the version they
// follow, the next step and when it may go (both null when nothing is
// scheduled; the step stays, with no time, while its email is in flight),
// their last email of it, and when and why it ended. One per person and
// sequence: a person enters each sequence once (a re-subscribe reopens it).
export const enrolments = sqliteTable(
  'enrolments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subscriberId: integer('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    sequence: text('sequence', { enum: SEQUENCE_IDS }).notNull(),
    version: integer('version'),
    startedAt: ms('started_at').notNull(),
    nextStep: integer('next_step'),
    nextSendAt: ms('next_send_at'),
    lastSentAt: ms('last_sent_at'),
    endedAt: ms('ended_at'),
    endedReason: text('ended_reason', { enum: ENROLMENT_END_REASONS }),
  },
  (t) => [
    uniqueIndex('enrolments_subscriber_sequence_unique').on(t.subscriberId, t.sequence),
    index('enrolments_due_idx').on(t.nextSendAt).where(sql`${t.nextSendAt} is not null`),
    index('enrolments_version_idx').on(t.sequence, t.version).where(sql`${t.nextSendAt} is not null`),
  ],
);

// The versions of the sequence staff published (the plans are in the code:
// src/nurture/sequence.ts). The newest is the one running. The first
// migration that made this table published version 1.
export const sequenceVersions = sqliteTable(
  'sequence_versions',
  {
    sequence: text('sequence', { enum: SEQUENCE_IDS }).notNull().default('education'),
    version: integer('version').notNull(),
    publishedAt: ms('published_at').notNull(),
    publishedBy: text('published_by').notNull(),
    // The version of the code it runs when that is not its own number: an
    // earlier version published again (a roll back) takes a new number. Null:
    // its own number.
    plan: integer('plan'),
  },
  (t) => [primaryKey({ columns: [t.sequence, t.version] })],
);

// held: the outcome of an attempt older than the provider's idempotency
// window is unknown, so repeating it could send twice; staff decide.

// One provider request (up to 100 emails). Its payload is persisted before it
// is sent, so after a crash the identical request is repeated with the same
// idempotency key.
export const batches = sqliteTable(
  'batches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    status: text('status', { enum: BATCH_STATUSES }).notNull().default('ready'),
    idempotencyKey: text('idempotency_key').notNull(),
    // JSON of the exact request body; cleared once sent so no personal data lingers.
    payload: text('payload'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ms('lease_expires_at'),
    attempts: integer('attempts').notNull().default(0),
    // When the request first left; the provider keeps its idempotency key 24 h from then.
    firstAttemptAt: ms('first_attempt_at'),
    // The last attempt's outcome is unknown (it left and no answer was recorded:
    // a crash, a timeout). Only then is the request repeated byte for byte.
    inDoubt: integer('in_doubt', { mode: 'boolean' }).notNull().default(false),
    nextAttemptAt: ms('next_attempt_at'),
    lastError: text('last_error'),
    createdAt: ms('created_at').notNull(),
    sentAt: ms('sent_at'),
  },
  (t) => [
    uniqueIndex('batches_idempotency_key_unique').on(t.idempotencyKey),
    index('batches_status_idx').on(t.status),
  ],
);

// resend: a sequence step sent again by staff at the person's request; apart
// from the 'sequence' delivery of that step, so it never counts as the step
// being received (the once-only index below is the sequence's own guard).

export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subscriberId: integer('subscriber_id').references(() => subscribers.id),
    kind: text('kind', { enum: DELIVERY_KINDS }).notNull(),
    // A staff test send's address (staff, never a subscriber's).
    toAddress: text('to_address'),
    // The sequence of a sequence email or a resend; null for the confirmation email and tests.
    sequence: text('sequence', { enum: SEQUENCE_IDS }),
    // Sequence step id, also of a resend; 0 for the confirmation email and tests.
    step: integer('step').notNull().default(0),
    templateId: text('template_id').notNull(),
    templateVersion: text('template_version'),
    subject: text('subject').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('queued'),
    batchId: integer('batch_id').references(() => batches.id),
    providerId: text('provider_id'),
    error: text('error'),
    createdAt: ms('created_at').notNull(),
    sentAt: ms('sent_at'),
    // Provider events, first time seen.
    deliveredAt: ms('delivered_at'),
    delayedAt: ms('delayed_at'),
    openedAt: ms('opened_at'),
    clickedAt: ms('clicked_at'),
    bouncedAt: ms('bounced_at'),
    complainedAt: ms('complained_at'),
  },
  (t) => [
    // Exactly once: one sequence delivery per (subscriber, sequence, step).
    uniqueIndex('deliveries_sequence_step_once')
      .on(t.subscriberId, t.sequence, t.step)
      .where(sql`${t.kind} = 'sequence'`),
    index('deliveries_batch_idx').on(t.batchId),
    index('deliveries_provider_idx').on(t.providerId),
    index('deliveries_step_idx').on(t.step, t.status),
    // Confirmation and test emails waiting for the worker to claim them.
    index('deliveries_unbatched_idx').on(t.id).where(sql`${t.batchId} is null and ${t.status} = 'queued'`),
    // The complaint guard counts both over the last 7 days on every tick; only reported rows are indexed.
    index('deliveries_delivered_idx').on(t.deliveredAt).where(sql`${t.deliveredAt} is not null`),
    index('deliveries_complained_idx').on(t.complainedAt).where(sql`${t.complainedAt} is not null`),
  ],
);

// Opens and clicks that are kept but left out of the rates: who made them
// (flag) and what gave them away (reason). See src/subscribers/engagement-flags.ts.

// Webhook events from the provider; the primary key is the event (svix) id,
// so a replay is a no-op.
export const providerEvents = sqliteTable(
  'provider_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    providerId: text('provider_id'),
    deliveryId: integer('delivery_id').references(() => deliveries.id),
    occurredAt: ms('occurred_at').notNull(),
    receivedAt: ms('received_at').notNull(),
    detail: text('detail'),
    // Null: a person's open or click, counted in the rates.
    flag: text('flag', { enum: EVENT_FLAGS }),
    flagReason: text('flag_reason', { enum: EVENT_FLAG_REASONS }),
  },
  (t) => [
    index('provider_events_delivery_idx').on(t.deliveryId),
    index('provider_events_flagged_idx')
      .on(t.deliveryId)
      .where(sql`${t.flag} is not null`),
    // The booking-click scan reads clicks in the order they came.
    index('provider_events_clicks_idx')
      .on(t.receivedAt, t.id)
      .where(sql`${t.type} = 'email.clicked'`),
  ],
);

// Two rows that turned out to be one person (two spellings of one address,
// before addresses were compared in their canonical form) were merged into
// one: links signed for the row that went still find the person.
export const subscriberMerges = sqliteTable('subscriber_merges', {
  fromId: integer('from_id').primaryKey(),
  intoId: integer('into_id')
    .notNull()
    .references(() => subscribers.id),
  mergedAt: ms('merged_at').notNull(),
});

// Addresses never to be mailed again, by keyed hash.
export const suppressions = sqliteTable('suppressions', {
  emailHash: text('email_hash').primaryKey(),
  reason: text('reason').notNull(),
  createdAt: ms('created_at').notNull(),
});


// Append-only history of what happened to each subscriber; the funnel is
// counted from it per day.
export const activity = sqliteTable(
  'activity',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subscriberId: integer('subscriber_id').references(() => subscribers.id),
    type: text('type', { enum: ACTIVITY_TYPES }).notNull(),
    at: ms('at').notNull(),
    detail: text('detail'),
  },
  (t) => [
    index('activity_type_at_idx').on(t.type, t.at),
    index('activity_subscriber_idx').on(t.subscriberId),
  ],
);

// Why people unsubscribed, as counts only: per sequence step (the last email
// they had; 0 before any), reason and day (UTC midnight). No row names or
// links to a person, so the counts outlive every erasure.
export const unsubscribeReasons = sqliteTable(
  'unsubscribe_reasons',
  {
    sequence: text('sequence', { enum: SEQUENCE_IDS }).notNull(),
    step: integer('step').notNull(),
    reason: text('reason', { enum: UNSUBSCRIBE_REASONS }).notNull(),
    day: ms('day').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sequence, t.step, t.reason, t.day] })],
);

// Small worker state that must survive restarts (e.g. a daily-quota pause).
export const workerState = sqliteTable('worker_state', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: ms('updated_at').notNull(),
});


// Named staff logins. The password is kept as a salted scrypt hash with its
// parameters (src/staff/password.ts); a disabled account keeps its history.
export const staffAccounts = sqliteTable('staff_accounts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  role: text('role', { enum: STAFF_ROLES }).notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
  disabledAt: ms('disabled_at'),
  // The zone the staff area shows this account its times in; null: DEFAULT_TIMEZONE.
  timezone: text('timezone'),
});

// Login sessions. Only a hash of the cookie's token is stored, so a copy of
// the database opens no session.
export const staffSessions = sqliteTable(
  'staff_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    accountId: integer('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
    lastSeenAt: ms('last_seen_at').notNull(),
  },
  (t) => [index('staff_sessions_account_idx').on(t.accountId), index('staff_sessions_expires_idx').on(t.expiresAt)],
);

// Failed logins per key ('ip:...' or 'name:...') in the current window, in
// the database so that every server slows the same guesser down.
export const loginFailures = sqliteTable('login_failures', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStart: ms('window_start').notNull(),
  lastAt: ms('last_at').notNull(),
});

// Who did what to which subscriber, when. Append-only; details never hold
// personal data, so an erasure leaves them as they are.
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: ms('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    subscriberId: integer('subscriber_id').references(() => subscribers.id),
    detail: text('detail'),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_subscriber_idx').on(t.subscriberId, t.at)],
);

// Import reports kept for the coordinator to finish: the summary, and only
// the rows to fix (refused, or written with a warning), with their cells as
// given. Kept until expires_at; a person's erasure deletes the rows that name
// them (by the address's hash, or as the person the row created).
export const importReports = sqliteTable(
  'import_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    createdAt: ms('created_at').notNull(),
    actor: text('actor').notNull(),
    expiresAt: ms('expires_at').notNull(),
    summary: text('summary').notNull(),
    notes: text('notes').notNull(),
  },
  (t) => [index('import_reports_expires_idx').on(t.expiresAt)],
);

export const importReportRows = sqliteTable(
  'import_report_rows',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    reportId: integer('report_id')
      .notNull()
      .references(() => importReports.id),
    row: integer('row').notNull(),
    email: text('email').notNull(),
    emailHash: text('email_hash'),
    outcome: text('outcome').notNull(),
    subscriberId: integer('subscriber_id'),
    problems: text('problems').notNull(),
    cells: text('cells').notNull(),
  },
  (t) => [index('import_report_rows_report_idx').on(t.reportId, t.row), index('import_report_rows_hash_idx').on(t.emailHash), index('import_report_rows_subscriber_idx').on(t.subscriberId)],
);

export type Subscriber = typeof subscribers.$inferSelect;
export type NewSubscriber = typeof subscribers.$inferInsert;
export type Delivery = typeof deliveries.$inferSelect;
export type Batch = typeof batches.$inferSelect;
