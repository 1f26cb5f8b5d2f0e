/**
 * The rows and values the stores take and give, the same for every engine,
 * defined here: each engine's schema is held to these types by a test
 * (test/stores/row-types.test.ts), not the other way round. Services and
 * routes import these; they never see a schema or a driver.
 */
import type { ActivityType, BatchStatus, DeliveryKind, DeliveryStatus, EnrolmentEndReason, EventFlag, EventFlagReason, Reader, SequenceId, StaffRole, SubscriberStatus, UnsubscribeReason } from './enums.js';

export * from './enums.js';

/** Times are integer milliseconds since the epoch (UTC). */
type Ms = number;

/** A subscriber's row as stored. */
export type SubscriberRow = {
  id: number;
  /** As typed (NFC, domain lower-cased); null once erased. */
  email: string | null;
  /** Keyed hash of the canonical address; `erased:ID` once erased. */
  emailHash: string;
  firstName: string | null;
  timezone: string;
  reader: Reader | null;
  status: SubscriberStatus;
  tokenGeneration: number;
  source: string | null;
  signupIp: string | null;
  signupUserAgent: string | null;
  createdAt: Ms;
  updatedAt: Ms;
  confirmationSentAt: Ms | null;
  confirmedAt: Ms | null;
  consentText: string | null;
  consentVersion: string | null;
  consentIp: string | null;
  consentUserAgent: string | null;
  consentSource: string | null;
  consentGivenAt: Ms | null;
  unsubscribedAt: Ms | null;
  suppressedAt: Ms | null;
  suppressedReason: string | null;
  convertedAt: Ms | null;
  completedAt: Ms | null;
  erasedAt: Ms | null;
  pausedUntil: Ms | null;
};

/** Where a scan of clicks got to: the last click's received time and event id. */
export type ClickMark = { receivedAt: number; eventId: string };

/** A click on a page in one of our emails, by the person it went to. */
export type PageClick = ClickMark & { subscriberId: number };

/** A person's place in one sequence (the enrolments table). */
export type Enrolment = {
  id: number;
  subscriberId: number;
  sequence: SequenceId;
  /** The version of the sequence they follow; null for rows from before versions (taken as the running one). */
  version: number | null;
  startedAt: Ms;
  /** The next step; kept, with no time, while its email is in flight. */
  nextStep: number | null;
  nextSendAt: Ms | null;
  /** Their last email of this sequence. */
  lastSentAt: Ms | null;
  endedAt: Ms | null;
  endedReason: EnrolmentEndReason | null;
};

/** How a person came into a later sequence: a click of the booking link in an email, or staff. */
export type EnrolledBy = 'click' | 'staff';

/**
 * Entering a later sequence (once per person, while they are active or
 * finished): its version, its first step, and when that goes, asked of `at`
 * with the person's due row as the new enrolment would have it.
 */
export type EnrolInput = { sequence: SequenceId; now: number; version: number; firstStep: number; by: EnrolledBy; at: (row: DueRow) => number };

export type EnrolOutcome =
  | { kind: 'enrolled'; enrolment: Enrolment }
  /** They entered it before (running or ended): a person enters a sequence once. */
  | { kind: 'already'; enrolment: Enrolment }
  /** Pending, unsubscribed, converted, suppressed or erased: nothing more is sent. */
  | { kind: 'not_mailable'; status: SubscriberStatus }
  | { kind: 'unknown' };

/** Leaving one sequence and keeping the others: by the person ('left') or by staff. */
export type LeaveInput = { sequence: SequenceId; now: number; reason: Extract<EnrolmentEndReason, 'left' | 'staff'> };

export type LeaveOutcome =
  | { kind: 'left'; enrolment: Enrolment }
  /** Not in it, or it ended already. */
  | { kind: 'not_enrolled' }
  /** Their only running sequence: leaving it is unsubscribing, which says so. */
  | { kind: 'last' };

/**
 * A subscriber as the stores give one: the row, with their education
 * enrolment's cursor (all null when they have none) for the pages and
 * answers that show that sequence.
 */
export type Subscriber = SubscriberRow & {
  nextStep: number | null;
  nextSendAt: Ms | null;
  lastSequenceSentAt: Ms | null;
  sequenceVersion: number | null;
};

