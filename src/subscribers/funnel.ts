import type { Stores } from '../../db/stores.js';
import type { ActivityType } from '../../db/types.js';
import { firstInstantAtOrAfter } from '../nurture/schedule.js';

/** The funnel's stages, in the order staff read them, each counted from one activity type. */
export const FUNNEL_STAGES = [
  { type: 'signup', label: 'Signups' },
  { type: 'confirmed', label: 'Confirmed' },
  { type: 'completed', label: 'Completed the sequence' },
  { type: 'unsubscribed', label: 'Unsubscribed' },
  { type: 'bounced', label: 'Bounced' },
  { type: 'complained', label: 'Complained' },
  { type: 'converted', label: 'Converted' },
] as const satisfies readonly { type: ActivityType; label: string }[];

export type FunnelStage = (typeof FUNNEL_STAGES)[number]['type'];
export type FunnelCounts = Record<FunnelStage, number>;
export type FunnelDay = { date: string; start: number; counts: FunnelCounts };
export type Funnel = { timeZone: string; days: FunnelDay[]; totals: FunnelCounts; allTime: FunnelCounts };

const STAGE_TYPES = FUNNEL_STAGES.map((s) => s.type);

function zeroCounts(): FunnelCounts {
  return Object.fromEntries(STAGE_TYPES.map((t) => [t, 0])) as FunnelCounts;
}

/** The calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

/** The instant a local calendar date begins in a zone (DST-correct: midnight, or the first moment after a skipped one). */
export function startOfLocalDay(date: string, timeZone: string): number {
  return firstInstantAtOrAfter(timeZone, Date.parse(`${date}T00:00:00Z`));
}

/** The `days` local dates ending today (in the zone), oldest first, each with the instant it starts, plus the end of today. */
export function lastLocalDays(now: number, timeZone: string, days: number): { days: { date: string; start: number }[]; end: number } {
  const today = localDate(now, timeZone);
  const out: { date: string; start: number }[] = [];
  const base = Date.parse(`${today}T12:00:00Z`);
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(base - i * 86_400_000).toISOString().slice(0, 10);
    out.push({ date, start: startOfLocalDay(date, timeZone) });
  }
  const tomorrow = new Date(base + 86_400_000).toISOString().slice(0, 10);
  return { days: out, end: startOfLocalDay(tomorrow, timeZone) };
}

/**
 * The funnel per local day for the last `days` days (staff's zone), with
 * totals over that window and over all time. One small grouped query per day
 * and per all-time stage, so the cost follows the number of days, not rows.
 */
export async function funnelByDay(stores: Stores, opts: { now: number; timeZone: string; days?: number }): Promise<Funnel> {
  const { days, end } = lastLocalDays(opts.now, opts.timeZone, opts.days ?? 30);
  const ranges = days.map((d, i) => ({ start: d.start, end: days[i + 1]?.start ?? end }));
  const counted = await stores.subscribers.activityCounts(STAGE_TYPES, ranges);
  const totals = zeroCounts();
  const out: FunnelDay[] = days.map((d, i) => {
    const counts = zeroCounts();
    for (const type of STAGE_TYPES) {
      counts[type] = counted.ranges[i]?.[type] ?? 0;
      totals[type] += counts[type];
    }
    return { ...d, counts };
  });
  const allTime = zeroCounts();
  for (const type of STAGE_TYPES) allTime[type] = counted.allTime[type] ?? 0;
  return { timeZone: opts.timeZone, days: out, totals, allTime };
}
