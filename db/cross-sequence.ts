import type { DueRow, Enrolment } from './types.js';

/** Whether an enrolment's email is in flight: claimed (a step and no time) and not yet settled. */
export const inFlight = (e: Pick<Enrolment, 'endedAt' | 'nextStep' | 'nextSendAt'>): boolean => e.endedAt === null && e.nextStep !== null && e.nextSendAt === null;

/** What a due row knows of the person's other sequences, from all their enrolments: their last email, and one in flight. */
export function crossSequence(all: readonly Pick<Enrolment, 'id' | 'lastSentAt' | 'endedAt' | 'nextStep' | 'nextSendAt'>[], enrolmentId: number): Pick<DueRow, 'lastAnySentAt' | 'otherInFlight'> {
  let lastAnySentAt: number | null = null;
  for (const e of all) if (e.lastSentAt !== null && (lastAnySentAt === null || e.lastSentAt > lastAnySentAt)) lastAnySentAt = e.lastSentAt;
  return { lastAnySentAt, otherInFlight: all.some((e) => e.id !== enrolmentId && inFlight(e)) };
}
