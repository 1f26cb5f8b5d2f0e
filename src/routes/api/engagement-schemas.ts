import { z } from 'zod';
import { EVENT_FLAG_REASONS } from '../../../db/types.js';

const count = z.int().nonnegative();

export const TrackingSchema = z
  .object({ tracked: z.boolean(), transport: z.enum(['outbox', 'resend']), note: z.string().meta({ description: 'Why (not) tracked, as the pages say it.' }) })
  .meta({ id: 'Tracking', description: 'Whether delivered, opened and clicked can be known with this transport.' });

const LeftOut = z.object({ total: count, byReason: z.record(z.enum(EVENT_FLAG_REASONS), count) });

export const LeftOutSchema = z
  .object({ opens: LeftOut, clicks: LeftOut })
  .nullable()
  .meta({ id: 'LeftOut', description: 'Opens and clicks by machines (privacy proxies, link scanners): kept but left out of the rates; null when not tracked.' });

/** Sequence emails over all time; delivered, opened and clicked are null when not tracked. */
export const EngagementTotals = z.object({ sent: count, delivered: count.nullable(), opened: count.nullable(), clicked: count.nullable(), unsubscribed: count.meta({ description: 'Unsubscribes that followed a sequence email.' }) });

export const EngagementSchema = EngagementTotals.extend({ tracking: TrackingSchema, leftOut: LeftOutSchema }).meta({ id: 'Engagement' });
