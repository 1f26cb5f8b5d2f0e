import type { DueRow, EnrolInput, Enrolment, SubscriberRow } from './types.js';

/** Whether an enrolment's email is in flight: claimed (a step and no time) and not yet settled. */
export const inFlight = (e: Pick<Enrolment, 'endedAt' | 'nextStep' | 'nextSendAt'>): boolean => e.endedAt === null && e.nextStep !== null && e.nextSendAt === null;

/** What a due row knows of the person's other sequences, from all their enrolments: their last email, and one in flight. */
export function crossSequence(all: readonly Pick<Enrolment, 'id' | 'lastSentAt' | 'endedAt' | 'nextStep' | 'nextSendAt'>[], enrolmentId: number): Pick<DueRow, 'lastAnySentAt' | 'otherInFlight'> {
  let lastAnySentAt: number | null = null;
  for (const e of all) if (e.lastSentAt !== null && (lastAnySentAt === null || e.lastSentAt > lastAnySentAt)) lastAnySentAt = e.lastSentAt;
  return { lastAnySentAt, otherInFlight: all.some((e) => e.id !== enrolmentId && inFlight(e)) };
}

type EnrolmentFacts = Pick<Enrolment, 'id' | 'lastSentAt' | 'endedAt' | 'nextStep' | 'nextSendAt'>;

/**
 * The due row of one of a person's enrolments, as the schedule's decisions
 * take it (a pause or a time zone changed: when its email goes now), from
 * the person, the enrolment, the steps of its sequence they received, and
 * all their enrolments.
 */
export function dueRowOf(
  person: Pick<SubscriberRow, 'id' | 'status' | 'email' | 'timezone' | 'pausedUntil'>,
  enrolment: Pick<Enrolment, 'id' | 'sequence' | 'startedAt' | 'nextStep' | 'lastSentAt' | 'version'>,
  facts: { received: number[]; suppressed: boolean; all: readonly EnrolmentFacts[] },
): DueRow {
  return {
    id: person.id,
    enrolmentId: enrolment.id,
    sequence: enrolment.sequence,
    status: person.status,
    email: person.email,
    suppressed: facts.suppressed,
    timezone: person.timezone,
    confirmedAt: enrolment.startedAt,
    nextStep: enrolment.nextStep!,
    lastSentAt: enrolment.lastSentAt,
    pausedUntil: person.pausedUntil,
    received: facts.received,
    sequenceVersion: enrolment.version,
    ...crossSequence(facts.all, enrolment.id),
  };
}

/** The due row of an enrolment about to be made (id 0, entering now), for EnrolInput.at to place its first email. */
export function enteringRow(person: Pick<SubscriberRow, 'id' | 'email' | 'timezone' | 'pausedUntil'>, input: EnrolInput, received: number[], all: readonly EnrolmentFacts[]): DueRow {
  const entering = { id: 0, sequence: input.sequence, startedAt: input.now, nextStep: input.firstStep, lastSentAt: null, version: input.version };
  return dueRowOf({ ...person, status: 'active' }, entering, { received, suppressed: false, all });
}
