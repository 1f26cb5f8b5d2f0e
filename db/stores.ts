/**
 * The storage boundary: every query the product runs, grouped by what it
 * keeps, as async interfaces. One implementation per engine (db/sqlite/...);
 * the same contract tests run against each. Decisions come in as arguments
 * (see QueueSchedule, DecideSignup): the stores apply them atomically; a
 * batch's request is kept as the Envelope (src/mail) writes it.
 */
import type {
  ActiveSession,
  ImportReportRow,
  KeepImportReport,
  KeptImportReport,
  AddressHashes,
  ActivityCounts,
  SignupSourceCounts,
  AuditInput,
  AuditPage,
  AuditQuery,
  ActivityType,
  Batch,
  BatchItem,
  Begun,
  ClaimedBatch,
  ClaimResult,
  ComplaintFigures,
  ConfirmInput,
  ConfirmationResendOutcome,
  DecideConfirmationResend,
  ConfirmationResendInput,
  AddressCorrectionInput,
  AddressCorrectionOutcome,
  DecideAddressCorrection,
  ConvertResult,
  DecideResend,
  DecideMerge,
  DecideSignup,
  DeliveryState,
  DueRow,
  EraseOutcome,
  EventResult,
  FlaggedEventCount,
  FreshRequest,
  HeldBatch,
  ImportAudit,
  ImportRecord,
  ImportResult,
  DecideImport,
  DecideLoginWait,
  ItemOutcome,
  LoginReservation,
  MergeAudit,
  OutgoingEmail,
  PauseInput,
  PendingDetails,
  ProfileInput,
  ProfileOutcome,
  ProviderEventInput,
  PublishedVersion,
  QueueSchedule,
  SentInSpan,
  PlannedNext,
  Envelope,
  Reader,
  ResendInput,
  RekeyOutcome,
  ResendOutcome,
  SetRoleOutcome,
  SettleSummary,
  SignupOutcome,
  SignupRecord,
  StaffAccount,
  StaffAccountInput,
  StaffRole,
  StaffSessionInput,
  StepCounts,
  Subscriber,
  SubscriberPage,
  SubscriberQuery,
  SubscriberRecord,
  SuppressInput,
  TestDelivery,
  VersionHeadcount,
  WithoutRecipient,
  ClickMark,
  PageClick,
  Enrolment,
  EnrolInput,
  SequenceId,
  EnrolOutcome,
  LeaveInput,
  LeaveOutcome,
  LeavingReason,
  UnsubscribeReasonCount,
} from './types.js';

