import type { Stores } from '../../db/stores.js';
import type { SetRoleOutcome, StaffAccount } from '../../db/types.js';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';
import type { StaffRole } from './roles.js';

/** The first admin, whose password is STAFF_PASSWORD (or one generated when the account is made). */
export const FIRST_ADMIN = 'staff';

/** Lower-case letters, digits, dot, dash and underscore: safe in a log line, a URL and basic auth (no colon). */
export const ACCOUNT_NAME = /^[a-z0-9][a-z0-9._-]{0,39}$/;
export const ACCOUNT_NAME_HINT = '1 to 40 lower-case letters, digits, ".", "-" or "_", starting with a letter or digit';

/** The actor of changes made from the command line; not a valid account name, so never confused with one. */
export const CLI_ACTOR = '(command line)';

export type FirstAdmin = { account: StaffAccount; generatedPassword: string | null };

/**
 * Makes the admin `staff`. With STAFF_PASSWORD (`password`) that is its
 * password: an unchanged one is left alone, so servers sharing a database do
 * not rewrite it at every start; a changed one ends its sessions. Without,
 * a password is generated only when the account is made (returned, to be
 * shown once) and kept at later starts. Either way `staff` is an admin.
 */
export async function ensureFirstAdmin(deps: { stores: Stores; clock: Clock }, password: string | undefined): Promise<FirstAdmin> {
  const { staff } = deps.stores;
  let existing = await staff.account(FIRST_ADMIN);
  if (!existing) {
    const chosen = password ?? generatePassword();
    const made = await staff.addAccount({ name: FIRST_ADMIN, role: 'admin', passwordHash: await hashPassword(chosen), now: deps.clock.now() });
    // Another server starting at the same moment made it first: its password stands, ours is never shown.
    if (made) return { account: made, generatedPassword: password === undefined ? chosen : null };
    existing = (await staff.account(FIRST_ADMIN))!;
  }
  if (password !== undefined && !(await verifyPassword(password, existing.passwordHash))) {
    await staff.setPassword(FIRST_ADMIN, await hashPassword(password), deps.clock.now());
  }
  if (existing.role !== 'admin') await staff.setRole(FIRST_ADMIN, 'admin', deps.clock.now());
  return { account: (await staff.account(FIRST_ADMIN))!, generatedPassword: null };
}

export type AddAccountResult = { ok: true; account: StaffAccount; password: string } | { ok: false; reason: 'name_taken' };

/** Adds an account with a generated password, which is returned (to be shown once) and stored only hashed. */
export async function addAccount(deps: { stores: Stores; clock: Clock }, name: string, role: StaffRole, actor: string): Promise<AddAccountResult> {
  const password = generatePassword();
  const account = await deps.stores.staff.addAccount({ name, role, passwordHash: await hashPassword(password), now: deps.clock.now() });
  if (!account) return { ok: false, reason: 'name_taken' };
  await recordAudit(deps, actor, 'account.added', null, { account: name, role });
  return { ok: true, account, password };
}

export type SetDisabledResult = { ok: true } | { ok: false; reason: 'not_found' | 'last_admin' };

/**
 * Disables (ending its sessions) or enables an account. The last enabled
 * admin is never disabled: nobody could then manage accounts or erase.
 */
export async function setAccountDisabled(deps: { stores: Stores; clock: Clock }, name: string, disabled: boolean, actor: string): Promise<SetDisabledResult> {
  if (disabled) {
    const accounts = await deps.stores.staff.accounts();
    const target = accounts.find((a) => a.name === name);
    const admins = accounts.filter((a) => a.role === 'admin' && a.disabledAt === null);
    if (target?.role === 'admin' && target.disabledAt === null && admins.length === 1) return { ok: false, reason: 'last_admin' };
  }
  const done = await deps.stores.staff.setDisabled(name, disabled, deps.clock.now());
  if (!done) return { ok: false, reason: 'not_found' };
  await recordAudit(deps, actor, disabled ? 'account.disabled' : 'account.enabled', null, { account: name });
  return { ok: true };
}

export type ChangePasswordResult = { ok: true; password: string } | { ok: false; reason: 'not_found' };

/** Gives an account a new generated password, returned to be shown once; its sessions end. */
export async function changePassword(deps: { stores: Stores; clock: Clock }, name: string, actor: string): Promise<ChangePasswordResult> {
  const password = generatePassword();
  if (!(await deps.stores.staff.setPassword(name, await hashPassword(password), deps.clock.now()))) return { ok: false, reason: 'not_found' };
  await recordAudit(deps, actor, 'account.password_changed', null, { account: name });
  return { ok: true, password };
}

/** Changes an account's role (audited), unless that would leave no enabled admin. */
export async function setAccountRole(deps: { stores: Stores; clock: Clock }, name: string, role: StaffRole, actor: string): Promise<SetRoleOutcome> {
  const r = await deps.stores.staff.setRole(name, role, deps.clock.now());
  if (r.ok) await recordAudit(deps, actor, 'account.role_changed', null, { account: name, from: r.from, to: role });
  return r;
}