export type Delivery = {
  id: number;
  subscriberId: number | null;
  kind: DeliveryKind;
  toAddress: string | null;
  sequence: SequenceId | null;
  step: number;
  templateId: string;
  templateVersion: string | null;
  subject: string;
  status: DeliveryStatus;
  batchId: number | null;
  providerId: string | null;
  error: string | null;
  createdAt: Ms;
  sentAt: Ms | null;
  deliveredAt: Ms | null;
  delayedAt: Ms | null;
  openedAt: Ms | null;
  clickedAt: Ms | null;
  bouncedAt: Ms | null;
  complainedAt: Ms | null;
};

export type Batch = {
  id: number;
  status: BatchStatus;
  idempotencyKey: string;
  payload: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: Ms | null;
  attempts: number;
  firstAttemptAt: Ms | null;
  inDoubt: boolean;
  nextAttemptAt: Ms | null;
  lastError: string | null;
  createdAt: Ms;
  sentAt: Ms | null;
};

export type ProviderEventRow = {
  id: string;
  type: string;
  providerId: string | null;
  deliveryId: number | null;
  occurredAt: Ms;
  receivedAt: Ms;
  detail: string | null;
  flag: EventFlag | null;
  flagReason: EventFlagReason | null;
};

export type ActivityRow = { id: number; subscriberId: number | null; type: ActivityType; at: Ms; detail: string | null };

export type Suppression = { emailHash: string; reason: string; createdAt: Ms };

/** One outgoing message as every transport and the persisted batch payload hold it. */
export type OutgoingEmail = {
  from: string;
  to: string;
  /** The Reply-To address (REPLY_TO), when set. */
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  tags?: { name: string; value: string }[];
};

/**
 * An email's html and text as JSON string literals (quotes included), in
 * UTF-8 and in pieces: byte for byte what JSON.stringify writes for them, put
 * together from pieces of a template encoded once (the render cache), so a
 * batch body is not serialised character by character for every email.
 */
export type EncodedBodies = { html: readonly Uint8Array[]; text: readonly Uint8Array[] };

// ---------------------------------------------------------------------------
// Subscribers

export type SignupSource = 'signup-form' | 'api' | 'import';

/** What a signup does, by the address's state (decided in src/, applied by the store). */
export type SignupAction =
  | { kind: 'create'; afterErasure?: boolean } // new address (or one erased, signing up again themselves): pending, confirmation sent
  | { kind: 'resend' } // still pending, last confirmation long enough ago
  | { kind: 'reopen'; send: boolean } // unsubscribed: pending again, new links, fresh double opt-in
  | { kind: 'none'; reason: 'recently_sent' | 'already_subscribed' | 'suppressed' | 'daily_cap' };

/**
 * What a later signup typed for someone already on the list, kept aside
 * until they confirm (the pending_details table): an unconfirmed signup
 * never changes a person's stored details.
 */
export type PendingDetails = {
  subscriberId: number;
  email: string;
  firstName: string | null;
  timezone: string;
  reader: Reader | null;
  source: string | null;
  signupIp: string | null;
  signupUserAgent: string | null;
  signedUpAt: Ms;
};

/** An address's hash, and the one releases before canonical addresses gave its spelling when that differs. */
export type AddressHashes = { emailHash: string; legacyHash?: string };

export type SignupRecord = {
  email: string;
  emailHash: string;
  /**
   * The hash releases before canonical addresses gave this spelling, when it
   * differs: an erasure or suppression they recorded is found under it.
   */
  legacyHash?: string;
  firstName: string | null;
  timezone: string;
  /** Who they read for; null when they picked nothing. */
  reader: Reader | null;
  source: SignupSource;
  ip: string | null;
  userAgent: string | null;
  now: number;
  /**
   * The address's confirmation counter (a settings hit counter, shared by
   * every server): read before the decision and counted when a confirmation
   * is queued, in the signup's transaction, so two signups of one address
   * cannot both pass its cap.
   */
  confirmations?: { key: string; windowMs: number };
};

/**
 * `suppression`: the reason the address is on the suppression list ('erased' included), or null;
 * `confirmations`: the count under the record's counter in its current window (0 without one).
 */