export interface SubscriberStore {
  byId(id: number): Promise<Subscriber | undefined>;
  /**
   * Records a signup as `decide` says, queuing the confirmation email and
   * counting it under `record.confirmations` in the same transaction. A new
   * address is stored with the details typed; for an address already on the
   * list they are kept aside (pendingDetails) until the person confirms.
   */
  signup(record: SignupRecord, decide: DecideSignup): Promise<SignupOutcome>;
  /**
   * Queues the confirmation email again for a pending person (same links),
   * if `decide` allows it on what it reads in the same transaction.
   */
  /**
   * The confirmation email again (pending), or a new opt-in (unsubscribed:
   * pending again, new links), as `decide` allows; counts it on `counter`.
   */
  resendConfirmation(id: number, input: ConfirmationResendInput, decide: DecideConfirmationResend): Promise<ConfirmationResendOutcome>;
  /**
   * A new address for a person, as `decide` allows on what it reads in the
   * same transaction. Corrected: the row holds the new address and hash,
   * pending with new links, its confirmation queued and counted on
   * `counter`; nothing of the old address is left in their rows (queued
   * emails to it dropped, requests not yet sent rewritten without it by
   * `without`, test addresses, pending details, provider payloads and audit
   * free text naming it cleared). Respelled: only the stored spelling.
   */
  correctAddress(id: number, input: AddressCorrectionInput, decide: DecideAddressCorrection, without: WithoutRecipient): Promise<AddressCorrectionOutcome>;
  /**
   * Confirms a pending subscriber (consent recorded, first step scheduled
   * now; the details a later signup kept aside become theirs); undefined
   * when no longer pending.
   */
  confirm(id: number, input: ConfirmInput): Promise<Subscriber | undefined>;
  /** The details a signup of someone already on the list kept aside until they confirm, or null. */
  pendingDetails(id: number): Promise<PendingDetails | null>;
  /**
   * Writes one chunk of an import in one transaction; the rows hold distinct
   * addresses. Per row, `decide` sees the address's subscriber and its
   * suppression: 'invite' creates it pending with its confirmation email
   * queued (as a signup does), 'enrol' creates it and confirms it with the
   * row's consent (as confirm() does); each one created gets `audit`'s entry.
   */
  importRows(rows: ImportRecord[], decide: DecideImport, audit: ImportAudit): Promise<ImportResult[]>;
  /** Every sequence the person entered, in the order they entered them. */
  enrolments(id: number): Promise<Enrolment[]>;
  /** Puts an active or finished person in a later sequence, once (activity recorded); a finished one is active again. */
  enrol(id: number, input: EnrolInput): Promise<EnrolOutcome>;
  /** Ends one running sequence of theirs, not their last (activity recorded); an email of it in flight is dropped unless already sent. */
  leave(id: number, input: LeaveInput): Promise<LeaveOutcome>;
  /**
   * Stops all mail; undefined when the subscriber was not mailable. A
   * `reason` is counted in the same transaction, under the last sequence
   * email they had and its day, with nothing that names them.
   */
  unsubscribe(id: number, now: number, detail: Record<string, unknown>, reason?: LeavingReason): Promise<Subscriber | undefined>;
  markConverted(id: number, now: number): Promise<ConvertResult>;
  /** Pauses or resumes an active subscriber's sequence (activity recorded); undefined when not active. */
  setPause(id: number, input: PauseInput): Promise<Subscriber | undefined>;
  /** Changes who they read for (activity recorded); undefined when unknown or erased. */
  setReader(id: number, reader: Reader | null, now: number): Promise<Subscriber | undefined>;
  /**
   * Changes first name, time zone or who they read for (a reader change is
   * recorded as activity, as setReader does); undefined when unknown or erased.
   */
  updateProfile(id: number, input: ProfileInput): Promise<ProfileOutcome | undefined>;
  /** Why an address is on the suppression list (under its hash, or the one an earlier release gave its spelling), or null. */
  suppressionOf(hashes: AddressHashes): Promise<string | null>;
  suppress(input: SuppressInput): Promise<{ subscriberId: number | null; newlySuppressed: boolean }>;
  /** GDPR erasure: nothing personal left readable in the database afterwards (the kept import rows that name them go too). */
  erase(id: number, now: number, withoutRecipient: WithoutRecipient): Promise<EraseOutcome | null>;
  /** Keeps an import's report (its summary and the rows to fix) until its expiresAt; answers its id. */
  keepImportReport(report: KeepImportReport): Promise<number>;
  /** The kept reports not yet expired at `now`, newest first. */
  importReports(now: number, limit: number): Promise<KeptImportReport[]>;
  /** One kept report and its rows to fix in row order, or null when unknown or expired at `now`. */
  importReport(id: number, now: number): Promise<{ report: KeptImportReport; rows: ImportReportRow[] } | null>;
  /** Deletes the reports expired at `now`, with their rows; answers how many. */
  dropExpiredImportReports(now: number): Promise<number>;
  list(query: SubscriberQuery): Promise<SubscriberPage>;
  /** Everything stored about one subscriber. */
  record(id: number): Promise<SubscriberRecord | null>;
  /** Every subscriber in id order, read in chunks (never the whole table in memory). */
  all(chunk?: number): AsyncIterable<Subscriber>;
  /**
   * Moves a subscriber to `emailHash` (their address's canonical hash),
   * carrying its suppression along. When another row already holds that hash
   * the two are one person: `merge` picks the row that stays and what it
   * takes from the other; the other's deliveries (a step both had stays as a
   * 'resend', so it counts once), activity and audit entries move to it, the
   * other row goes, and its links lead to the one that stays (mergedInto).
   * 'gone': no such row, or erased (no address to move).
   */
  rekey(id: number, emailHash: string, now: number, merge: DecideMerge, audit: MergeAudit): Promise<RekeyOutcome>;
  /** The subscriber a merged row became (its links lead there), or null. */
  mergedInto(id: number): Promise<number | null>;
  /** The step ids of a subscriber's sequence deliveries (any but dropped): what they have had. */
  received(id: number): Promise<number[]>;
  /**
   * People who left before `cutoff`, for the retention sweep, in id order:
   * unsubscribed before it, or finished the series before it
   * and silent since (no open, click or activity of theirs from `cutoff` on).
   */
  leftBefore(cutoff: number, limit: number): Promise<number[]>;
  /**
   * People still pending whose last opt-in email went (or, without one, whose
   * record last changed) before their cutoff, in id order, for the retention
   * sweep: `neverConfirmed` for people who never confirmed, `confirmedBefore`
   * for people pending again after confirming once (a new signup after they
   * unsubscribed, a corrected address). `confirmedBefore` says which.
   */
  unconfirmedBefore(cutoffs: { neverConfirmed: number; confirmedBefore: number }, limit: number): Promise<{ id: number; confirmedBefore: boolean }[]>;
  /** The last sequence email that went to a subscriber. */
  lastSequenceSent(id: number): Promise<{ step: number; sentAt: number } | null>;
  /** Activity per type, in each range and over all time. */
  activityCounts(types: readonly ActivityType[], ranges: readonly { start: number; end: number }[]): Promise<ActivityCounts>;
  /** Signups by source and the repeated signups and confirmations, in each range and over all time (kept through an erasure: read from the rows, not their details alone). */
  signupSources(ranges: readonly { start: number; end: number }[]): Promise<SignupSourceCounts>;
  /**
   * Unsubscribes per sequence step: each unsubscribe counted under the last
   * sequence email sent to that person before it (none sent: not counted).
   */
  unsubscribesByStep(sequence: SequenceId): Promise<Map<number, number>>;
  /** The reasons people gave for unsubscribing, per step of `sequence` and reason, over all days (step 0: before its first email). */
  unsubscribeReasons(sequence: SequenceId): Promise<Omit<UnsubscribeReasonCount, 'day'>[]>;
}

