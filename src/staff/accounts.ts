import type { Stores } from '../../db/stores.js';
import type { StaffAccount } from '../../db/types.js';
import type { Clock } from '../clock.js';
import { recordAudit } from './audit.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';
import type { StaffRole } from './roles.js';

/** The first admin, whose password is STAFF_PASSWORD (or the one generated at start). */
export const FIRST_ADMIN = 'staff';

/** Lower-case letters, digits, dot, dash and underscore: safe in a log line, a URL and basic auth (no colon). */
export const ACCOUNT_NAME = /^[a-z0-9][a-z0-9._-]{0,39}$/;
export const ACCOUNT_NAME_HINT = '1 to 40 lower-case letters, digits, ".", "-" or "_", starting with a letter or digit';

/** The actor of changes made from the command line; not a valid account name, so never confused with one. */
export const CLI_ACTOR = '(command line)';

/**
 * Makes STAFF_PASSWORD the password of the admin `staff`, creating the
 * account on first start. An unchanged password is left alone, so servers
 * sharing a database do not rewrite it at every start.
 */
export async function ensureFirstAdmin(deps: { stores: Stores; clock: Clock }, password: string): Promise<StaffAccount> {
  const existing = await deps.stores.staff.account(FIRST_ADMIN);
  if (existing && existing.role === 'admin' && (await verifyPassword(password, existing.passwordHash))) return existing;
  return deps.stores.staff.putAccount({ name: FIRST_ADMIN, role: 'admin', passwordHash: await hashPassword(password), now: deps.clock.now() });
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

/** Disables (ending its sessions) or enables an account; false when there is no such account. */
export async function setAccountDisabled(deps: { stores: Stores; clock: Clock }, name: string, disabled: boolean, actor: string): Promise<boolean> {
  const done = await deps.stores.staff.setDisabled(name, disabled, deps.clock.now());
  if (done) await recordAudit(deps, actor, disabled ? 'account.disabled' : 'account.enabled', null, { account: name });
  return done;
}
