import type { DueRow, Reader, Subscriber, SubscriberStatus } from '../../db/types.js';
import { nextSendAt } from '../nurture/decide.js';
import { runningPlan } from '../nurture/versions.js';
import type { SubscriberDeps } from './deps.js';
import { findByToken } from './lookup.js';

/** The pauses a reader can pick on the preference page. */
export const PAUSE_WEEKS = [2, 4] as const;
export const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

type Deps = Pick<SubscriberDeps, 'stores' | 'config' | 'clock' | 'logger' | 'sequences'>;

/**
 * Where a preference link stands. `outdated`: authentic, but from an email
 * before a re-subscribe. Such a link may only unsubscribe (never harmful, as
 * with unsubscribe links); reading or deleting data, or changing what is sent,
 * needs the link of the current round, since the generation was bumped
 * precisely so that earlier links stop speaking for the address.
 */
export type PreferencesState =
  | { kind: 'invalid' }
  | { kind: 'unknown' }
  | { kind: 'outdated'; subscriber: Subscriber }
  | { kind: 'current'; subscriber: Subscriber };

export async function preferencesState(deps: Pick<Deps, 'stores' | 'config' | 'clock'>, token: string): Promise<PreferencesState> {
  const found = await findByToken(deps.stores.subscribers, deps.config.secretKey, token, 'preferences', deps.clock.now(), true);
  if (found.kind !== 'found') return found;
  return { kind: found.current ? 'current' : 'outdated', subscriber: found.subscriber };
}

/** True while a pause the reader asked for still holds. */
export function isPaused(s: Pick<Subscriber, 'pausedUntil'>, now: number): boolean {
  return s.pausedUntil !== null && s.pausedUntil > now;
}

export type PauseOutcome =
  | { ok: true; subscriber: Subscriber }
  | { ok: false; reason: 'not_found' }
  /** Only someone receiving the series can pause or resume it. */
  | { ok: false; reason: 'not_active'; status: SubscriberStatus }
  | { ok: false; reason: 'not_paused' | 'until_not_in_future' };

async function notChanged(deps: Deps, id: number): Promise<PauseOutcome> {
  const s = await deps.stores.subscribers.byId(id);
  if (!s || s.status === 'erased') return { ok: false, reason: 'not_found' };
  return { ok: false, reason: 'not_active', status: s.status };
}

/** When the scheduled email goes, given the row with its change (a new pause or none, a new time zone), by the worker's own schedule. */
export async function reschedule(deps: Pick<Deps, 'stores' | 'config' | 'sequences'>, now: number) {
  const { sequence, options } = await runningPlan(deps);
  return (row: DueRow) => nextSendAt(row, sequence, now, options);
}

/**
 * Pauses an active subscriber's sequence until `until`: nothing goes before
 * it; then the next email goes at the first moment in their send window, and
 * at least the minimum gap after their last email. Pausing again replaces the
 * end. `detail` is recorded with the activity (who asked).
 */
export async function pauseSubscriber(deps: Deps, id: number, until: number, detail: Record<string, unknown> = {}): Promise<PauseOutcome> {
  const now = deps.clock.now();
  if (!(until > now)) return { ok: false, reason: 'until_not_in_future' };
  const s = await deps.stores.subscribers.setPause(id, { pausedUntil: until, now, nextSendAt: await reschedule(deps, now), detail });
  if (!s) return notChanged(deps, id);
  deps.logger.info({ subscriberId: id, until: new Date(until).toISOString() }, 'sequence paused');
  return { ok: true, subscriber: s };
}

/**
 * Ends a pause early: the next email is scheduled from their last one as if
 * there had been no pause, but never before now (nor inside the minimum gap,
 * nor outside the window).
 */
export async function resumeSubscriber(deps: Deps, id: number, detail: Record<string, unknown> = {}): Promise<PauseOutcome> {
  const now = deps.clock.now();
  const current = await deps.stores.subscribers.byId(id);
  if (current?.status === 'active' && !isPaused(current, now)) return { ok: false, reason: 'not_paused' };
  const s = await deps.stores.subscribers.setPause(id, { pausedUntil: null, now, nextSendAt: await reschedule(deps, now), detail });
  if (!s) return notChanged(deps, id);
  deps.logger.info({ subscriberId: id }, 'sequence resumed');
  return { ok: true, subscriber: s };
}

/** Who they read for (null: nothing picked); undefined when the subscriber is gone. */
export async function changeReader(deps: Deps, id: number, reader: Reader | null): Promise<Subscriber | undefined> {
  const s = await deps.stores.subscribers.setReader(id, reader, deps.clock.now());
  if (s) deps.logger.info({ subscriberId: id }, 'reader changed');
  return s;
}
