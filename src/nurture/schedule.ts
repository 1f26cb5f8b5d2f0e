/**
 * When each sequence email may go. Pure: no clock, no database.
 *
 * Rules (design.md, "Schedule and sending"):
 * - Email 1 goes right after confirmation, at any hour: it answers the
 *   subscriber's own action.
 * - Each later email goes `day[n] - day[n-1]` local calendar days after the
 *   local date on which the previous email actually went, at the first moment
 *   inside the subscriber's local send window on or after the start of that
 *   day. When every email goes on time this puts email n on local day
 *   `day[n]` after confirmation, as the content brief's table reads.
 * - Never less than `minGapMs` (20 h) after the previous sequence email.
 * - Never before `now`: an overdue email goes now if now is inside the window,
 *   else at the next window opening. The step after it is computed from the
 *   time it actually went, so catching up after downtime never bunches emails.
 * - With `skipWeekends`, Saturdays and Sundays (local) have no window.
 *
 * Local wall times are computed with Intl.DateTimeFormat in the subscriber's
 * IANA zone, so DST changes and half- or quarter-hour offsets are exact: a
 * window opening inside a skipped hour opens when the clocks jump forward; an
 * hour that repeats opens at its first occurrence.
 */

export type SendWindow = { startMinute: number; endMinute: number };

export type ScheduleOptions = {
  window: SendWindow;
  skipWeekends?: boolean;
  /** Minimum time between two sequence emails to one person. */
  minGapMs?: number;
};

export const MIN_GAP_MS = 20 * 60 * 60 * 1000;

/** The part of a sequence step the schedule needs: its number and its day after confirmation. */
export type ScheduleStep = { step: number; dayOffset: number };

export type ScheduleSubscriber = {
  confirmedAt: number;
  timezone: string;
  /** The last sequence email that went (or was attempted), null before email 1. */
  last: { step: number; sentAt: number } | null;
};

export type PlannedSend = { step: number; at: number };

const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

// ---------------------------------------------------------------------------
// Local wall time in a zone

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const QUARTER_MS = 15 * MINUTE_MS;
// UTC offsets per (zone, quarter hour), kept only where the offset is the same
// at both ends of the quarter: every offset change since the 1970s happens on
// a quarter hour, so a tick computing thousands of schedules formats each
// zone's quarter hours once instead of every instant.
const offsetMemo = new Map<string, number>();

/**
 * The local wall time at instant t, as milliseconds of a fictional UTC clock
 * (so `Date.UTC` arithmetic on dates works), at minute precision.
 */
export function localWall(timeZone: string, t: number): number {
  const bucket = Math.floor(t / QUARTER_MS);
  const key = `${timeZone}|${bucket}`;
  let offset = offsetMemo.get(key);
  if (offset === undefined) {
    const start = bucket * QUARTER_MS;
    const last = start + QUARTER_MS - MINUTE_MS;
    const a = formatWall(timeZone, start) - start;
    const b = formatWall(timeZone, last) - last;
    if (a !== b || a % MINUTE_MS !== 0) return formatWall(timeZone, t);
    if (offsetMemo.size > 100_000) offsetMemo.clear();
    offsetMemo.set(key, a);
    offset = a;
  }
  return t - (((t % MINUTE_MS) + MINUTE_MS) % MINUTE_MS) + offset;
}

function formatWall(timeZone: string, t: number): number {
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  for (const p of formatter(timeZone).formatToParts(t)) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value);
        break;
      case 'minute':
        mi = Number(p.value);
        break;
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi);
}

/** Local date (as a UTC-midnight ms value) of instant t. */
function localDay(timeZone: string, t: number): number {
  const w = localWall(timeZone, t);
  return w - (((w % DAY_MS) + DAY_MS) % DAY_MS);
}