export type DecideSignup = (existing: Pick<Subscriber, 'status' | 'confirmationSentAt'> | undefined, suppression: string | null, confirmations: number) => SignupAction;

/** Why the confirmation email is not sent again to someone (decided in src/, applied by the store). */
export type ConfirmationResendRefusal = 'not_pending' | 'suppressed' | 'recently_sent' | 'daily_cap';
/** `sentInWindow`: the confirmations counted for the address in the counter's window (read in the same transaction). */
export type DecideConfirmationResend = (existing: Pick<Subscriber, 'status' | 'confirmationSentAt'>, suppression: string | null, sentInWindow: number) => ConfirmationResendRefusal | null;
/**
 * A confirmation email sent by staff (`staff`: who). `counter`: the address's
 * confirmation counter, its key `keyPrefix` and the address's hash, read and
 * counted in the store's transaction.
 */
export type ConfirmationResendInput = { now: number; staff: string; counter: { keyPrefix: string; windowMs: number } };
/** `reopened`: they had unsubscribed and are pending again, waiting for this new opt-in. */
export type ConfirmationResendOutcome =
  | { ok: true; deliveryId: number; emailHash: string; reopened: boolean }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: ConfirmationResendRefusal };

/** Why staff may not correct a person's address (decided in src/, applied by the store). */
export type AddressCorrectionRefusal = 'not_correctable' | 'address_in_use' | 'suppressed_address' | 'recently_sent' | 'daily_cap';
/** What a correction's decision reads, in the store's transaction. */
export type AddressCorrectionFacts = {
  current: Pick<Subscriber, 'status' | 'email'>;
  /** The new address is the one they have, in any spelling (canonical comparison). */
  sameAddress: boolean;
  /** Another person whose address the new one is, or null. */
  holderId: number | null;
  /** Why the new address is on the suppression list, or null. */
  suppression: string | null;
  /** Confirmation emails counted for the new address in the counter's window, and when the last was counted (null: none known). */
  sentInWindow: number;
  lastSentAt: number | null;
};
/** `unchanged`: the very address they have; `respell`: the same address in another spelling (stored as typed, nothing sent); `correct`: a new address that must be confirmed. */
export type AddressCorrectionAction = { kind: 'unchanged' } | { kind: 'respell' } | { kind: 'correct' } | { kind: 'refuse'; reason: AddressCorrectionRefusal };
export type DecideAddressCorrection = (facts: AddressCorrectionFacts) => AddressCorrectionAction;
/**
 * A new address for a person, typed by staff (`staff`: who). `email`: as
 * typed (normalised), `hashes`: its lookup hashes; `counter`: the
 * confirmation counter, its key `keyPrefix` and the new address's hash.
 */
export type AddressCorrectionInput = { email: string; hashes: AddressHashes; now: number; staff: string; counter: { keyPrefix: string; windowMs: number } };
/** `droppedDeliveries`: emails queued to the old address that will not go. */
export type AddressCorrectionOutcome =
  | { ok: true; kind: 'unchanged' | 'respelled' }
  /** `previousEmail`: for removing copies kept outside the database (outbox files); never shown or audited. */
  | { ok: true; kind: 'corrected'; deliveryId: number; previousStatus: SubscriberStatus; previousEmail: string; droppedDeliveries: number }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'address_in_use'; holderId: number }
  | { ok: false; reason: Exclude<AddressCorrectionRefusal, 'address_in_use'> };

/** The decision, and the confirmation email queued with it (a delivery row the worker sends). */
export type SignupOutcome = { action: SignupAction; confirmationDeliveryId: number | null };

export type ConsentRecord = {
  text: string;
  version: string;
  ip: string | null;
  userAgent: string | null;
  /** Where it was given, when not where they signed up (an import's consent source); default: the signup's source. */
  source?: string;
  /** When it was given, when before the confirmation (an import's consent date); default: the confirmation's time. */
  givenAt?: number;
};

export type ConfirmInput = {
  now: number;
  consent: ConsentRecord;
  /** The sequence version they are enrolled in (the one running now). */
  sequenceVersion: number;
  /** The step to send first, given the steps already delivered (null: none left). */
  firstStep: (deliveredSteps: number[]) => number | null;
  /**
   * When that step may go, given the person's zone as confirmed (decided in
   * src/); default: now. The enrolment starts then: it is the schedule's day
   * 0, so every plan of their emails places that step at the same time.
   */
  firstSendAt?: (step: number, timezone: string) => number;
};

