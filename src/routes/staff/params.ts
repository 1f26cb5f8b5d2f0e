import type { Context } from 'hono';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../../../db/types.js';
import { isSubscriberStatus, MAX_QUERY_LENGTH } from '../../subscribers/directory.js';

/** Query and path values shared by the staff pages and the staff API, read the same way by both. */

/** A positive integer id from a path segment, or null (→ 400/404, never a 5xx). */
export function parseId(raw: string | undefined): number | null {
  if (!raw || !/^[1-9]\d{0,14}$/.test(raw)) return null;
  return Number(raw);
}

export type ListQuery = { q?: string; status?: SubscriberStatus; page: number };

/** ?q=&status=&page= of the subscriber list, or the reason it is bad. */
export function parseListQuery(c: Context): ListQuery | { error: string } {
  const q = c.req.query('q') ?? '';
  const status = c.req.query('status') ?? '';
  const pageRaw = c.req.query('page') ?? '1';
  if (q.length > MAX_QUERY_LENGTH) return { error: `q is at most ${MAX_QUERY_LENGTH} characters.` };
  if (status !== '' && !isSubscriberStatus(status)) return { error: `status is one of ${SUBSCRIBER_STATUSES.join(', ')}.` };
  if (!/^[1-9]\d{0,6}$/.test(pageRaw)) return { error: 'page is a whole number from 1.' };
  return { q: q.trim() || undefined, status: status === '' ? undefined : status, page: Number(pageRaw) };
}

/**
 * ?subscriber=ID of a preview: undefined when absent (sample data), null when
 * not a valid id, else the id.
 */
export function parseSubscriberParam(raw: string | undefined): number | null | undefined {
  if (raw === undefined || raw === '') return undefined;
  return parseId(raw);
}

export type AuditQueryParams = { page: number; subscriberId?: number };

/** ?page=&subscriber= of the audit log, or the reason it is bad. */
export function parseAuditQuery(c: Context): AuditQueryParams | { error: string } {
  const pageRaw = c.req.query('page') ?? '1';
  if (!/^[1-9]\d{0,6}$/.test(pageRaw)) return { error: 'page is a whole number from 1.' };
  const subscriber = parseSubscriberParam(c.req.query('subscriber'));
  if (subscriber === null) return { error: 'subscriber is a positive whole number.' };
  return { page: Number(pageRaw), ...(subscriber === undefined ? {} : { subscriberId: subscriber }) };
}