export interface SendQueueStore {
  /** Claims up to `limit` due subscribers into one new batch, applying the schedule to each due row. */
  claimDue(now: number, limit: number, owner: string, leaseUntil: number, schedule: QueueSchedule): Promise<ClaimResult>;
  /**
   * Moves up to `limit` scheduled subscribers who follow an older version
   * onto the schedule's, from where they are; returns how many it moved.
   */
  moveToVersion(now: number, limit: number, schedule: QueueSchedule): Promise<number>;
  /** Active subscribers with a next email scheduled (not in flight), in id order after `afterId` (for what a new version would do to them). */
  scheduled(sequence: SequenceId, afterId: number, limit: number): Promise<DueRow[]>;
  /** Claims queued confirmation, test and resend emails (oldest first) into one new batch. */
  claimQueued(now: number, limit: number, owner: string, leaseUntil: number): Promise<number | null>;
  /**
   * Takes over one unfinished batch whose lease ended by `realNow` and whose
   * retry time came by `now` (the clock rule in src/nurture/tick.ts: leases
   * are on the machine's real time, everything else on the tick's).
   */
  claimStale(now: number, realNow: number, owner: string, leaseUntil: number): Promise<number | null>;
  /** Moves the lease of a batch `owner` still holds to `leaseUntil`; false when it holds it no more (taken over, settled). */
  renewLease(batchId: number, owner: string, leaseUntil: number): Promise<boolean>;
  /** When the first lease still live at `realNow` on an unfinished batch ends (its holder may have died), or null. */
  nextLeaseEnd(realNow: number): Promise<number | null>;
  batch(id: number): Promise<ClaimedBatch | undefined>;
  items(batchId: number): Promise<BatchItem[]>;
  /**
   * Persists the request with its attempt, just before it leaves (see the
   * SQLite implementation). The first attempt's time, and the replay window
   * measured from it, are on `realNow`: the provider keeps a key 24 hours of
   * its own clock, whatever time a tick acts as.
   */
  beginAttempt(batchId: number, owner: string, now: number, realNow: number, leaseUntil: number, fresh: FreshRequest | null, schedule: QueueSchedule, envelope: Envelope): Promise<Begun>;
  settle(batchId: number, outcomes: ItemOutcome[], now: number, schedule: QueueSchedule): Promise<SettleSummary>;
  /** Replaces a batch refused as a whole by new ones (nothing of it was sent). */
  split(batchId: number, parts: OutgoingEmail[][], reason: string, owner: string, now: number, leaseUntil: number, envelope: Envelope): Promise<number[]>;
  /**
   * Gives the batch up for a later attempt. `known`: the attempt failed with
   * an answer (nothing was sent), so the next attempt may rebuild it.
   */
  release(batchId: number, owner: string, retryAt: number | null, error: string | null, known: boolean): Promise<void>;
  /** Marks the last attempt as failed with an answer that proves nothing was sent (not a replay's: see isKnownFailure), keeping the lease. */
  markKnownFailure(batchId: number, owner: string, error: string): Promise<void>;
  held(): Promise<HeldBatch[]>;
  /** Staff's decision on a held batch: send it again as a new request, or count it as sent. */
  resolveHeld(batchId: number, decision: 'resend' | 'sent', now: number, schedule: QueueSchedule): Promise<boolean>;
  /** Queues a staff test email, rendered already, as a prepared batch. */
  enqueueTest(test: TestDelivery, now: number, envelope: Envelope): Promise<number>;
  /**
   * Queues a 'resend' delivery of one step for the worker to claim with the
   * confirmation and test emails, if `decide` allows it on what it reads
   * about the subscriber in the same transaction.
   */
  enqueueResend(input: ResendInput, decide: DecideResend): Promise<ResendOutcome>;
  delivery(id: number): Promise<DeliveryState | undefined>;
  /**
   * The emails sent from `from` to `to` (inclusive) to the first `people`
   * people who had one, by person and time; and what each of them has planned
   * next in every sequence still running (for `npm run tick -- --advance`).
   */
  sentBetween(from: number, to: number, people: number): Promise<{ sent: SentInSpan[]; planned: PlannedNext[] }>;
  /** Per sequence step: active subscribers waiting for it, and its deliveries by outcome. */
  stepCounts(sequence: SequenceId): Promise<Map<number, StepCounts>>;
  /** Batches by status, for tests and health. */
  batches(): Promise<Batch[]>;
}