// ---------------------------------------------------------------------------
// Imports

/** One row of an import: a new address's details, and how to confirm it when it carries a recorded consent. */
export type ImportRecord = SignupRecord & { confirm: ConfirmInput | null };

/** What an import does with one row, by the address's state (decided in src/, applied by the store). */
export type ImportAction =
  | { kind: 'enrol' } // new, with a recorded consent: created and confirmed with it
  | { kind: 'invite' } // new, without one: created pending, its confirmation email queued
  | { kind: 'none'; reason: 'exists' | 'suppressed' | 'erased' };

/** `suppression`: the reason the address is on the suppression list ('erased' included), or null. */
export type DecideImport = (existing: Pick<Subscriber, 'id' | 'status'> | undefined, suppression: string | null, record: ImportRecord) => ImportAction;

/** Per row: what was done, the subscriber created or found (null when none), and the status it had before (null when new). */
export type ImportResult = { action: ImportAction; subscriberId: number | null; status: SubscriberStatus | null };

/** The audit entry of a subscriber an import created. */
export type ImportAudit = (subscriberId: number, action: ImportAction) => AuditInput;

/** A kept import report's row to fix: refused, or written with a warning; its cells as given (column -> value). */
export type ImportReportRow = {
  id: number;
  reportId: number;
  row: number;
  email: string;
  /** The address's lookup hash when it is one (an erasure finds the row by it); null when it is not an address. */
  emailHash: string | null;
  outcome: string;
  subscriberId: number | null;
  /** JSON: the row's problems, as strings. */
  problems: string;
  /** JSON: the import columns the file had, as given. */
  cells: string;
};

/** A kept import report: who, when, until when, and its summary and notes (JSON). */
export type ImportReportRecord = { id: number; createdAt: Ms; actor: string; expiresAt: Ms; summary: string; notes: string };

/** A kept report as listed: with how many rows it keeps to fix. */
export type KeptImportReport = ImportReportRecord & { rowsToFix: number };

export type KeepImportReport = Omit<ImportReportRecord, 'id'> & { rows: Omit<ImportReportRow, 'id' | 'reportId'>[] };

// ---------------------------------------------------------------------------
// One person per address: moving rows to the canonical hash

/** The subscriber fields a merge may set on the row that stays. */
export type MergePatch = Partial<
  Pick<Subscriber, 'firstName' | 'createdAt' | 'confirmedAt' | 'consentText' | 'consentVersion' | 'consentIp' | 'consentUserAgent' | 'consentSource' | 'consentGivenAt'>
>;

/** Two rows that are one person: which stays, and what it takes from the other (decided in src/, applied by the store). */
export type DecideMerge = (a: Subscriber, b: Subscriber) => { survivorId: number; patch: MergePatch };

/** The audit entry of a merge: the row that stays and the one merged into it. */
export type MergeAudit = (survivorId: number, mergedId: number) => AuditInput;

export type RekeyOutcome =
  | { kind: 'unchanged' | 'gone' | 'rekeyed' }
  | { kind: 'merged'; survivorId: number; mergedId: number };

export type ConvertResult =
  | { ok: true; changed: boolean; subscriber: { id: number; status: SubscriberStatus; convertedAt: number } }
  | { ok: false; reason: 'not_found' | 'erased' | 'pending' };

export type SuppressionReason = 'bounced' | 'complained' | 'suppressed';
export type SuppressInput = { emailHash: string; reason: SuppressionReason; at: number; detail?: Record<string, unknown> };

/**
 * withdrawnFromBatches: unsent batches whose request no longer holds their
 * email. providerIds: of every message sent to them or rendered with their
 * data (test emails to staff too), for the copies kept outside the database.
 */
export type EraseOutcome = { id: number; email: string | null; alreadyErased: boolean; withdrawnFromBatches: number; providerIds: string[] };

/** A kept, never attempted request (its payload) without the emails to one address (src/mail reads it). */
export type WithoutRecipient = (payload: string, email: string) => RequestWithout;

