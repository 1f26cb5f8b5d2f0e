/**
 * The complaint guard: when too many readers mark the emails as spam, the
 * mailbox providers start filing everything from the domain as spam (Gmail
 * asks bulk senders to stay under 0.3 %). Above COMPLAINT_PAUSE of what was
 * delivered in the last 7 days, the worker stops claiming sequence emails
 * until an admin resumes them. Confirmation emails and staff tests still go:
 * each answers a person's own action.
 *
 * After a resume, only complaints reported after it count (over the same 7
 * days of deliveries), so the complaints that caused the pause cannot pause
 * it again at once; new complaints at the same rate do.
 */
import type { ProviderEventStore, SettingsStore } from '../../db/stores.js';
import type { ComplaintFigures } from '../../db/types.js';
import type { Logger } from '../logger.js';

export const COMPLAINT_WINDOW_MS = 7 * 86_400_000;
/** Below this many delivered in the window, a few complaints say little: the guard does not judge. */
export const COMPLAINT_MIN_DELIVERED = 1000;
/** worker_state key of the guard's state (JSON of ComplaintGuardState). */
export const COMPLAINT_GUARD_KEY = 'complaint_guard';

export type ComplaintDecision =
  | { kind: 'pause'; rate: number }
  | { kind: 'send'; rate: number }
  /** Fewer delivered than the minimum: not judged (the rate, if any, is only shown). */
  | { kind: 'too_few'; rate: number | null };

/** Whether a window's figures pause sequence sending: only above the threshold, and only from the minimum delivered. */
export function decideComplaintPause(figures: ComplaintFigures, threshold: number, minDelivered = COMPLAINT_MIN_DELIVERED): ComplaintDecision {
  const rate = figures.delivered > 0 ? figures.complained / figures.delivered : null;
  if (figures.delivered < minDelivered || rate === null) return { kind: 'too_few', rate };
  return rate > threshold ? { kind: 'pause', rate } : { kind: 'send', rate };
}

/** A pause the guard recorded: when, and the figures and threshold that caused it. */
export type ComplaintPause = ComplaintFigures & { since: number; rate: number; threshold: number; windowStart: number; complaintsSince: number };

export type ComplaintGuardState = { paused: ComplaintPause | null; resumedAt: number | null; resumedBy: string | null };

const NOT_PAUSED: ComplaintGuardState = { paused: null, resumedAt: null, resumedBy: null };

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The guard's state; a missing or unreadable value reads as never paused. */
export async function readComplaintGuard(settings: Pick<SettingsStore, 'get'>): Promise<ComplaintGuardState> {
  const raw = await settings.get(COMPLAINT_GUARD_KEY);
  if (!raw) return NOT_PAUSED;
  try {
    const v = JSON.parse(raw) as Partial<ComplaintGuardState>;
    const p = v.paused;
    const paused = p && finite(p.since) && finite(p.rate) && finite(p.delivered) && finite(p.complained) && finite(p.threshold) && finite(p.windowStart) && finite(p.complaintsSince) ? p : null;
    return { paused, resumedAt: finite(v.resumedAt) ? v.resumedAt : null, resumedBy: typeof v.resumedBy === 'string' ? v.resumedBy : null };
  } catch {
    return NOT_PAUSED;
  }
}

/** Where the guard counts from at `now`: deliveries of the last 7 days, complaints since the last resume within them. */
export function complaintWindow(now: number, state: Pick<ComplaintGuardState, 'resumedAt'>): { deliveredSince: number; complainedSince: number } {
  const deliveredSince = now - COMPLAINT_WINDOW_MS;
  return { deliveredSince, complainedSince: Math.max(deliveredSince, state.resumedAt ?? deliveredSince) };
}

export type ComplaintGuardDeps = {
  stores: { settings: Pick<SettingsStore, 'get' | 'set'>; events: Pick<ProviderEventStore, 'complaintFigures'> };
  threshold: number;
  logger: Logger;
};

/**
 * Asked once per tick: the pause in force (recording a new one when the
 * figures are above the threshold), or null when sequence emails may go.
 * Two small reads when nothing changes.
 */
export async function complaintPauseAt(deps: ComplaintGuardDeps, now: number): Promise<ComplaintPause | null> {
  const { settings, events } = deps.stores;
  const state = await readComplaintGuard(settings);
  if (state.paused) return state.paused;
  const window = complaintWindow(now, state);
  const figures = await events.complaintFigures(window.deliveredSince, window.complainedSince);
  const decision = decideComplaintPause(figures, deps.threshold);
  if (decision.kind !== 'pause') return null;
  // An admin who resumed while this tick counted has the last word.
  const latest = await readComplaintGuard(settings);
  if (latest.paused) return latest.paused;
  if (latest.resumedAt !== state.resumedAt) return null;
  const paused: ComplaintPause = { ...figures, since: now, rate: decision.rate, threshold: deps.threshold, windowStart: window.deliveredSince, complaintsSince: window.complainedSince };
  await settings.set(COMPLAINT_GUARD_KEY, JSON.stringify({ ...latest, paused }), now);
  deps.logger.warn({ ...paused }, `complaint rate ${formatRate(decision.rate)} is above COMPLAINT_PAUSE ${formatRate(deps.threshold)}: sequence emails paused until an admin resumes them`);
  return paused;
}

/** An admin's resume: lifts the pause (answering it), or null when sending was not paused. */
export async function resumeSequenceSending(settings: Pick<SettingsStore, 'get' | 'set'>, now: number, actor: string): Promise<ComplaintPause | null> {
  const state = await readComplaintGuard(settings);
  if (!state.paused) return null;
  await settings.set(COMPLAINT_GUARD_KEY, JSON.stringify({ paused: null, resumedAt: now, resumedBy: actor } satisfies ComplaintGuardState), now);
  return state.paused;
}

/** A rate as a percentage people read: 0.0042 -> "0.42 %". */
export function formatRate(rate: number): string {
  const pct = rate * 100;
  return `${pct >= 10 ? pct.toFixed(0) : pct >= 1 ? pct.toFixed(1) : pct.toFixed(2)} %`;
}
