/**
 * The worker's decisions, as pure functions of rows and time. The tick
 * (tick.ts) reads rows, asks these, and writes what they answer.
 */
import type { AfterSend, AttemptPlan, BatchItem, DueAction, DueRow, OutgoingEmail, QueueSchedule, SequenceId } from '../../db/types.js';
import { deliveryIdOf } from '../mail/envelope.js';
import type { SendError, SendFailureKind } from '../mail/transport.js';
import { backoffMs } from './pacer.js';
import { resendDropReason } from './send-again.js';
import { nextStepAfter, sendTime, type ScheduleOptions, type ScheduleStep } from './schedule.js';

export type { AfterSend, DueAction, DueRow } from '../../db/types.js';

/** A sequence step as the worker sends it. */
export type QueueStep = ScheduleStep & { templateId: string; subject: string };

/** One version of a sequence, as the queue's decisions need it. */
export type QueueSequence = { version: number; steps: readonly QueueStep[] };

/** The version of each sequence that runs. */
export type RunningSequences = Readonly<Record<SequenceId, QueueSequence>>;

/**
 * The step a due subscriber gets next under `sequence`. On the version they
 * are enrolled in, the step already chosen stands while it is still theirs to
 * get (a re-entry may have chosen an earlier step than the furthest they had);
 * a subscriber on an older version moves on from where they are.
 */
export function stepFor(row: Pick<DueRow, 'nextStep' | 'received' | 'sequenceVersion'>, sequence: QueueSequence): QueueStep | undefined {
  const received = new Set(row.received);
  const movingOn = row.sequenceVersion !== null && row.sequenceVersion !== sequence.version;
  const chosen = movingOn ? undefined : sequence.steps.find((s) => s.step === row.nextStep && !received.has(s.step));
  return chosen ?? nextStepAfter(sequence.steps, received);
}

/**
 * When `step` may go for this row: its usual schedule from the last email of
 * its sequence (never before `now`), at least the minimum gap after the
 * person's last email of any sequence (one in flight counts as going now),
 * and while paused the first window moment on or after the pause ends.
 */
export function plannedAt(
  row: Pick<PlanRow, 'confirmedAt' | 'lastSentAt' | 'timezone' | 'pausedUntil'> & Partial<Pick<PlanRow, 'lastAnySentAt' | 'otherInFlight'>>,
  steps: readonly ScheduleStep[],
  step: number,
  now: number,
  options: ScheduleOptions,
): number {
  const from = Math.max(now, row.pausedUntil ?? now);
  const lastAnySentAt = row.otherInFlight ? now : (row.lastAnySentAt ?? null);
  return sendTime({ confirmedAt: row.confirmedAt ?? now, timezone: row.timezone, lastSentAt: row.lastSentAt, lastAnySentAt }, steps, step, from, options);
}

/** The row's next step under `sequence` and when it may go (never before `now`), or null when none is left. */
export function nextPlanned(row: PlanRow, sequence: QueueSequence, now: number, options: ScheduleOptions): { step: QueueStep; at: number } | null {
  const step = stepFor(row, sequence);
  return step ? { step, at: plannedAt(row, sequence.steps, step.step, now, options) } : null;
}

/** When a row's next step may go (for a pause moving it), or null when none is left. */
export function nextSendAt(row: DueRow, sequence: QueueSequence, now: number, options: ScheduleOptions): number | null {
  return nextPlanned(row, sequence, now, options)?.at ?? null;
}

/** What to do with a subscriber whose next send time has come. */
export function decideDue(row: DueRow, sequence: QueueSequence, now: number, options: ScheduleOptions): DueAction {
  if (row.status !== 'active' || !row.email) return { kind: 'unschedule' };
  if (row.suppressed) return { kind: 'suppress' };
  const next = nextPlanned(row, sequence, now, options);
  if (!next) return { kind: 'complete' };
  const { step, at } = next;
  return at > now ? { kind: 'reschedule', step: step.step, at } : { kind: 'send', step: step.step, templateId: step.templateId, subject: step.subject };
}

/** The subscriber's next step once `step` went (or finally failed) at `at`; `received` includes it. */
export function decideAfterSend(
  sub: { confirmedAt: number | null; timezone: string; received: readonly number[] },
  sequence: QueueSequence,
  step: number,
  at: number,
  options: ScheduleOptions,
): AfterSend {
  const received = new Set(sub.received);
  received.add(step);
  const next = nextStepAfter(sequence.steps, received);
  if (!next) return { kind: 'complete' };
  return { kind: 'next', step: next.step, at: sendTime({ confirmedAt: sub.confirmedAt ?? at, timezone: sub.timezone, lastSentAt: at }, sequence.steps, next.step, at, options) };
}

