import type { Stores } from '../db/stores.js';
import type { AuditEntry, AuditPage } from '../db/types.js';
import type { Clock } from './clock.js';

/** Every action the audit log records, with how pages name it. */
export const AUDIT_ACTIONS = {
  login: 'Logged in',
  logout: 'Logged out',
  'subscriber.converted': 'Marked converted',
  'subscriber.unsubscribed': 'Unsubscribed on their behalf',
  'subscriber.paused': 'Paused their emails',
  'subscriber.resumed': 'Resumed their emails',
  'subscriber.resent': 'Sent a step again',
  'subscriber.confirmation_resent': 'Sent the confirmation email again',
  'subscriber.address_corrected': 'Corrected their address',
  'subscriber.updated': 'Changed their details',
  'subscriber.enrolled': 'Started a sequence for them',
  'subscriber.left_sequence': 'Ended a sequence for them',
  'subscriber.erased': 'Erased personal data',
  'subscriber.exported': 'Downloaded the GDPR export',
  'subscribers.exported': 'Downloaded the CSV of all subscribers',
  'subscribers.imported': 'Imported a CSV file',
  'subscriber.imported': 'Added by a CSV import',
  'imports.rows_downloaded': 'Downloaded the rows to fix of an import',
  'subscriber.merged': 'Merged with a record of the same address in another spelling',
  'template.test_sent': 'Sent a test email',
  'batch.resolved': 'Decided a held batch',
  'sequence.published': 'Published a sequence version',
  'sending.resumed': 'Resumed sequence emails after a complaint pause',
  'account.added': 'Added a staff account',
  'account.disabled': 'Disabled a staff account',
  'account.enabled': 'Enabled a staff account',
  'account.password_changed': "Changed a staff account's password",
  'account.role_changed': "Changed a staff account's role",
} as const;
export type AuditAction = keyof typeof AUDIT_ACTIONS;
export const AUDIT_ACTION_NAMES = Object.keys(AUDIT_ACTIONS) as AuditAction[];

/** Logins and logouts, kept apart from what staff did (the audit page's two tabs). */
export const LOGIN_ACTIONS: readonly AuditAction[] = ['login', 'logout'];
export const AUDIT_KINDS = ['actions', 'logins'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/**
 * Which entries: `kind` picks staff's actions or the logins, `action` one
 * action, `actor` one name, `from` / `to` a time range (from inclusive,
 * to exclusive); `fromDay` / `toDay` are the days as staff gave them.
 */
export type AuditFilter = {
  subscriberId?: number;
  kind?: AuditKind;
  action?: AuditAction;
  actor?: string;
  from?: number;
  to?: number;
  fromDay?: string;
  toDay?: string;
};

export const AUDIT_PAGE_SIZE = 50;

/**
 * Records who did what (to which subscriber). Details name templates,
 * decisions and counts, never a subscriber's personal data, so an erasure
 * need not touch the log.
 */
export async function recordAudit(
  deps: { stores: Stores; clock: Clock },
  actor: string,
  action: AuditAction,
  subscriberId: number | null = null,
  detail: Record<string, unknown> | null = null,
): Promise<void> {
  await deps.stores.staff.audit({ at: deps.clock.now(), actor, action, subscriberId, detail });
}

export function auditLog(stores: Stores, query: AuditFilter & { page?: number }): Promise<AuditPage> {
  const { subscriberId, kind, action, actor, from, to } = query;
  const logins = kind === 'logins' ? LOGIN_ACTIONS : undefined;
  const actions = action ? (logins && !logins.includes(action) ? [] : [action]) : logins;
  return stores.staff.auditLog({
    ...(subscriberId === undefined ? {} : { subscriberId }),
    ...(actions ? { actions } : {}),
    ...(kind === 'actions' ? { exceptActions: LOGIN_ACTIONS } : {}),
    ...(actor === undefined ? {} : { actor }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    page: query.page ?? 1,
    pageSize: AUDIT_PAGE_SIZE,
  });
}

/** The page of a query no entry can match. */
export const EMPTY_AUDIT_PAGE: AuditPage = { items: [], page: 1, pageSize: AUDIT_PAGE_SIZE, total: 0, pageCount: 1 };

/** Every name that acted in the audit log, for choosing one. */
export function auditActors(stores: Stores): Promise<string[]> {
  return stores.staff.auditActors();
}

/** The newest entries about one person, as many as a history shows. */
export const AUDIT_TRAIL_LIMIT = 500;

/** The audit entries about one person, newest first (at most AUDIT_TRAIL_LIMIT). */
export async function auditTrailOf(stores: Stores, subscriberId: number): Promise<AuditEntry[]> {
  return (await stores.staff.auditLog({ subscriberId, page: 1, pageSize: AUDIT_TRAIL_LIMIT })).items;
}

export function describeAction(action: string): string {
  return (AUDIT_ACTIONS as Record<string, string>)[action] ?? action;
}

export type { AuditEntry, AuditPage };
