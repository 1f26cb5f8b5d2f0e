// The PostgreSQL schema: the tables, columns and indexes of the store types
// (db/types.ts, enums from db/enums.ts), as the other engine's schema has
// them, so the stores keep one contract (test/stores/row-types.test.ts holds
// both to it). Times are integer milliseconds since the epoch (bigint); ids
// are bigint identities.
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ACTIVITY_TYPES, BATCH_STATUSES, DELIVERY_KINDS, DELIVERY_STATUSES, ENROLMENT_END_REASONS, EVENT_FLAG_REASONS, EVENT_FLAGS, READERS, SEQUENCE_IDS, STAFF_ROLES, SUBSCRIBER_STATUSES, UNSUBSCRIBE_REASONS } from '../enums.js';

const ms = (name: string) => bigint(name, { mode: 'number' });
const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ref = (name: string) => bigint(name, { mode: 'number' });

export const subscribers = pgTable(
  'subscribers',
  {
    id: id(),
    email: text('email'),
    emailHash: text('email_hash').notNull(),
    firstName: text('first_name'),
    timezone: text('timezone').notNull(),
    reader: text('reader', { enum: READERS }),
    status: text('status', { enum: SUBSCRIBER_STATUSES }).notNull().default('pending'),
    tokenGeneration: integer('token_generation').notNull().default(0),
    source: text('source'),
    signupIp: text('signup_ip'),
    signupUserAgent: text('signup_user_agent'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
    confirmationSentAt: ms('confirmation_sent_at'),
    confirmedAt: ms('confirmed_at'),
    consentText: text('consent_text'),
    consentVersion: text('consent_version'),
    consentIp: text('consent_ip'),
    consentUserAgent: text('consent_user_agent'),
    consentSource: text('consent_source'),
    consentGivenAt: ms('consent_given_at'),
    unsubscribedAt: ms('unsubscribed_at'),
    suppressedAt: ms('suppressed_at'),
    suppressedReason: text('suppressed_reason'),
    convertedAt: ms('converted_at'),
    completedAt: ms('completed_at'),
    erasedAt: ms('erased_at'),
    pausedUntil: ms('paused_until'),
  },
  (t) => [
    uniqueIndex('subscribers_email_hash_unique').on(t.emailHash),
    index('subscribers_status_idx').on(t.status),
    index('subscribers_created_idx').on(t.createdAt),
  ],
);

export const pendingDetails = pgTable('pending_details', {
  subscriberId: ref('subscriber_id')
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

export const enrolments = pgTable(
  'enrolments',
  {
    id: id(),
    subscriberId: ref('subscriber_id')
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

export const sequenceVersions = pgTable(
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

export const batches = pgTable(
  'batches',
  {
    id: id(),
    status: text('status', { enum: BATCH_STATUSES }).notNull().default('ready'),
    idempotencyKey: text('idempotency_key').notNull(),
    payload: text('payload'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ms('lease_expires_at'),
    attempts: integer('attempts').notNull().default(0),
    firstAttemptAt: ms('first_attempt_at'),
    inDoubt: boolean('in_doubt').notNull().default(false),
    nextAttemptAt: ms('next_attempt_at'),
    lastError: text('last_error'),
    createdAt: ms('created_at').notNull(),
    sentAt: ms('sent_at'),
  },
  (t) => [
    uniqueIndex('batches_idempotency_key_unique').on(t.idempotencyKey),
    index('batches_status_idx').on(t.status),
    // The stale-batch claim reads only unfinished batches.
    index('batches_ready_idx').on(t.leaseExpiresAt).where(sql`${t.status} = 'ready'`),
  ],
);

export const deliveries = pgTable(
  'deliveries',
  {
    id: id(),
    subscriberId: ref('subscriber_id').references(() => subscribers.id),
    kind: text('kind', { enum: DELIVERY_KINDS }).notNull(),
    toAddress: text('to_address'),
    sequence: text('sequence', { enum: SEQUENCE_IDS }),
    step: integer('step').notNull().default(0),
    templateId: text('template_id').notNull(),
    templateVersion: text('template_version'),
    subject: text('subject').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('queued'),
    batchId: ref('batch_id').references(() => batches.id),
    providerId: text('provider_id'),
    error: text('error'),
    createdAt: ms('created_at').notNull(),
    sentAt: ms('sent_at'),
    deliveredAt: ms('delivered_at'),
    delayedAt: ms('delayed_at'),
    openedAt: ms('opened_at'),
    clickedAt: ms('clicked_at'),
    bouncedAt: ms('bounced_at'),
    complainedAt: ms('complained_at'),
  },
  (t) => [
    uniqueIndex('deliveries_sequence_step_once').on(t.subscriberId, t.sequence, t.step).where(sql`${t.kind} = 'sequence'`),
    index('deliveries_batch_idx').on(t.batchId),
    index('deliveries_provider_idx').on(t.providerId),
    index('deliveries_step_idx').on(t.step, t.status),
    index('deliveries_subscriber_idx').on(t.subscriberId),
    index('deliveries_unbatched_idx').on(t.id).where(sql`${t.batchId} is null and ${t.status} = 'queued'`),
    index('deliveries_delivered_idx').on(t.deliveredAt).where(sql`${t.deliveredAt} is not null`),
    index('deliveries_complained_idx').on(t.complainedAt).where(sql`${t.complainedAt} is not null`),
  ],
);

export const providerEvents = pgTable(
  'provider_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    providerId: text('provider_id'),
    deliveryId: ref('delivery_id').references(() => deliveries.id),
    occurredAt: ms('occurred_at').notNull(),
    receivedAt: ms('received_at').notNull(),
    detail: text('detail'),
    flag: text('flag', { enum: EVENT_FLAGS }),
    flagReason: text('flag_reason', { enum: EVENT_FLAG_REASONS }),
  },
  (t) => [
    index('provider_events_delivery_idx').on(t.deliveryId),
    index('provider_events_flagged_idx').on(t.deliveryId).where(sql`${t.flag} is not null`),
    // The booking-click scan reads clicks in the order they came.
    index('provider_events_clicks_idx').on(t.receivedAt, t.id).where(sql`${t.type} = 'email.clicked'`),
  ],
);

export const subscriberMerges = pgTable('subscriber_merges', {
  fromId: bigint('from_id', { mode: 'number' }).primaryKey(),
  intoId: ref('into_id')
    .notNull()
    .references(() => subscribers.id),
  mergedAt: ms('merged_at').notNull(),
});

export const suppressions = pgTable('suppressions', {
  emailHash: text('email_hash').primaryKey(),
  reason: text('reason').notNull(),
  createdAt: ms('created_at').notNull(),
});

export const activity = pgTable(
  'activity',
  {
    id: id(),
    subscriberId: ref('subscriber_id').references(() => subscribers.id),
    type: text('type', { enum: ACTIVITY_TYPES }).notNull(),
    at: ms('at').notNull(),
    detail: text('detail'),
  },
  (t) => [index('activity_type_at_idx').on(t.type, t.at), index('activity_subscriber_idx').on(t.subscriberId)],
);

export const unsubscribeReasons = pgTable(
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

export const workerState = pgTable('worker_state', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: ms('updated_at').notNull(),
});

export const staffAccounts = pgTable('staff_accounts', {
  id: id(),
  name: text('name').notNull().unique(),
  role: text('role', { enum: STAFF_ROLES }).notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
  disabledAt: ms('disabled_at'),
  // The zone the staff area shows this account its times in; null: DEFAULT_TIMEZONE.
  timezone: text('timezone'),
});

export const staffSessions = pgTable(
  'staff_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    accountId: ref('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
    lastSeenAt: ms('last_seen_at').notNull(),
  },
  (t) => [index('staff_sessions_account_idx').on(t.accountId), index('staff_sessions_expires_idx').on(t.expiresAt)],
);

export const loginFailures = pgTable('login_failures', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStart: ms('window_start').notNull(),
  lastAt: ms('last_at').notNull(),
});

export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    at: ms('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    subscriberId: ref('subscriber_id').references(() => subscribers.id),
    detail: text('detail'),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_subscriber_idx').on(t.subscriberId, t.at)],
);

// Import reports kept for the coordinator (see the SQLite schema).
export const importReports = pgTable(
  'import_reports',
  {
    id: id(),
    createdAt: ms('created_at').notNull(),
    actor: text('actor').notNull(),
    expiresAt: ms('expires_at').notNull(),
    summary: text('summary').notNull(),
    notes: text('notes').notNull(),
  },
  (t) => [index('import_reports_expires_idx').on(t.expiresAt)],
);

export const importReportRows = pgTable(
  'import_report_rows',
  {
    id: id(),
    reportId: ref('report_id')
      .notNull()
      .references(() => importReports.id),
    row: integer('row').notNull(),
    email: text('email').notNull(),
    emailHash: text('email_hash'),
    outcome: text('outcome').notNull(),
    subscriberId: ref('subscriber_id'),
    problems: text('problems').notNull(),
    cells: text('cells').notNull(),
  },
  (t) => [index('import_report_rows_report_idx').on(t.reportId, t.row), index('import_report_rows_hash_idx').on(t.emailHash), index('import_report_rows_subscriber_idx').on(t.subscriberId)],
);