/** What a plan of someone's remaining emails reads from their row. */
export type PlanRow = Pick<DueRow, 'nextStep' | 'received' | 'sequenceVersion' | 'confirmedAt' | 'lastSentAt' | 'timezone' | 'pausedUntil'> &
  Partial<Pick<DueRow, 'lastAnySentAt' | 'otherInFlight'>>;

/** One remaining email: its step and when it goes. */
export type PlannedStep = { step: number; at: number };

/**
 * Every email a scheduled person has left under `sequence`, and when each
 * goes if each goes when planned. It is the worker's own decisions one after
 * another: the next step and its time as a due tick decides them
 * (nextPlanned, which decideDue uses), then each following one as settling
 * the email before decides it (decideAfterSend). So the sequence page's
 * preview of a version, which compares two of these plans, cannot disagree
 * with what the worker then sends.
 */
export function remainingPlan(row: PlanRow, sequence: QueueSequence, now: number, options: ScheduleOptions): PlannedStep[] {
  const first = nextPlanned(row, sequence, now, options);
  if (!first) return [];
  const plan: PlannedStep[] = [{ step: first.step.step, at: first.at }];
  const received = [...row.received];
  for (let last = plan[0]!; ; ) {
    received.push(last.step);
    const next = decideAfterSend({ confirmedAt: row.confirmedAt, timezone: row.timezone, received }, sequence, last.step, last.at, options);
    // decideAfterSend never answers a step in `received`, so this ends within the sequence's length.
    if (next.kind === 'complete') return plan;
    plan.push((last = { step: next.step, at: next.at }));
  }
}

/**
 * Why a queued delivery must not go any more, or null when it may. A
 * confirmation goes only to someone still pending, a sequence email only to
 * someone active and still in its sequence, a resend to someone who has not left; a staff test goes to
 * staff.
 */
export function dropReason(item: Pick<BatchItem, 'kind' | 'status' | 'email' | 'suppressed'> & Partial<Pick<BatchItem, 'leftSequence'>>): string | null {
  if (item.kind === 'test') return null;
  if (item.suppressed) return 'suppressed';
  if (!item.email || item.status === null) return 'erased';
  if (item.kind === 'sequence' && item.leftSequence) return 'left';
  if (item.kind === 'resend') return resendDropReason(item);
  const mailable = item.kind === 'confirmation' ? 'pending' : 'active';
  if (item.status !== mailable) return item.status;
  return null;
}

/**
 * What a request rebuilt from the rows keeps: every email whose delivery is
 * still queued in the batch and may still go. Dropped deliveries come back
 * with their reason.
 */
export function rebuildRequest(items: BatchItem[], emails: OutgoingEmail[]): { drop: Map<number, string>; kept: OutgoingEmail[] } {
  const drop = new Map<number, string>();
  const queued = new Set<number>();
  for (const item of items) {
    queued.add(item.deliveryId);
    const reason = dropReason(item);
    if (reason) drop.set(item.deliveryId, reason);
  }
  // Also leaves out emails whose delivery is no longer queued in this batch (dropped elsewhere).
  const kept = emails.filter((e) => queued.has(deliveryIdOf(e)) && !drop.has(deliveryIdOf(e)));
  return { drop, kept };
}

/**
 * Resend keeps an idempotency key for 24 hours. A request whose outcome is
 * unknown is repeated only well inside that, so the provider still
 * recognises the repeat (test/in-doubt.test.ts pins it below the 24 hours).
 */
export const REPLAY_WINDOW_MS = 23 * 60 * 60 * 1000;

/**
 * What the next attempt of a batch may be: rebuilt (nobody can hold it: it
 * was never attempted, or its last attempt failed with an answer), replayed
 * byte for byte (the last attempt's outcome is unknown), or held for staff
 * (unknown, and past the window in which a repeat is recognised).
 */
export function planAttempt(batch: { attempts: number; inDoubt: boolean; firstAttemptAt: number | null }, now: number): AttemptPlan {
  if (batch.attempts === 0 || !batch.inDoubt) return 'rebuild';
  if (batch.firstAttemptAt !== null && now - batch.firstAttemptAt > REPLAY_WINDOW_MS) return 'hold';
  return 'replay';
}