/** Which versions of the sequence were published, and who follows which. */
/** Each sequence's published versions; every method is about one sequence. */
export interface SequenceStore {
  /** Every published version, oldest first; the last one is running. */
  published(sequence: SequenceId): Promise<PublishedVersion[]>;
  /**
   * Publishes `version` running the code's version `plan` (default: its own
   * number) when it is newer than every published one; false otherwise.
   */
  publish(sequence: SequenceId, version: number, by: string, now: number, plan?: number): Promise<boolean>;
  /** Active subscribers in it per version and next step. */
  headcount(sequence: SequenceId): Promise<VersionHeadcount[]>;
}

export interface ProviderEventStore {
  /**
   * Records one verified provider event; a replayed event id changes nothing.
   * With `classify`, flags it and earlier events of its delivery as it says;
   * a flagged open or click sets no time on the delivery, and the delivery's
   * open and click times follow its unflagged events only.
   */
  record(event: ProviderEventInput): Promise<EventResult>;
  /**
   * Per sequence step, the unflagged click events whose link is `page` or
   * under it (`page` as the events record links: origin and path).
   */
  clicksOnPageByStep(page: string, sequence: SequenceId): Promise<Map<number, number>>;
  /**
   * Unflagged clicks on `page` (or under it) in an email to one of our
   * subscribers, received after `after` and at or before `upTo`, in the
   * order they came (received time, then event id), at most `limit`.
   */
  pageClicks(page: string, after: ClickMark, upTo: number, limit: number): Promise<PageClick[]>;
  /**
   * Deliveries reported delivered at or after `deliveredSince`, and complaints
   * about our deliveries reported at or after `complainedSince` (the complaint rate's figures).
   */
  complaintFigures(deliveredSince: number, complainedSince: number): Promise<ComplaintFigures>;
  /** The flagged (kept, left out of the rates) events of sequence deliveries, counted. */
  flaggedByStep(sequence: SequenceId): Promise<FlaggedEventCount[]>;
}