/** `unchanged`: no email of the request was to them; `cleared`: none is left (or the request could not be read). */
export type RequestWithout = { kind: 'unchanged' } | { kind: 'rewritten'; request: BatchRequest } | { kind: 'cleared' };

export const PAGE_SIZE = 50;
/** `pausedAt`: only people receiving the series whose pause lasts past this time (paused at it). */
export type SubscriberQuery = { q?: string; status?: SubscriberStatus; pausedAt?: number; page?: number };
export type SubscriberListItem = Pick<Subscriber, 'id' | 'email' | 'firstName' | 'status' | 'timezone' | 'createdAt' | 'confirmedAt' | 'nextStep' | 'nextSendAt'>;
export type SubscriberPage = {
  items: SubscriberListItem[];
  page: number;
  pageSize: number;
  total: number;
  pageCount: number;
  statusCounts: Record<SubscriberStatus, number>;
  all: number;
};

export type DeliveryWithEvents = Delivery & { events: ProviderEventRow[] };
export type SubscriberRecord = { subscriber: Subscriber; enrolments: Enrolment[]; deliveries: DeliveryWithEvents[]; activity: ActivityRow[]; suppression: Suppression | null };

/**
 * A pause (until a time) or its end (null). `nextSendAt` decides (in src/)
 * when the scheduled email goes instead, seeing the row with the new pause;
 * an email already in flight is not moved (the due decision holds the next one).
 */
export type PauseInput = { pausedUntil: number | null; now: number; nextSendAt: (row: DueRow) => number | null; detail?: Record<string, unknown> };

/**
 * The reason a person gave for unsubscribing, and the day (UTC midnight) it
 * is counted under; stored only as a count per sequence step, reason and day.
 */
export type LeavingReason = { reason: UnsubscribeReason; day: Ms };

/**
 * One count of the unsubscribe_reasons table: people who gave `reason` on
 * `day` and whose last email before was `step` of `sequence` (step 0: none
 * yet; counted under the education series, the one everyone starts with).
 */
export type UnsubscribeReasonCount = { sequence: SequenceId; step: number; reason: UnsubscribeReason; day: Ms; count: number };

/** A subscriber's details staff may change for them; a field left out is kept. */
export type ProfileChanges = { firstName?: string | null; timezone?: string; reader?: Reader | null };
export type ProfileField = keyof ProfileChanges;

/**
 * Changes to apply. When the time zone changes and an email is scheduled,
 * `nextSendAt` decides (in src/) when it goes instead, seeing the row in the
 * new zone; an email in flight is not moved.
 */
export type ProfileInput = { changes: ProfileChanges; now: number; nextSendAt: (row: DueRow) => number | null };

/** The row after the change, and which fields really changed (none: nothing was written). */
export type ProfileOutcome = { subscriber: Subscriber; changed: ProfileField[] };

/** Per activity type, how many in each [start, end) range, and over all time. */
export type ActivityCounts = { ranges: Record<string, number>[]; allTime: Record<string, number> };

/**
 * Signups by where they came from, and the repeats: `form` (the signup form
 * or its JSON), `importConsent` (an import with a recorded consent: the
 * confirmation recorded at the same moment), `importInvited` (an import asked
 * to opt in); `again` counts a person's later signups (a re-signup, or a
 * second spelling merged into them) and `confirmedAgain` their later
 * confirmations, neither of them a new person.
 */
export type SignupSources = { form: number; importConsent: number; importInvited: number; again: number; confirmedAgain: number };
export type SignupSourceCounts = { ranges: SignupSources[]; allTime: SignupSources };

// ---------------------------------------------------------------------------
// The send queue

/** A subscriber whose next step is due, as the worker reads it. */
export type DueRow = {
  id: number;
  enrolmentId: number;
  sequence: SequenceId;
  status: SubscriberStatus;
  email: string | null;
  suppressed: boolean;
  timezone: string;
  confirmedAt: number | null;
  nextStep: number;
  lastSentAt: number | null;
  /** The end of a pause the reader asked for (past or null: not paused). */
  pausedUntil: number | null;
  /** Step ids of their sequence deliveries (any but dropped): what they have had. */
  received: number[];
  /** The sequence version they follow; null for rows from before versions (taken as the current one). */
  sequenceVersion: number | null;
  /** Their last email of any sequence. */
  lastAnySentAt: number | null;
  /** An email of another of their sequences is in flight (claimed, not settled): it counts as going now. */
  otherInFlight: boolean;
};

