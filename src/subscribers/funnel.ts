import { and, count, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { activity, type ActivityType } from '../../db/schema.js';

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

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function zoneOffset(ms: number, timeZone: string): number {
  const p = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const v = (t: string) => Number(p.find((x) => x.type === t)!.value);
  return Date.UTC(v('year'), v('month') - 1, v('day'), v('hour'), v('minute'), v('second')) - Math.floor(ms / 1000) * 1000;
}

/** The instant a local calendar date begins in a zone (DST-correct: midnight, or the first moment after a skipped one). */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - zoneOffset(wall, timeZone);
  t = wall - zoneOffset(t, timeZone);
  // If midnight does not exist that day, the guess lands on the previous day: step forward an hour.
  if (localDate(t, timeZone) !== date) t += 3600_000;
  return t;
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
 * totals over that window and over all time. One grouped query: the day index
 * of each row is the number of day boundaries at or before it.
 */
export function funnelByDay(db: Db, opts: { now: number; timeZone: string; days?: number }): Funnel {
  const { days, end } = lastLocalDays(opts.now, opts.timeZone, opts.days ?? 30);
  const first = days[0]!.start;
  const dayIndex = sql.join(
    days.slice(1).map((d) => sql`(${activity.at} >= ${d.start})`),
    sql` + `,
  );
  const rows = db
    .select({ type: activity.type, day: sql<number>`${days.length > 1 ? dayIndex : sql`0`}`.as('day'), n: count() })
    .from(activity)
    .where(and(inArray(activity.type, STAGE_TYPES), gte(activity.at, first), lt(activity.at, end)))
    .groupBy(activity.type, sql`day`)
    .all();
  const out: FunnelDay[] = days.map((d) => ({ ...d, counts: zeroCounts() }));
  const totals = zeroCounts();
  for (const r of rows) {
    const stage = r.type as FunnelStage;
    out[r.day]!.counts[stage] += r.n;
    totals[stage] += r.n;
  }
  const allTime = zeroCounts();
  for (const r of db.select({ type: activity.type, n: count() }).from(activity).where(inArray(activity.type, STAGE_TYPES)).groupBy(activity.type).all()) {
    allTime[r.type as FunnelStage] = r.n;
  }
  return { timeZone: opts.timeZone, days: out, totals, allTime };
}
