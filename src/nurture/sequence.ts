import type { ReactElement } from 'react';
import type { SequenceEmailProps } from '../../emails/_components/props.js';
import { sequenceTemplate, type SequenceTemplateId } from '../mail/templates.js';

/** One email of the education sequence. */
export type SequenceStep = {
  /** 1..8 */
  step: number;
  /**
   * Days after confirmation, as in the content brief's table (email 1 is day
   * 0). This is what is stored; the schedule (schedule.ts) waits the
   * difference to the previous step's dayOffset after the previous email went.
   */
  dayOffset: number;
  /** Days after the previous step (dayOffset minus the previous step's); 0 for step 1. Derived from dayOffset. */
  delayDays: number;
  templateId: SequenceTemplateId;
  subject: string;
  preheader: string;
  component: (props: SequenceEmailProps) => ReactElement;
  /** Hash of the template's source; part of render-cache keys and recorded on each delivery. */
  templateVersion: string;
};

// The content brief's plan: which email goes on which day after confirmation.
const PLAN: readonly { templateId: SequenceTemplateId; dayOffset: number }[] = [
  { templateId: '01-welcome', dayOffset: 0 },
  { templateId: '02-how-the-treatment-works', dayOffset: 2 },
  { templateId: '03-what-the-trials-found', dayOffset: 4 },
  { templateId: '04-where-it-stands', dayOffset: 7 },
  { templateId: '05-mdma-and-ketamine', dayOffset: 10 },
  { templateId: '06-safety', dayOffset: 14 },
  { templateId: '07-street-molly', dayOffset: 18 },
  { templateId: '08-next-steps', dayOffset: 21 },
];

export const SEQUENCE: readonly SequenceStep[] = PLAN.map((p, i) => {
  const def = sequenceTemplate(p.templateId);
  return {
    step: i + 1,
    dayOffset: p.dayOffset,
    delayDays: i === 0 ? 0 : p.dayOffset - PLAN[i - 1]!.dayOffset,
    templateId: p.templateId,
    subject: def.subject,
    preheader: def.preheader,
    component: def.component,
    templateVersion: def.version,
  };
});

export const SEQUENCE_LENGTH = SEQUENCE.length;

/** The step with this number (1..8), or undefined. */
export function getStep(step: number): SequenceStep | undefined {
  return SEQUENCE[step - 1];
}