export type DueAction =
  | { kind: 'send'; step: number; templateId: string; subject: string }
  /** Not yet: outside the window, or too soon after the last email (the step may change with the version). */
  | { kind: 'reschedule'; step: number; at: number }
  /** Nothing to send any more (not active, no address): clear the schedule. */
  | { kind: 'unschedule' }
  /** The address is on the suppression list: never mail it. */
  | { kind: 'suppress' }
  /** The step is past the end of the sequence. */
  | { kind: 'complete' };

export type AfterSend = { kind: 'next'; step: number; at: number } | { kind: 'complete' };

/** A queued delivery with what is needed to render and address it. */
export type BatchItem = {
  deliveryId: number;
  kind: DeliveryKind;
  /** Of a sequence email or a resend. */
  sequence: SequenceId | null;
  step: number;
  templateId: string;
  toAddress: string | null;
  subscriberId: number | null;
  email: string | null;
  firstName: string | null;
  tokenGeneration: number;
  status: SubscriberStatus | null;
  suppressed: boolean;
  timezone: string;
  reader: Reader | null;
  confirmedAt: number | null;
  /** How they came (the footer says it): the signup source, and the consent's source, version and time. */
  source: string | null;
  consentSource: string | null;
  consentVersion: string | null;
  consentGivenAt: number | null;
  /** A sequence email whose person left that sequence (or staff took them out) since it was claimed. */
  leftSequence: boolean;
};

/** What may happen to a batch's next attempt, from what its earlier attempts left. */
export type AttemptPlan = 'rebuild' | 'replay' | 'hold';

/**
 * The schedule the queue applies inside its transactions: pure functions of
 * rows and time from src/nurture, so the store knows no schedule and a claim
 * stays one atomic step.
 */
export type QueueSchedule = {
  /** The sequences these decisions run. */
  sequences: readonly SequenceId[];
  /** The version of a sequence these decisions follow; the enrolments they schedule are recorded on it. */
  versionOf(sequence: SequenceId): number;
  decideDue(row: DueRow, now: number): DueAction;
  /** `received`: the subscriber's step ids of that sequence so far, including `step`; `confirmedAt`: when they entered it. */
  decideAfterSend(sub: { sequence: SequenceId; confirmedAt: number | null; timezone: string; received: number[] }, step: number, at: number): AfterSend;
  /**
   * A rebuilt request: the deliveries to drop (with why) and the emails kept,
   * leaving out those dropped and those no longer queued in the batch.
   */
  rebuild(items: BatchItem[], emails: OutgoingEmail[]): { drop: Map<number, string>; kept: OutgoingEmail[] };
  planAttempt(batch: { attempts: number; inDoubt: boolean; firstAttemptAt: number | null }, now: number): AttemptPlan;
};

/**
 * How a batch's emails travel, owned by src/mail: the provider's request
 * body and idempotency key for a list of emails with the text it is kept in,
 * the emails back from that text, and which delivery each email is. The
 * stores keep that text as it is and never read it themselves.
 */
export type Envelope = {
  seal(emails: readonly OutgoingEmail[], encoded?: readonly (EncodedBodies | undefined)[]): BatchRequest;
  /** The emails of a kept request and the exact body that went (and goes again) with its key. */
  open(payload: string): { emails: OutgoingEmail[]; body: RequestBody };
  deliveryIdOf(email: OutgoingEmail): number;
  /** The email marked with the delivery it belongs to (how a provider's answer and events find it). */
  tagDelivery(email: OutgoingEmail, deliveryId: number): OutgoingEmail;
};

/**
 * A request body in the pieces it was put together from (most of them a
 * template's, shared by every email made from it): its bytes are their
 * concatenation. Hashed, compressed and sent piece by piece, so a batch's
 * 2 MB are never copied into a buffer of their own.
 */
export type RequestBody = readonly Uint8Array[];

