import { z } from 'zod';
import type { Stores } from '../../db/stores.js';
import type { DeliveryEventColumn, EventResult as StoredEventResult, SuppressionReason } from '../../db/types.js';
import { emailHash, normaliseEmail } from '../address.js';
import { linkWithoutTokens } from '../mail/links.js';
import { classifyEvent, type EventSignal } from './engagement-flags.js';

/** The envelope of every Resend webhook event. */
const ResendEventSchema = z.object({
  type: z.string().min(1).max(100),
  created_at: z.string().max(64).optional(),
  data: z.record(z.string(), z.unknown()),
});
export type ResendEvent = z.infer<typeof ResendEventSchema>;

export function parseResendEvent(json: unknown): ResendEvent | null {
  const parsed = ResendEventSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** What one event means for us; null for event types we do not track. */
export type EventEffect = { column: DeliveryEventColumn | null; suppress: SuppressionReason | null; detail: Record<string, unknown> };

function str(v: unknown, max = 200): string | undefined {
  return typeof v === 'string' ? v.slice(0, max) : undefined;
}

/**
 * Decides an event's effect. Only a hard bounce (Resend's bounce type
 * "Permanent") suppresses; a transient or undetermined one is only recorded.
 * Details keep no addresses or bounce texts (they often quote the address).
 */
export function eventEffect(event: ResendEvent): EventEffect | null {
  const data = event.data;
  switch (event.type) {
    case 'email.delivered':
      return { column: 'deliveredAt', suppress: null, detail: {} };
    case 'email.delivery_delayed':
      return { column: 'delayedAt', suppress: null, detail: {} };
    case 'email.opened':
      return { column: 'openedAt', suppress: null, detail: {} };
    case 'email.clicked': {
      const click = (data.click ?? {}) as Record<string, unknown>;
      return { column: 'clickedAt', suppress: null, detail: { link: linkWithoutTokens(click.link) } };
    }
    case 'email.bounced': {
      const bounce = (data.bounce ?? {}) as Record<string, unknown>;
      const hard = bounce.type === 'Permanent';
      return {
        column: hard ? 'bouncedAt' : null,
        suppress: hard ? 'bounced' : null,
        detail: { bounceType: str(bounce.type, 50), bounceSubType: str(bounce.subType, 50) },
      };
    }
    case 'email.complained':
      return { column: 'complainedAt', suppress: 'complained', detail: {} };
    case 'email.suppressed': {
      const suppressed = (data.suppressed ?? {}) as Record<string, unknown>;
      return { column: null, suppress: 'suppressed', detail: { suppressedType: str(suppressed.type, 50) } };
    }
    default:
      return null;
  }
}

export type EventResult = { outcome: 'ignored' } | StoredEventResult;

/**
 * Records one verified provider event. The event id (svix-id) is the primary
 * key, so a replay changes nothing. Timestamps on the delivery are set the
 * first time only; a suppressing event stops the address everywhere.
 */
export async function recordResendEvent(stores: Stores, secretKey: string, eventId: string, event: ResendEvent, receivedAt: number): Promise<EventResult> {
  const effect = eventEffect(event);
  if (!effect) return { outcome: 'ignored' };
  const signal = eventSignal(eventId, event, receivedAt);
  return stores.events.record({
    eventId,
    type: event.type,
    providerId: str(event.data.email_id, 100) ?? null,
    occurredAt: signal.occurredAt,
    receivedAt,
    detail: effect.detail,
    column: effect.column,
    suppress: effect.suppress,
    recipientHashes: effect.suppress ? recipientHashes(secretKey, event.data.to) : [],
    classify: (context) => classifyEvent(signal, context),
  });
}

/**
 * What the classifier reads of an event: when it happened (a click's own
 * `click.timestamp`, else the event's time), the link as it is recorded, and
 * the user agent of `data.click` (or of `data.open`, which Resend's open
 * events do not carry today). The user agent is not stored.
 */
export function eventSignal(eventId: string, event: ResendEvent, receivedAt: number): EventSignal {
  const part = event.type === 'email.clicked' ? event.data.click : event.type === 'email.opened' ? event.data.open : undefined;
  const own = part && typeof part === 'object' ? (part as Record<string, unknown>) : {};
  return {
    id: eventId,
    type: event.type,
    occurredAt: parseTime(own.timestamp) ?? parseTime(event.created_at) ?? parseTime(event.data.created_at) ?? receivedAt,
    link: linkWithoutTokens(own.link) ?? null,
    userAgent: str(own.userAgent, 500) ?? null,
  };
}

/** The keyed hashes of an event's `to` (used when the event matches no delivery of ours). */
function recipientHashes(secretKey: string, to: unknown): string[] {
  const list = Array.isArray(to) ? to : [to];
  const hashes = new Set<string>();
  for (const raw of list.slice(0, 50)) {
    const bare = typeof raw === 'string' ? (/<([^<>]+)>\s*$/.exec(raw)?.[1] ?? raw) : raw;
    const email = normaliseEmail(bare);
    if (email) hashes.add(emailHash(secretKey, email));
  }
  return [...hashes];
}

function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}
