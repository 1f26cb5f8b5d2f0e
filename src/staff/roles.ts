import { STAFF_ROLES, type StaffRole } from '../../db/types.js';

export { STAFF_ROLES, type StaffRole } from '../../db/types.js';

/** Each role can do everything the ones before it can: viewer reads, editor acts on subscribers, admin erases, exports and audits. */
export function hasRole(role: StaffRole, needed: StaffRole): boolean {
  return STAFF_ROLES.indexOf(role) >= STAFF_ROLES.indexOf(needed);
}

export function isRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}

/** Who is acting: an enabled account, signed in by session cookie or HTTP basic auth. */
/** `timezone`: the account's zone for the times staff pages show (null: DEFAULT_TIMEZONE). */
export type StaffActor = { name: string; role: StaffRole; sessionHash: string | null; timezone: string | null };