/** A batch's request: the exact body sent, the text it is kept in before it leaves (see src/mail/payload.ts), and the idempotency key derived from it. */
export type BatchRequest = { body: RequestBody; payload: string; idempotencyKey: string };

/** `payload`: the kept request (Envelope.open reads it), or null before its first attempt. */
export type ClaimedBatch = { id: number; status: string; attempts: number; payload: string | null; idempotencyKey: string; leaseOwner: string | null };

/** Per email of a sent batch: its provider id, or the permanent error that failed it. */
export type ItemOutcome = { deliveryId: number; providerId?: string; error?: string };

export type ClaimResult = { batchId: number | null; due: number; rescheduled: number; completed: number; stopped: number };

/**
 * A request rendered in memory that was never persisted, serialised once
 * (Envelope.seal of the emails), and each delivery's template version.
 */
export type FreshRequest = { emails: OutgoingEmail[]; request: BatchRequest; versions: Map<number, string> };

export type Begun =
  /**
   * `replay`: an earlier attempt of this very request is in doubt (the
   * provider may have sent it), so this one repeats it byte for byte.
   */
  | { kind: 'send'; emails: OutgoingEmail[]; body: RequestBody; idempotencyKey: string; dropped: number; replay: boolean }
  /** Someone else holds the batch now, or it is settled. */
  | { kind: 'lost' }
  /** Every delivery was dropped: nothing to send. */
  | { kind: 'empty'; dropped: number }
  /** Outcome unknown past the idempotency window: held for staff. */
  | { kind: 'held' };

export type SettleSummary = { sent: number; failed: number; completed: number };

export type HeldBatch = { id: number; createdAt: number; firstAttemptAt: number | null; attempts: number; lastError: string | null; deliveries: number; kinds: string };

/**
 * A version of the sequence as published: from then on it is the one running.
 * `plan`: the version of the code it runs, its own number unless an earlier
 * version was published again under this new number (a roll back).
 */
export type PublishedVersion = { version: number; plan: number; publishedAt: number; publishedBy: string };

/** Active subscribers on a version, by the step they get next (null: that email is in flight). */
export type VersionHeadcount = { version: number | null; step: number | null; count: number };

/** An email that went to a person, for a report over a span of time. */
export type SentInSpan = { subscriberId: number; email: string | null; timezone: string; kind: DeliveryKind; sequence: SequenceId | null; step: number; subject: string | null; sentAt: number };

/** A person's next email of a running sequence; `at` null: it is in flight. */
export type PlannedNext = { subscriberId: number; sequence: SequenceId; step: number; at: number | null };

export type StepCounts = { waiting: number; sent: number; delivered: number; opened: number; clicked: number };

/** A sequence step to send again to one subscriber (staff, at their request), as a 'resend' delivery. */
export type ResendInput = { subscriberId: number; step: number; templateId: string; subject: string; now: number };

/** What the decision on a resend sees, read in the same transaction that queues it. */
export type ResendFacts = {
  status: SubscriberStatus;
  hasEmail: boolean;
  suppressed: boolean;
  /** The sequence delivery of this step went to them. */
  stepSent: boolean;
  /** A resend to them is queued and not settled yet. */
  resendQueued: boolean;
  /** When this step was last asked for again for them (a resend of it queued or sent; not one that failed or was dropped), or null. */
  lastResentAt: number | null;
};

export type ResendRefusal = 'not_mailable' | 'suppressed' | 'step_not_sent' | 'resend_queued' | 'resent_recently';

/** Why the resend must not be queued, or null to queue it (decided in src/ at `now`, the request's time; applied by the store). */
export type DecideResend = (facts: ResendFacts, now: number) => ResendRefusal | null;

export type ResendOutcome =
  | { ok: true; deliveryId: number }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: ResendRefusal; status: SubscriberStatus };

/** `subscriberId`: the person whose data the test was rendered with (erasing them removes it too), or null. */
export type TestDelivery = { templateId: string; templateVersion: string; subject: string; toAddress: string; subscriberId: number | null; email: OutgoingEmail };

export type DeliveryState = Pick<Delivery, 'id' | 'status' | 'providerId' | 'error' | 'sentAt'>;

// ---------------------------------------------------------------------------
// Provider events