/** The first instant (minute precision) whose local wall time is at or after `wall`. */
export function firstInstantAtOrAfter(timeZone: string, wall: number): number {
  // The offset is within the offsets found a day either side of the guess.
  const before = localWall(timeZone, wall - DAY_MS) - (wall - DAY_MS);
  const after = localWall(timeZone, wall + DAY_MS) - (wall + DAY_MS);
  const candidates = [wall - before, wall - after].sort((a, b) => a - b);
  for (const c of candidates) if (localWall(timeZone, c) === wall) return c; // earliest exact match (first of a repeated hour)
  // `wall` falls in a skipped interval: the answer is the moment the clocks jump
  // past it. Search between the two candidates (local time is increasing there).
  let lo = candidates[0]!;
  let hi = candidates[1]!;
  if (localWall(timeZone, hi) < wall) hi = wall + 2 * DAY_MS; // defensive; never hit with real zones
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
    if (localWall(timeZone, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

// Window boundaries per (zone, local day) are asked for again and again by a
// tick; they never change, so keep a bounded memo.
const windowMemo = new Map<string, [number, number]>();

/** [opens, closes) of the send window on a local day, as instants. */
function windowOn(timeZone: string, day: number, window: SendWindow): [number, number] {
  const key = `${timeZone}|${day}|${window.startMinute}|${window.endMinute}`;
  let w = windowMemo.get(key);
  if (!w) {
    w = [firstInstantAtOrAfter(timeZone, day + window.startMinute * MINUTE_MS), firstInstantAtOrAfter(timeZone, day + window.endMinute * MINUTE_MS)];
    if (windowMemo.size > 50_000) windowMemo.clear();
    windowMemo.set(key, w);
  }
  return w;
}

function isWeekend(day: number): boolean {
  const wd = new Date(day).getUTCDay();
  return wd === 0 || wd === 6;
}

/**
 * The first moment at or after `t` inside the local send window (on a weekday
 * when weekends are skipped).
 */
export function firstWindowMoment(timeZone: string, t: number, options: Pick<ScheduleOptions, 'window' | 'skipWeekends'>): number {
  const startDay = localDay(timeZone, t);
  // Look a little further back than the local date of t: a window that closes
  // after a fall-back repeat may still be open.
  for (let i = -1; i < 14; i++) {
    const day = startDay + i * DAY_MS;
    if (options.skipWeekends && isWeekend(day)) continue;
    const [opens, closes] = windowOn(timeZone, day, options.window);
    if (closes <= opens) continue; // the whole window was skipped by a clock change
    const at = Math.max(t, opens);
    if (at < closes) return at;
  }
  throw new Error(`no send window within two weeks in ${timeZone}`);
}

// ---------------------------------------------------------------------------
// The schedule

/**
 * The next sequence email for a subscriber and when it may go, or null when
 * the sequence is complete. The result is never before `now`; it equals `now`
 * exactly when the email may go right now.
 */
export function nextSend(
  subscriber: ScheduleSubscriber,
  sequence: readonly ScheduleStep[],
  now: number,
  options: ScheduleOptions,
): PlannedSend | null {
  const { last, timezone } = subscriber;
  const index = last ? sequence.findIndex((s) => s.step === last.step) + 1 : 0;
  // A last step unknown to the sequence (it was shortened): nothing more to send.
  if (last && index === 0) return null;
  const next = sequence[index];
  if (!next) return null;
  if (!last) return { step: next.step, at: Math.max(now, subscriber.confirmedAt) };

  const previous = sequence[index - 1]!;
  const delayDays = Math.max(0, next.dayOffset - previous.dayOffset);
  const dueDay = localDay(timezone, last.sentAt) + delayDays * DAY_MS;
  const dayStart = firstInstantAtOrAfter(timezone, dueDay);
  const earliest = Math.max(now, dayStart, last.sentAt + (options.minGapMs ?? MIN_GAP_MS));
  return { step: next.step, at: firstWindowMoment(timezone, earliest, options) };
}

/**
 * The planned time of every remaining step (for staff), computed with the same
 * rules as the worker: each step is assumed to go at its planned time.
 */
export function plannedSendTimes(
  subscriber: ScheduleSubscriber,
  sequence: readonly ScheduleStep[],
  now: number,
  options: ScheduleOptions,
): PlannedSend[] {
  const planned: PlannedSend[] = [];
  let state = subscriber;
  let at = now;
  for (;;) {
    const next = nextSend(state, sequence, at, options);
    if (!next) return planned;
    planned.push(next);
    state = { ...state, last: { step: next.step, sentAt: next.at } };
    at = next.at;
  }
}

/** The step that comes before `step` in the sequence, if any. */
export function stepBefore(sequence: readonly ScheduleStep[], step: number): ScheduleStep | undefined {
  const i = sequence.findIndex((s) => s.step === step);
  return i > 0 ? sequence[i - 1] : undefined;
}