/**
 * Whether a failed attempt proves that no attempt of its request was sent,
 * so the next one may rebuild it: an answer came back (or nothing left this
 * machine), and the attempt was not a replay. An error answer to a replay
 * says nothing about the earlier attempt it repeats, which the provider may
 * have sent (a rate limit or an outage in front of the API answers before
 * the provider looks the key up): the batch stays in doubt, replayed as it
 * is until the provider accepts its key or the replay window ends.
 */
export function isKnownFailure(err: Pick<SendError, 'details'>, replay: boolean): boolean {
  return !replay && (err.details.statusCode !== undefined || err.details.local === true);
}

/** The decisions the send queue applies, for the running version of each sequence and a schedule. */
export function queueSchedule(sequences: RunningSequences, options: ScheduleOptions): QueueSchedule {
  return {
    sequences: Object.keys(sequences) as SequenceId[],
    versionOf: (id) => sequences[id].version,
    decideDue: (row, now) => decideDue(row, sequences[row.sequence], now, options),
    decideAfterSend: (sub, step, at) => decideAfterSend(sub, sequences[sub.sequence], step, at, options),
    rebuild: rebuildRequest,
    planAttempt,
  };
}

// ---------------------------------------------------------------------------
// The request

export type SequenceMessage = {
  deliveryId: number;
  subscriberId: number;
  step: number;
  to: string;
  from: string;
  /** REPLY_TO, when set. */
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  unsubscribeUrl: string;
};

/** One sequence email as the provider gets it: one-click unsubscribe headers, tags for webhooks. */
export function sequenceEmail(m: SequenceMessage): OutgoingEmail {
  return {
    from: m.from,
    to: m.to,
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    subject: m.subject,
    html: m.html,
    text: m.text,
    headers: {
      'List-Unsubscribe': `<${m.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    tags: [
      { name: 'category', value: 'sequence' },
      { name: 'step', value: String(m.step) },
      { name: 'delivery', value: String(m.deliveryId) },
    ],
  };
}

// ---------------------------------------------------------------------------
// Failures

export type FailurePlan =
  /** Try the same request again after `waitMs` (rate limit: also hold the pacer). */
  | { kind: 'retry'; waitMs: number; holdPacer: boolean }
  /** Leave the batch for a later tick. */
  | { kind: 'defer'; retryAt: number }
  /** The request itself is refused: split it (or fail its one email). */
  | { kind: 'permanent' }
  /** The account's quota is spent: stop sending until `until`. */
  | { kind: 'quota'; until: number }
  /**
   * The key was used with another body: cannot happen while keys are content
   * hashes. Fail the batch's deliveries rather than risk sending them twice.
   */
  | { kind: 'abandon' };

export const MAX_TRANSIENT_TRIES = 5;
export const MAX_RATE_LIMITED_TRIES = 20;

/** The next UTC midnight after `now` (when a daily quota without `retry-after` resets). */
export function nextUtcMidnight(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/**
 * What to do after a failed attempt. `tries` counts this tick's attempts of
 * this kind so far (1 after the first failure). `replay`: the attempt
 * repeated a request in doubt.
 */
export function planFailure(
  err: { kind: SendFailureKind; details: SendError['details'] },
  tries: { transient: number; rateLimited: number },
  now: number,
  random: () => number,
  replay = false,
): FailurePlan {
  switch (err.kind) {
    case 'quota':
      return { kind: 'quota', until: now + (err.details.retryAfterMs ?? nextUtcMidnight(now) - now) };
    case 'permanent':
      // Splitting makes new requests under new keys, which the provider would send even if it sent the one in doubt.
      if (replay) return { kind: 'defer', retryAt: now + 60_000 + backoffMs(tries.transient, random, 1000, 10 * 60_000) };
      return { kind: 'permanent' };
    case 'conflict':
      return { kind: 'abandon' };
    case 'rate_limited':
      if (tries.rateLimited >= MAX_RATE_LIMITED_TRIES) return { kind: 'defer', retryAt: now + 60_000 };
      return { kind: 'retry', waitMs: err.details.retryAfterMs ?? backoffMs(tries.rateLimited, random), holdPacer: true };
    case 'transient':
      if (tries.transient >= MAX_TRANSIENT_TRIES) return { kind: 'defer', retryAt: now + 60_000 + backoffMs(tries.transient, random, 1000, 10 * 60_000) };
      return { kind: 'retry', waitMs: backoffMs(tries.transient, random), holdPacer: false };
  }
}
