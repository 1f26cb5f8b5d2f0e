import type { Stores } from '../../db/stores.js';
import type { StepCounts } from '../../db/types.js';
import { SEQUENCE, type SequenceStep } from './sequence.js';

export type { StepCounts } from '../../db/types.js';

export type SequenceOverviewRow = Pick<SequenceStep, 'step' | 'dayOffset' | 'templateId' | 'subject' | 'preheader'> & StepCounts;

/** Each step of the sequence with its numbers, in order. */
export async function sequenceOverview(stores: Stores): Promise<SequenceOverviewRow[]> {
  const counts = await stores.sendQueue.stepCounts();
  return SEQUENCE.map((s) => ({
    step: s.step,
    dayOffset: s.dayOffset,
    templateId: s.templateId,
    subject: s.subject,
    preheader: s.preheader,
    ...(counts.get(s.step) ?? { waiting: 0, sent: 0, delivered: 0, opened: 0, clicked: 0 }),
  }));
}