export type DeliveryEventColumn = 'deliveredAt' | 'delayedAt' | 'openedAt' | 'clickedAt' | 'bouncedAt' | 'complainedAt';

export type ProviderEventInput = {
  eventId: string;
  type: string;
  providerId: string | null;
  occurredAt: number;
  receivedAt: number;
  detail: Record<string, unknown>;
  column: DeliveryEventColumn | null;
  suppress: SuppressionReason | null;
  /** The event's own recipients, hashed: used when no delivery of ours matches. */
  recipientHashes: string[];
  /**
   * Decides (in src/) whether this open or click, and others of the same
   * email, came from a machine; applied in the transaction that records the
   * event. Absent: nothing is flagged.
   */
  classify?: ClassifyEvent;
};

/** Deliveries reported delivered, and complaints about them, in a window. */
export type ComplaintFigures = { delivered: number; complained: number };

/** Why an open or click is kept but left out of the rates. */
export type EngagementFlag = { flag: EventFlag; reason: EventFlagReason };

/** An event already recorded for the same delivery, as the classifier sees it. */
export type RecordedEvent = { id: string; type: string; occurredAt: number; link: string | null; flag: EventFlag | null };

/** What is known of the delivery an event belongs to, before this event. */
export type DeliveryTimes = { sentAt: number | null; deliveredAt: number | null };

/** The new event's flag, and earlier events of the same delivery it shows to be a machine's (each flagged only if not flagged yet). */
export type Classification = { flag: EngagementFlag | null; alsoFlag: { id: string; flag: EngagementFlag }[] };

export type ClassifyEvent = (context: { delivery: DeliveryTimes | null; others: RecordedEvent[] }) => Classification;

/** Flagged events of sequence deliveries, per step, event type, flag and reason. */
export type FlaggedEventCount = { step: number; type: string; flag: EventFlag; reason: EventFlagReason; count: number };

export type EventResult =
  | { outcome: 'duplicate' }
  | { outcome: 'recorded'; deliveryId: number | null; suppressed: SuppressionReason | null; subscriberId: number | null };

// ---------------------------------------------------------------------------
// Staff accounts, sessions, login failures and the audit log

/** `timezone`: the zone the staff area shows the account its times in (null: DEFAULT_TIMEZONE). */
export type StaffAccount = { id: number; name: string; role: StaffRole; passwordHash: string; createdAt: Ms; updatedAt: Ms; disabledAt: Ms | null; timezone: string | null };

export type StaffAccountInput = { name: string; role: StaffRole; passwordHash: string; now: number };

export type StaffSessionInput = { tokenHash: string; accountId: number; createdAt: number; expiresAt: number };

/** A live session of an enabled account. */
export type ActiveSession = { tokenHash: string; createdAt: number; expiresAt: number; lastSeenAt: number; account: StaffAccount };

/** Failed logins under one key ('ip:...', 'name:...') in the current window. */
export type LoginFailure = { key: string; failures: number; windowStart: number; lastAt: number };
/** How long a login attempt must wait under the counts so far (0: it may go ahead); a pure policy, applied by the store in its transaction. */
export type DecideLoginWait = (counts: LoginFailure[], now: number) => number;
/** A reserved attempt, with the counts it raised (in key order), or how long to wait. */
export type LoginReservation = { ok: true; counts: LoginFailure[] } | { ok: false; retryAfterMs: number };
export type SetRoleOutcome = { ok: true; from: StaffRole } | { ok: false; reason: 'not_found' | 'last_admin' };

export type AuditInput = { at: number; actor: string; action: string; subscriberId: number | null; detail: Record<string, unknown> | null };
export type AuditEntry = AuditInput & { id: number };
/**
 * Which audit entries: every condition given narrows the list. `actions`
 * keeps only those actions, `exceptActions` leaves those out; `from` and
 * `to` bound the time (from inclusive, to exclusive).
 */
export type AuditQuery = {
  subscriberId?: number;
  actions?: readonly string[];
  exceptActions?: readonly string[];
  actor?: string;
  from?: number;
  to?: number;
  page: number;
  pageSize: number;
};
export type AuditPage = { items: AuditEntry[]; page: number; pageSize: number; total: number; pageCount: number };
