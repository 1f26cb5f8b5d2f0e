import type { SequenceId } from '../../db/types.js';
/**
 * Whether delivered, open and click figures mean anything with the
 * configured transport, and how many opens and clicks machines made (kept,
 * flagged by src/subscribers/engagement-flags.ts, left out of the rates).
 */
import type { Stores } from '../../db/stores.js';
import { EVENT_FLAG_REASONS, type EventFlag, type EventFlagReason, type FlaggedEventCount } from '../../db/types.js';
import type { Config } from '../config.js';

/**
 * Only the provider reports deliveries, opens and clicks, and only through
 * the webhook: the outbox delivers to nobody, and Resend without a webhook
 * secret is heard from by nobody (its webhook route answers 503).
 */
export type Tracking = { tracked: boolean; transport: 'outbox' | 'resend'; note: string };

export function engagementTracking(config: Pick<Config, 'resendApiKey' | 'resendWebhookSecret'>): Tracking {
  if (!config.resendApiKey) {
    return { tracked: false, transport: 'outbox', note: 'without RESEND_API_KEY every email is written to the outbox, where nobody receives, opens or clicks it.' };
  }
  if (!config.resendWebhookSecret) {
    return { tracked: false, transport: 'resend', note: "RESEND_WEBHOOK_SECRET is not set, so Resend's delivered, open and click events are not received." };
  }
  return {
    tracked: true,
    transport: 'resend',
    note: 'as Resend reports them through the webhook; opens and clicks only when open and click tracking is on for the sending domain in Resend.',
  };
}

/** Opens or clicks left out of the rates: how many, and why. */
export type LeftOut = { total: number; byReason: Record<EventFlagReason, number> };
export type LeftOutSummary = { opens: LeftOut; clicks: LeftOut };

/** Who made a flagged event, as staff read it. */
export const FLAG_LABELS: Record<EventFlag, string> = { link_scanner: 'link scanner', privacy_proxy: 'mail-privacy proxy' };

/** Each reason as it reads after a count ("2 less than 10 s after delivery"). */
export const LEFT_OUT_REASONS: Record<EventFlagReason, string> = {
  scanner_user_agent: "by a scanner's user agent",
  proxy_user_agent: "by a privacy proxy's user agent",
  soon_after_delivery: 'less than 10 s after delivery',
  all_links_at_once: 'among several links clicked within 5 s',
};

function emptyLeftOut(): LeftOut {
  return { total: 0, byReason: Object.fromEntries(EVENT_FLAG_REASONS.map((r) => [r, 0])) as Record<EventFlagReason, number> };
}

/** The flagged events counted into opens and clicks (per step when `step` is given). */
export function leftOutOf(flagged: readonly FlaggedEventCount[], step?: number): LeftOutSummary {
  const out = { opens: emptyLeftOut(), clicks: emptyLeftOut() };
  for (const row of flagged) {
    if (step !== undefined && row.step !== step) continue;
    const into = row.type === 'email.opened' ? out.opens : row.type === 'email.clicked' ? out.clicks : null;
    if (!into) continue;
    into.total += row.count;
    into.byReason[row.reason] += row.count;
  }
  return out;
}

/** Sequence emails over all steps: sent, what people did with them (null: not tracked), what machines did, who left after one. */
export type EngagementSummary = {
  tracking: Tracking;
  sent: number;
  delivered: number | null;
  opened: number | null;
  clicked: number | null;
  leftOut: LeftOutSummary | null;
  /** Unsubscribes that followed a sequence email. */
  unsubscribed: number;
};

export async function engagementSummary(stores: Stores, config: Pick<Config, 'resendApiKey' | 'resendWebhookSecret'>, id: SequenceId = 'education'): Promise<EngagementSummary> {
  const tracking = engagementTracking(config);
  const [counts, unsubscribes, flagged] = await Promise.all([stores.sendQueue.stepCounts(id), stores.subscribers.unsubscribesByStep(id), tracking.tracked ? stores.events.flaggedByStep(id) : []]);
  const sum = (pick: (c: { sent: number; delivered: number; opened: number; clicked: number }) => number) => [...counts.values()].reduce((n, c) => n + pick(c), 0);
  return {
    tracking,
    sent: sum((c) => c.sent),
    delivered: tracking.tracked ? sum((c) => c.delivered) : null,
    opened: tracking.tracked ? sum((c) => c.opened) : null,
    clicked: tracking.tracked ? sum((c) => c.clicked) : null,
    leftOut: tracking.tracked ? leftOutOf(flagged) : null,
    unsubscribed: [...unsubscribes.values()].reduce((n, u) => n + u, 0),
  };
}

/** "3 clicks by link scanners left out (2 by a scanner's user agent, 1 less than 10 s after delivery)". */
export function leftOutSentence(count: LeftOut, what: 'opens' | 'clicks'): string {
  const noun = what === 'opens' ? (count.total === 1 ? 'open by a mail-privacy proxy' : 'opens by mail-privacy proxies') : count.total === 1 ? 'click by a link scanner' : 'clicks by link scanners';
  const reasons = EVENT_FLAG_REASONS.filter((r) => count.byReason[r] > 0).map((r) => `${count.byReason[r]} ${LEFT_OUT_REASONS[r]}`);
  return `${count.total} ${noun} left out${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
}
