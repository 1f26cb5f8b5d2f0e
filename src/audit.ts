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

export function auditLog(stores: Stores, query: { subscriberId?: number; page?: number }): Promise<AuditPage> {
  return stores.staff.auditLog({ ...query, page: query.page ?? 1, pageSize: AUDIT_PAGE_SIZE });
}

export function describeAction(action: string): string {
  return (AUDIT_ACTIONS as Record<string, string>)[action] ?? action;
}

export type { AuditEntry, AuditPage };
