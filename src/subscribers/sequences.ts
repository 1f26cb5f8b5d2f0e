/**
 * A person's sequences beyond the education series they confirmed into:
 * entering the consult follow-up (on a click of the booking link in one of
 * our emails, or by staff) and leaving one sequence while keeping the other.
 */
import type { EnrolledBy, EnrolOutcome, LeaveInput, LeaveOutcome, SequenceId } from '../../db/types.js';
import { linkWithoutTokens } from '../mail/links.js';
import { plannedAt } from '../nurture/decide.js';
import { scheduleOptions } from '../nurture/schedule.js';
import { catalogsWith } from '../nurture/sequence.js';
import { runningSequences } from '../nurture/versions.js';
import type { SubscriberDeps } from './deps.js';

/** The sequences a person enters after confirming; the education series is entered by confirming. */
export const LATER_SEQUENCES: readonly SequenceId[] = ['consult-follow-up'];

export type EnrolResult = EnrolOutcome | { kind: 'not_enrollable' };

/**
 * Puts a person in a later sequence, once: its running version's first step
 * goes its days after now, in their window, at least the minimum gap after
 * their last email of any sequence.
 */
export async function enrolIn(deps: Pick<SubscriberDeps, 'stores' | 'config' | 'clock' | 'logger' | 'sequences'>, id: number, sequence: SequenceId, by: EnrolledBy): Promise<EnrolResult> {
  if (!LATER_SEQUENCES.includes(sequence)) return { kind: 'not_enrollable' };
  const running = (await runningSequences(deps.stores, catalogsWith(deps.sequences)))[sequence];
  const first = running.sequence.steps[0];
  if (!first) return { kind: 'not_enrollable' };
  const now = deps.clock.now();
  const options = scheduleOptions(deps.config);
  const steps = running.sequence.steps;
  const outcome = await deps.stores.subscribers.enrol(id, { sequence, now, version: running.version, firstStep: first.step, by, at: (row) => plannedAt(row, steps, first.step, now, options) });
  if (outcome.kind === 'enrolled') deps.logger.info({ subscriberId: id, sequence, by }, 'subscriber enrolled');
  return outcome;
}

/** Ends one running sequence of a person's, not their last (that is unsubscribing). */
export async function leaveSequence(deps: Pick<SubscriberDeps, 'stores' | 'clock' | 'logger'>, id: number, sequence: SequenceId, reason: LeaveInput['reason']): Promise<LeaveOutcome> {
  const outcome = await deps.stores.subscribers.leave(id, { sequence, now: deps.clock.now(), reason });
  if (outcome.kind === 'left') deps.logger.info({ subscriberId: id, sequence, reason }, 'subscriber left a sequence');
  return outcome;
}

/** Where the booking-click scan got to (settings key). */
export const BOOKING_CLICKS_KEY = 'booking_clicks_scanned';

/**
 * A click is taken this long after it came: a link scanner's clicks are
 * flagged as the scanner's later clicks of the same email come in (all
 * links within seconds), and a flagged click starts nothing.
 */
export const CLICK_SETTLE_MS = 60_000;

/**
 * Starts the consult follow-up for each person whose click of the booking
 * link (BOOKING_URL, in any of our emails) came since the last scan and has
 * settled. Entering is once per person, so a click seen again (a crash
 * before the mark was saved) changes nothing. Answers how many entered.
 */
export async function startFromBookingClicks(deps: Pick<SubscriberDeps, 'stores' | 'config' | 'clock' | 'logger' | 'sequences'>, pageSize = 500): Promise<number> {
  if (!deps.config.bookingUrl) return 0;
  const page = linkWithoutTokens(deps.config.bookingUrl);
  if (!page) return 0;
  const saved = await deps.stores.settings.get(BOOKING_CLICKS_KEY);
  let mark = saved ? (JSON.parse(saved) as { receivedAt: number; eventId: string }) : { receivedAt: 0, eventId: '' };
  const upTo = deps.clock.now() - CLICK_SETTLE_MS;
  let entered = 0;
  for (;;) {
    const clicks = await deps.stores.events.pageClicks(page, mark, upTo, pageSize);
    for (const click of clicks) {
      if ((await enrolIn(deps, click.subscriberId, 'consult-follow-up', 'click')).kind === 'enrolled') entered++;
    }
    const last = clicks.at(-1);
    if (!last) break;
    mark = { receivedAt: last.receivedAt, eventId: last.eventId };
    await deps.stores.settings.set(BOOKING_CLICKS_KEY, JSON.stringify(mark), deps.clock.now());
    if (clicks.length < pageSize) break;
  }
  return entered;
}
