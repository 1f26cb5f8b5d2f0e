import type { Stores } from '../../db/stores.js';
import type { StepCounts } from '../../db/types.js';
import { linkWithoutTokens } from '../subscribers/provider-events.js';
import type { SequenceStep } from './sequence.js';
import { runningSequence } from './versions.js';
import { SEQUENCE_VERSIONS, type SequenceCatalog } from './sequence.js';

export type { StepCounts } from '../../db/types.js';

export type SequenceOverviewRow = Pick<SequenceStep, 'step' | 'dayOffset' | 'templateId' | 'subject' | 'preheader'> &
  StepCounts & {
    /** Clicks on the consult booking page from this step; null when BOOKING_URL is unset (not tracked). */
    consultClicks: number | null;
  };

/** Each step of the running version with its numbers, in order. */
export async function sequenceOverview(stores: Stores, bookingUrl: string | undefined, catalog: SequenceCatalog = SEQUENCE_VERSIONS): Promise<SequenceOverviewRow[]> {
  const { sequence } = await runningSequence(stores, catalog);
  const counts = await stores.sendQueue.stepCounts();
  // Compared as the webhook records clicked links: origin and path, without query or tokens.
  const page = bookingUrl ? linkWithoutTokens(bookingUrl) : undefined;
  const consult = page ? await stores.events.clicksOnPageByStep(page) : null;
  return sequence.steps.map((s) => ({
    step: s.step,
    dayOffset: s.dayOffset,
    templateId: s.templateId,
    subject: s.subject,
    preheader: s.preheader,
    ...(counts.get(s.step) ?? { waiting: 0, sent: 0, delivered: 0, opened: 0, clicked: 0 }),
    consultClicks: consult ? (consult.get(s.step) ?? 0) : null,
  }));
}
