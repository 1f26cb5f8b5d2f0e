import type { Context } from 'hono';
import { z } from 'zod';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../../../db/types.js';
import { MAX_QUERY_LENGTH } from '../../subscribers/directory.js';
import { describeIssues } from '../errors.js';

/**
 * Query and path values shared by the staff pages and the staff API, read the
 * same way by both: the API validates (and documents) them with these
 * schemas, the pages through the parse functions below.
 */

const ID_PATTERN = /^[1-9]\d{0,14}$/;

/** A positive integer id from a path segment, or null (→ 400/404, never a 5xx). */
export function parseId(raw: string | undefined): number | null {
  if (!raw || !ID_PATTERN.test(raw)) return null;
  return Number(raw);
}

/** The path parameters of a route on one `what` (subscriber, batch): its id, as a number. */
export function idParams(what: string) {
  return z.object({
    id: z
      .string()
      .regex(ID_PATTERN, `a ${what} id is a positive whole number`)
      .transform(Number)
      .meta({ description: `The ${what}'s id.`, example: '12' }),
  });
}

const page = z
  .string()
  .regex(/^[1-9]\d{0,6}$/, 'a whole number from 1')
  .default('1')
  .transform(Number)
  .meta({ description: 'The page, from 1 (past the last page: the last page).' });

/** A subscriber id in a query; empty or absent is none. */
const subscriberQuery = z
  .string()
  .regex(/^(?:[1-9]\d{0,14})?$/, 'a subscriber id is a positive whole number')
  .optional()
  .transform((v) => (v ? Number(v) : undefined));

export const SubscriberListQuery = z.object({
  q: z
    .string()
    .max(MAX_QUERY_LENGTH, `at most ${MAX_QUERY_LENGTH} characters`)
    .optional()
    .transform((v) => v?.trim() || undefined)
    .meta({ description: 'Part of an address or first name, case-insensitive.' }),
  status: z
    .enum(['', ...SUBSCRIBER_STATUSES], `one of ${SUBSCRIBER_STATUSES.join(', ')}`)
    .optional()
    .transform((v): SubscriberStatus | undefined => v || undefined)
    .meta({ description: 'Only subscribers in this status (empty: every status).' }),
  paused: z
    .enum(['', 'true', 'false'], 'true or false')
    .optional()
    .transform((v) => v === 'true')
    .meta({ description: 'true: only people receiving the series who paused it (a pause still running).' }),
  page,
});
export type ListQuery = z.output<typeof SubscriberListQuery>;

/** ?q=&status=&page= of the subscriber list, or the reason it is bad. */
export function parseListQuery(c: Context): ListQuery | { error: string } {
  const parsed = SubscriberListQuery.safeParse(c.req.query());
  return parsed.success ? parsed.data : { error: describeIssues(parsed.error.issues, 'query') };
}

/** ?subscriber=ID of a preview: the subscriber to render it for (absent or empty: sample data). */
export const PreviewQuery = z.object({
  subscriber: subscriberQuery.meta({ description: 'Render with this subscriber’s data instead of the sample.' }),
});

/**
 * ?subscriber=ID of a preview: undefined when absent (sample data), null when
 * not a valid id, else the id.
 */
export function parseSubscriberParam(raw: string | undefined): number | null | undefined {
  const parsed = subscriberQuery.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

export const AuditListQuery = z.object({
  page,
  subscriber: subscriberQuery.meta({ description: 'Only the entries about this subscriber.' }),
});

export type AuditQueryParams = { page: number; subscriberId?: number };

/** ?page=&subscriber= of the audit log, or the reason it is bad. */
export function parseAuditQuery(c: Context): AuditQueryParams | { error: string } {
  const parsed = AuditListQuery.safeParse(c.req.query());
  if (!parsed.success) return { error: describeIssues(parsed.error.issues, 'query') };
  const { page, subscriber } = parsed.data;
  return { page, ...(subscriber === undefined ? {} : { subscriberId: subscriber }) };
}
