import type { Context } from 'hono';
import { z } from 'zod';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../../../db/types.js';
import { AUDIT_ACTION_NAMES, AUDIT_KINDS, type AuditAction, type AuditFilter, type AuditKind } from '../../audit.js';
import { isValidTimeZone } from '../../env.js';
import type { Stores } from '../../../db/stores.js';
import { MAX_QUERY_LENGTH, subscriberWithAddress } from '../../subscribers/directory.js';
import { startOfLocalDay } from '../../subscribers/funnel.js';
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

/** YYYY-MM-DD, a real calendar date. */
function isCalendarDate(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;
}

/** An optional text value: empty or blank is none. */
const optionalText = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .optional()
    .transform((v) => v?.trim() || undefined);

const localDay = (which: string) =>
  optionalText(10)
    .refine((v) => v === undefined || isCalendarDate(v), 'a date as YYYY-MM-DD, e.g. 2026-03-02')
    .meta({ description: `${which} (a date, YYYY-MM-DD, read in \`tz\`).`, example: '2026-03-02' });

/** A person in an audit query: their id, or their address (any spelling). */
const personQuery = z
  .string()
  .max(MAX_QUERY_LENGTH, `at most ${MAX_QUERY_LENGTH} characters`)
  .optional()
  .transform((v) => v?.trim().replace(/^#/, '') || undefined)
  .refine((v) => v === undefined || /^[1-9]\d{0,14}$/.test(v) || v.includes('@'), 'a subscriber id (a positive whole number) or an address')
  .transform((v) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v));

export const AuditListQuery = z
  .object({
    page,
    subscriber: personQuery.meta({ description: 'Only the entries about this subscriber: their id, or their address in any spelling.', example: '12' }),
    kind: z
      .enum(['', ...AUDIT_KINDS], `one of ${AUDIT_KINDS.join(', ')}`)
      .optional()
      .transform((v): AuditKind | undefined => v || undefined)
      .meta({ description: '`logins`: logins and logouts only; `actions`: everything else; absent: both.' }),
    action: z
      .enum(['', ...AUDIT_ACTION_NAMES], 'one of the actions the audit log records')
      .optional()
      .transform((v): AuditAction | undefined => v || undefined)
      .meta({ description: `Only this action: ${AUDIT_ACTION_NAMES.join(', ')}.` }),
    staff: optionalText(100).meta({ description: 'Only what this staff account (or `system`, `(command line)`) did.' }),
    from: localDay('The first day'),
    to: localDay('The last day, included'),
    tz: optionalText(64)
      .refine((v) => v === undefined || isValidTimeZone(v), 'an IANA time zone such as America/New_York')
      .meta({ description: 'The time zone `from` and `to` are read in (default: DEFAULT_TIMEZONE).', example: 'America/New_York' }),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'the first day (from) comes after the last day (to)', path: ['from'] });

/** `address`: the person was named by address, to be found (`subscriberId` then unset). */
export type AuditQueryParams = AuditFilter & { page: number; zone: string; kind?: AuditKind; address?: string };

/** The audit log's filters read: dates in the zone the query names (or `defaultZone`). */
export function auditQueryOf(q: z.output<typeof AuditListQuery>, defaultZone: string): AuditQueryParams {
  const zone = q.tz ?? defaultZone;
  return {
    page: q.page,
    zone,
    ...(q.kind ? { kind: q.kind } : {}),
    ...(typeof q.subscriber === 'number' ? { subscriberId: q.subscriber } : typeof q.subscriber === 'string' ? { address: q.subscriber } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.staff ? { actor: q.staff } : {}),
    ...(q.from ? { from: startOfLocalDay(q.from, zone), fromDay: q.from } : {}),
    ...(q.to ? { to: startOfLocalDay(nextDay(q.to), zone), toDay: q.to } : {}),
  };
}

/** The query with a person named by address found by it; null when nobody has that address (no entry can match). */
export async function withPersonFound(stores: Stores, q: AuditQueryParams): Promise<AuditQueryParams | null> {
  if (q.address === undefined) return q;
  const id = await subscriberWithAddress(stores, q.address);
  return id === null ? null : { ...q, subscriberId: id };
}

/** The calendar day after a YYYY-MM-DD date. */
function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The audit log's query of a page, or the reason it is bad. */
export function parseAuditQuery(c: Context, defaultZone: string): AuditQueryParams | { error: string } {
  const parsed = AuditListQuery.safeParse(c.req.query());
  if (!parsed.success) return { error: describeIssues(parsed.error.issues, 'query') };
  return auditQueryOf(parsed.data, defaultZone);
}
