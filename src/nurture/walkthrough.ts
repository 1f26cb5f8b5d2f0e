/**
 * What `npm run tick -- --advance 21d` prints after running a tick an hour
 * through a span: per person, every email that went (at its time in their
 * zone) and what is planned next in each sequence they are in. A walk through
 * the sequences on a copy of the data, for staff trying them out.
 */
import type { PlannedNext, SentInSpan } from '../../db/types.js';
import { maskEmail } from '../logger.js';
import { localWall } from './schedule.js';
import { emailName, SEQUENCES, type SequenceCatalogs } from './sequence.js';
import type { TickSummary } from './tick.js';

/** The counts of a tick that add up over many. */
export type TickTotals = Pick<TickSummary, 'due' | 'sent' | 'failed' | 'retried' | 'dropped' | 'rescheduled' | 'completed' | 'batches' | 'held'>;

export type WalkthroughPerson = {
  id: number;
  email: string;
  timezone: string;
  went: { at: string; email: string; subject: string | null }[];
  next: { at: string | null; email: string }[];
};

export type Walkthrough = { from: string; to: string; ticks: number; totals: TickTotals; people: WalkthroughPerson[] };

export const EMPTY_TOTALS: TickTotals = { due: 0, sent: 0, failed: 0, retried: 0, dropped: 0, rescheduled: 0, completed: 0, batches: 0, held: 0 };

export function addTick(totals: TickTotals, tick: TickSummary): TickTotals {
  const out = { ...totals };
  for (const key of Object.keys(EMPTY_TOTALS) as (keyof TickTotals)[]) out[key] += tick[key];
  return out;
}

/** A time as the wall clock of `timeZone` shows it, with that zone's offset: 2026-03-02T09:14+01:00. */
export function localIso(t: number, timeZone: string): string {
  const wall = localWall(timeZone, t);
  // The wall time is at minute precision: compare it with the instant's minute.
  const offset = Math.round((wall - Math.floor(t / 60_000) * 60_000) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${new Date(wall).toISOString().slice(0, 16)}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function sentName(row: SentInSpan, catalogs: SequenceCatalogs): string {
  if (row.kind === 'confirmation') return 'The confirmation email';
  if (row.kind === 'test') return 'A staff test email';
  const name = row.sequence ? emailName(catalogs, row.sequence, row.step, true) : `step ${row.step}`;
  return row.kind === 'resend' ? `${name}, sent again` : name;
}

/** The report of a span from what the store read; addresses masked (it is printed). */
export function walkthrough(
  span: { from: number; to: number; ticks: number; totals: TickTotals },
  rows: { sent: SentInSpan[]; planned: PlannedNext[] },
  catalogs: SequenceCatalogs = SEQUENCES,
): Walkthrough {
  const people = new Map<number, WalkthroughPerson>();
  for (const row of rows.sent) {
    let person = people.get(row.subscriberId);
    if (!person) people.set(row.subscriberId, (person = { id: row.subscriberId, email: maskEmail(row.email), timezone: row.timezone, went: [], next: [] }));
    person.went.push({ at: localIso(row.sentAt, row.timezone), email: sentName(row, catalogs), subject: row.subject });
  }
  for (const plan of rows.planned) {
    const person = people.get(plan.subscriberId);
    if (!person) continue;
    person.next.push({ at: plan.at === null ? null : localIso(plan.at, person.timezone), email: emailName(catalogs, plan.sequence, plan.step, true) });
  }
  return { from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), ticks: span.ticks, totals: span.totals, people: [...people.values()] };
}