export interface SettingsStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, now: number): Promise<void>;
  /**
   * The provider's request budget, shared by every process: reserves the next
   * start time on a grid of `intervalMs` and returns it: the grid's next slot
   * when it is at most `catchUpMs` past and at most `maxAheadMs` ahead
   * (further is a grid left by a tick run as if at a later time), else `now`. Atomic, so concurrent callers get distinct slots.
   */
  reserveSlot(key: string, now: number, intervalMs: number, catchUpMs: number, maxAheadMs: number): Promise<number>;
  /** No slot before `until` (a 429's retry-after, for every process). */
  holdSlots(key: string, until: number, now: number): Promise<void>;
  /**
   * Counts one event under `key` in a fixed window of `windowMs` (a new window
   * starts with the first event after the last one ended) and answers the
   * count so far and when the window started. Atomic, shared by every server.
   */
  countHit(key: string, now: number, windowMs: number): Promise<{ count: number; windowStart: number }>;
  /** The count under `key` in its current window (0 when it ended), without counting. */
  peekHits(key: string, now: number, windowMs: number): Promise<number>;
  /** Forgets counters under `prefix` untouched since `before`. */
  sweepHits(prefix: string, before: number): Promise<void>;
}

export interface StaffStore {
  account(name: string): Promise<StaffAccount | undefined>;
  /** Every account, by name. */
  accounts(): Promise<StaffAccount[]>;
  /** Adds an account; null when the name is taken. */
  addAccount(input: StaffAccountInput): Promise<StaffAccount | null>;
  /** Replaces an account's password hash and ends its sessions; false when there is no such account. */
  setPassword(name: string, passwordHash: string, now: number): Promise<boolean>;
  /** Changes an account's role, unless that leaves no enabled admin (concurrent changes included). */
  setRole(name: string, role: StaffRole, now: number): Promise<SetRoleOutcome>;
  /** Disables an account (ending its sessions) or enables it again; false when there is no such account. */
  setDisabled(name: string, disabled: boolean, now: number): Promise<boolean>;
  /** Sets the zone the staff area shows the account its times in (null: the default); false when there is no such account. */
  setTimezone(name: string, timezone: string | null, now: number): Promise<boolean>;
  /** Stores a new session, and drops sessions that have expired. */
  createSession(input: StaffSessionInput): Promise<void>;
  /** The session with this token hash when it is live and its account enabled. */
  session(tokenHash: string, now: number): Promise<ActiveSession | undefined>;
  /** Records a use: last seen now, and the expiry moved to `expiresAt` if that is later. */
  touchSession(tokenHash: string, now: number, expiresAt: number): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  /**
   * Reserves one login attempt under every key, before its password is
   * checked: in one transaction, drops closed windows (of `windowMs` from a
   * key's first attempt), reads the keys' open counts, and counts the attempt
   * under each key (lastAt now) only when `decide` answers 0. Until released
   * the attempt counts as a failure, so concurrent attempts see each other.
   */
  reserveLoginAttempt(keys: string[], now: number, windowMs: number, decide: DecideLoginWait): Promise<LoginReservation>;
  /** Gives back a reserved attempt (a login that succeeded, or one never checked): forgets the counts under `clear`, takes one off those under `refund`. */
  releaseLoginAttempt(keys: { clear: string[]; refund: string[] }): Promise<void>;
  audit(entry: AuditInput): Promise<void>;
  /** Audit entries, newest first, narrowed by the query (a subscriber, actions, an actor, a time range). */
  auditLog(query: AuditQuery): Promise<AuditPage>;
  /** Every name that acted in the audit log (accounts, `system`, `(command line)`), sorted. */
  auditActors(): Promise<string[]>;
}

export type Stores = {
  engine: 'sqlite' | 'postgres';
  subscribers: SubscriberStore;
  sendQueue: SendQueueStore;
  sequence: SequenceStore;
  events: ProviderEventStore;
  settings: SettingsStore;
  staff: StaffStore;
  /** True when the database answers. */
  check(): Promise<boolean>;
  close(): Promise<void>;
};
