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

/** The schedule options of a configured send window. */
export function scheduleOptions(config: { sendWindow: SendWindow }, skipWeekends = false): ScheduleOptions {
  return { window: { startMinute: config.sendWindow.startMinute, endMinute: config.sendWindow.endMinute }, skipWeekends };
}

/** The part of a sequence step the schedule needs: its stable id and its day after confirmation. */
export type ScheduleStep = { step: number; dayOffset: number };

export type ScheduleSubscriber = {
  confirmedAt: number;
  timezone: string;
  /** The last sequence email that went (or was attempted), null before the first. */
  last: { step: number; sentAt: number } | null;
  /**
   * Every step id they have received (their sequence deliveries). When left
   * out, the steps up to `last` in this sequence's order.
   */
  received?: readonly number[];
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
 * The step a subscriber in flight gets next: the first step after the
 * furthest one of this sequence they have received, that they have not
 * received. So a step added after their last email is sent to them, one
 * added before it is not, a removed one never is, and none is sent twice.
 */
export function nextStepAfter<S extends ScheduleStep>(sequence: readonly S[], received: ReadonlySet<number>): S | undefined {
  let furthest = -1;
  sequence.forEach((s, i) => {
    if (received.has(s.step)) furthest = i;
  });
  return sequence.slice(furthest + 1).find((s) => !received.has(s.step));
}

/** Where someone (re-)confirming starts: the first step of the sequence they have not received. */
export function firstNotReceived<S extends ScheduleStep>(sequence: readonly S[], received: ReadonlySet<number>): S | undefined {
  return sequence.find((s) => !received.has(s.step));
}

/**
 * When `step` may go (never before `now`): a first step on day 0 at once
 * after entering the sequence (`confirmedAt`: confirming, or entering a
 * later sequence); any other step its days after the step before it (the
 * first step: after entering), counted from the last email of this sequence
 * that went (from entering when none went), on that local day's window, and
 * at least the minimum gap after the person's last email of any sequence
 * (`lastAnySentAt`, by default this sequence's last). `enteredForThem`:
 * someone else entered them (an import with a consent recorded elsewhere),
 * so the day-0 first step answers no action of theirs and waits for their
 * window like every other step.
 */
export function sendTime(
  subscriber: { confirmedAt: number; timezone: string; lastSentAt: number | null; lastAnySentAt?: number | null; enteredForThem?: boolean },
  sequence: readonly ScheduleStep[],
  step: number,
  now: number,
  options: ScheduleOptions,
): number {
  const index = sequence.findIndex((s) => s.step === step);
  if (index < 0) throw new Error(`step ${step} is not in the sequence`);
  const { timezone } = subscriber;
  const lastAny = Math.max(subscriber.lastSentAt ?? -Infinity, subscriber.lastAnySentAt ?? -Infinity);
  const gapEnds = lastAny === -Infinity ? now : lastAny + (options.minGapMs ?? MIN_GAP_MS);
  const delayDays = index === 0 ? sequence[0]!.dayOffset : Math.max(0, sequence[index]!.dayOffset - sequence[index - 1]!.dayOffset);
  if (index === 0 && delayDays === 0 && !subscriber.enteredForThem) {
    // It answers the person's own action: at any hour, unless another sequence's email went within the gap.
    const at = Math.max(now, subscriber.confirmedAt);
    return gapEnds <= at ? at : firstWindowMoment(timezone, gapEnds, options);
  }
  const from = index === 0 ? subscriber.confirmedAt : (subscriber.lastSentAt ?? subscriber.confirmedAt);
  const dueDay = localDay(timezone, from) + delayDays * DAY_MS;
  const dayStart = firstInstantAtOrAfter(timezone, dueDay);
  return firstWindowMoment(timezone, Math.max(now, dayStart, gapEnds), options);
}

/** The steps up to and including `step` in the sequence's order (what someone who just got it has had). */
function receivedThrough(sequence: readonly ScheduleStep[], step: number): number[] | null {
  const index = sequence.findIndex((s) => s.step === step);
  return index < 0 ? null : sequence.slice(0, index + 1).map((s) => s.step);
}

/**
 * The next sequence email for a subscriber and when it may go, or null when
 * the sequence is complete. The result is never before `now`; it equals `now`
 * exactly when the email may go right now.
 */
export function nextSend(subscriber: ScheduleSubscriber, sequence: readonly ScheduleStep[], now: number, options: ScheduleOptions): PlannedSend | null {
  const { last } = subscriber;
  let received = subscriber.received;
  if (!received) {
    if (!last) received = [];
    else {
      // A last step unknown to the sequence, with nothing else known: nothing more to send.
      const through = receivedThrough(sequence, last.step);
      if (!through) return null;
      received = through;
    }
  }
  const set = new Set(received);
  if (last) set.add(last.step);
  const next = nextStepAfter(sequence, set);
  if (!next) return null;
  const at = sendTime({ confirmedAt: subscriber.confirmedAt, timezone: subscriber.timezone, lastSentAt: last?.sentAt ?? null }, sequence, next.step, now, options);
  return { step: next.step, at };
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
    state = { ...state, last: { step: next.step, sentAt: next.at }, received: [...(state.received ?? receivedThrough(sequence, state.last?.step ?? -1) ?? []), next.step] };
    at = next.at;
  }
}
