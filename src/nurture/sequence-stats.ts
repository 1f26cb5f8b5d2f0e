import { and, count, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { deliveries, subscribers } from '../../db/schema.js';
import { SEQUENCE, type SequenceStep } from './sequence.js';

export type StepCounts = { waiting: number; sent: number; delivered: number; opened: number; clicked: number };

/**
 * Per sequence step: subscribers whose next step it is (active only), and its
 * sequence deliveries that went out, were delivered, opened and clicked.
 * Two grouped queries on indexed columns, whatever the number of subscribers.
 */
export function sequenceStepCounts(db: Db): Map<number, StepCounts> {
  const out = new Map<number, StepCounts>();
  const get = (step: number) => {
    let c = out.get(step);
    if (!c) out.set(step, (c = { waiting: 0, sent: 0, delivered: 0, opened: 0, clicked: 0 }));
    return c;
  };
  const waiting = db
    .select({ step: subscribers.nextStep, n: count() })
    .from(subscribers)
    .where(and(eq(subscribers.status, 'active'), isNotNull(subscribers.nextStep)))
    .groupBy(subscribers.nextStep)
    .all();
  for (const r of waiting) get(r.step!).waiting = r.n;
  const sent = db
    .select({
      step: deliveries.step,
      sent: count(),
      delivered: sql<number>`count(${deliveries.deliveredAt})`,
      opened: sql<number>`count(${deliveries.openedAt})`,
      clicked: sql<number>`count(${deliveries.clickedAt})`,
    })
    .from(deliveries)
    .where(and(eq(deliveries.kind, 'sequence'), eq(deliveries.status, 'sent')))
    .groupBy(deliveries.step)
    .all();
  for (const r of sent) Object.assign(get(r.step), { sent: r.sent, delivered: r.delivered, opened: r.opened, clicked: r.clicked });
  return out;
}

export type SequenceOverviewRow = Pick<SequenceStep, 'step' | 'dayOffset' | 'templateId' | 'subject' | 'preheader'> & StepCounts;

/** Each step of the sequence with its numbers, in order. */
export function sequenceOverview(db: Db): SequenceOverviewRow[] {
  const counts = sequenceStepCounts(db);
  return SEQUENCE.map((s) => ({
    step: s.step,
    dayOffset: s.dayOffset,
    templateId: s.templateId,
    subject: s.subject,
    preheader: s.preheader,
    ...(counts.get(s.step) ?? { waiting: 0, sent: 0, delivered: 0, opened: 0, clicked: 0 }),
  }));
}
