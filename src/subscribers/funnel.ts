import type { Stores } from '../../db/stores.js';
import type { ActivityType, SignupSources } from '../../db/types.js';
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
/**
 * `signup` counts new people (a re-signup is not a second signup) and
 * `confirmed` first confirmations (by email or an import's recorded
 * consent); `sources` splits them, over the window and all time.
 */
export type Funnel = { timeZone: string; days: FunnelDay[]; totals: FunnelCounts; allTime: FunnelCounts; sources: { totals: SignupSources; allTime: SignupSources } };

/** New people: the form, an import with a recorded consent, an import invited to opt in. */
export const newPeople = (s: SignupSources) => s.form + s.importConsent + s.importInvited;
/** Those asked to confirm by email: the form's signups and the imports invited to opt in. */
export const askedToConfirm = (s: SignupSources) => s.form + s.importInvited;

/** A stage's counts with the repeats taken out: a person's later signups and confirmations. */
function firstTimes(counts: Partial<Record<string, number>>, sources: SignupSources): Partial<Record<string, number>> {
  return { ...counts, signup: (counts.signup ?? 0) - sources.again, confirmed: (counts.confirmed ?? 0) - sources.confirmedAgain };
}

function addSources(a: SignupSources, b: SignupSources): SignupSources {
  return { form: a.form + b.form, importConsent: a.importConsent + b.importConsent, importInvited: a.importInvited + b.importInvited, again: a.again + b.again, confirmedAgain: a.confirmedAgain + b.confirmedAgain };
}

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
  const sources = await stores.subscribers.signupSources(ranges);
  const totals = zeroCounts();
  let sourceTotals: SignupSources = { form: 0, importConsent: 0, importInvited: 0, again: 0, confirmedAgain: 0 };
  const out: FunnelDay[] = days.map((d, i) => {
    const daySources = sources.ranges[i]!;
    sourceTotals = addSources(sourceTotals, daySources);
    const day = firstTimes(counted.ranges[i] ?? {}, daySources);
    const counts = zeroCounts();
    for (const type of STAGE_TYPES) {
      counts[type] = day[type] ?? 0;
      totals[type] += counts[type];
    }
    return { ...d, counts };
  });
  const allTime = zeroCounts();
  const all = firstTimes(counted.allTime, sources.allTime);
  for (const type of STAGE_TYPES) allTime[type] = all[type] ?? 0;
  return { timeZone: opts.timeZone, days: out, totals, allTime, sources: { totals: sourceTotals, allTime: sources.allTime } };
}
