import type { Stores } from '../../db/stores.js';
import { UNSUBSCRIBE_REASONS, type SequenceId, type StepCounts, type UnsubscribeReason } from '../../db/types.js';
import { linkWithoutTokens } from '../mail/links.js';
import { leftOutOf, type Tracking } from './engagement.js';
import type { SequenceStep } from './sequence.js';
import { runningSequence } from './versions.js';
import { SEQUENCE_VERSIONS, type SequenceCatalog } from './sequence.js';

export type { StepCounts } from '../../db/types.js';

export type SequenceOverviewRow = Pick<SequenceStep, 'step' | 'dayOffset' | 'templateId' | 'subject' | 'preheader'> &
  Omit<StepCounts, 'delivered' | 'opened' | 'clicked'> & {
    /** As the provider reports them, opens and clicks by people only; null when not tracked (engagementTracking). */
    delivered: number | null;
    opened: number | null;
    clicked: number | null;
    /** Opens and clicks by machines (privacy proxies, link scanners): kept, left out of opened and clicked; null when not tracked. */
    opensLeftOut: number | null;
    clicksLeftOut: number | null;
    /** Unsubscribes whose last sequence email before was this step. */
    unsubscribed: number;
    /** Clicks on the consult booking page from this step; null when BOOKING_URL is unset or clicks are not tracked. */
    consultClicks: number | null;
  };

/** Each step of the running version with its numbers, in order. */
export async function sequenceOverview(
  stores: Stores,
  bookingUrl: string | undefined,
  tracking: Tracking,
  catalog: SequenceCatalog = SEQUENCE_VERSIONS,
  id: SequenceId = 'education',
): Promise<SequenceOverviewRow[]> {
  const { sequence } = await runningSequence(stores, catalog, id);
  const counts = await stores.sendQueue.stepCounts(id);
  const unsubscribes = await stores.subscribers.unsubscribesByStep(id);
  const flagged = tracking.tracked ? await stores.events.flaggedByStep(id) : [];
  // Compared as the webhook records clicked links: origin and path, without query or tokens.
  const page = bookingUrl && tracking.tracked ? linkWithoutTokens(bookingUrl) : undefined;
  const consult = page ? await stores.events.clicksOnPageByStep(page, id) : null;
  return sequence.steps.map((s) => {
    const c = counts.get(s.step) ?? { waiting: 0, sent: 0, delivered: 0, opened: 0, clicked: 0 };
    const leftOut = leftOutOf(flagged, s.step);
    const reported = (n: number) => (tracking.tracked ? n : null);
    return {
      step: s.step,
      dayOffset: s.dayOffset,
      templateId: s.templateId,
      subject: s.subject,
      preheader: s.preheader,
      ...c,
      delivered: reported(c.delivered),
      opened: reported(c.opened),
      clicked: reported(c.clicked),
      opensLeftOut: reported(leftOut.opens.total),
      clicksLeftOut: reported(leftOut.clicks.total),
      unsubscribed: unsubscribes.get(s.step) ?? 0,
      consultClicks: consult ? (consult.get(s.step) ?? 0) : null,
    };
  });
}

/** The reasons people gave for unsubscribing after one step (0: before its first email), by reason. */
export type LeavingReasonsRow = { step: number; subject: string | null; byReason: Record<UnsubscribeReason, number>; total: number };

/** The reasons given on the unsubscribe page, per step of the sequence that has any, in step order. */
export async function leavingReasonsByStep(stores: Stores, id: SequenceId = 'education', catalog: SequenceCatalog = SEQUENCE_VERSIONS): Promise<LeavingReasonsRow[]> {
  const { sequence } = await runningSequence(stores, catalog, id);
  const rows = new Map<number, LeavingReasonsRow>();
  for (const c of await stores.subscribers.unsubscribeReasons(id)) {
    const row = rows.get(c.step) ?? {
      step: c.step,
      subject: sequence.steps.find((s) => s.step === c.step)?.subject ?? null,
      byReason: Object.fromEntries(UNSUBSCRIBE_REASONS.map((r) => [r, 0])) as Record<UnsubscribeReason, number>,
      total: 0,
    };
    row.byReason[c.reason] += c.count;
    row.total += c.count;
    rows.set(c.step, row);
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}
