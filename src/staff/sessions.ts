import crypto from 'node:crypto';
import type { Stores } from '../../db/stores.js';
import type { StaffAccount } from '../../db/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { ACCOUNT_NAME } from './accounts.js';
import { hashPassword, verifyPassword } from './password.js';
import type { StaffActor } from './roles.js';

type Deps = { stores: Stores; clock: Clock; logger: Logger };

/** A session lasts 12 hours from its last use, and never more than 7 days. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
// A session's last use is written at most once a minute, not on every request.
const TOUCH_EVERY_MS = 60_000;

/**
 * Failed logins are counted per account name and per client address over a
 * window; past the free attempts each further failure doubles the wait
 * (2 s, 4 s, ... up to 15 minutes). A client behind a shared address gets more
 * free attempts than a single account.
 */
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;
const FREE_FAILURES = { name: 5, ip: 20 } as const;
const MAX_WAIT_MS = 15 * 60 * 1000;

/** The longest password checked (scrypt's cost grows with the input). */
export const MAX_PASSWORD_LENGTH = 1024;

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** The keys a login attempt is counted under. */
function failureKeys(name: string, ip: string | null): { name: string; ip: string } {
  return { name: `name:${name}`, ip: `ip:${ip ?? 'unknown'}` };
}

/** Milliseconds to wait before the next attempt under these counts (0: go ahead). */
export function loginWait(failures: { key: string; failures: number; lastAt: number }[], now: number): number {
  let until = 0;
  for (const f of failures) {
    const free = f.key.startsWith('ip:') ? FREE_FAILURES.ip : FREE_FAILURES.name;
    if (f.failures < free) continue;
    until = Math.max(until, f.lastAt + Math.min(MAX_WAIT_MS, 1000 * 2 ** (f.failures - free + 1)));
  }
  return Math.max(0, until - now);
}

// Checked when the name is unknown, so a refusal takes as long either way and does not reveal which names exist.
let decoy: Promise<string> | undefined;

export type Credentials = { name: string; password: string; ip: string | null };
export type CheckResult = { ok: true; account: StaffAccount } | { ok: false; reason: 'refused' } | { ok: false; reason: 'throttled'; retryAfterMs: number };

/** Checks a name and password, slowing down repeated failures (counted in the database, so every server agrees). */
export async function checkCredentials(deps: Deps, { name, password, ip }: Credentials): Promise<CheckResult> {
  const now = deps.clock.now();
  const cleanName = name.trim().toLowerCase();
  const keys = failureKeys(ACCOUNT_NAME.test(cleanName) ? cleanName : '(invalid)', ip);
  const wait = loginWait(await deps.stores.staff.loginFailures([keys.name, keys.ip], now, FAILURE_WINDOW_MS), now);
  if (wait > 0) {
    deps.logger.warn({ name: cleanName.slice(0, 40), ip, retryAfterMs: wait }, 'staff login refused: too many failures');
    return { ok: false, reason: 'throttled', retryAfterMs: wait };
  }
  const account = ACCOUNT_NAME.test(cleanName) && password.length <= MAX_PASSWORD_LENGTH ? await deps.stores.staff.account(cleanName) : undefined;
  const valid = account ? await verifyPassword(password, account.passwordHash) : await verifyPassword(password, await (decoy ??= hashPassword(crypto.randomBytes(16).toString('hex'))));
  if (account && valid && account.disabledAt === null) {
    await deps.stores.staff.clearLoginFailures([keys.name]);
    return { ok: true, account };
  }
  const counts = await deps.stores.staff.recordLoginFailure([keys.name, keys.ip], now, FAILURE_WINDOW_MS);
  const failures = Object.fromEntries(counts.map((c) => [c.key, c.failures]));
  deps.logger.warn(
    { name: cleanName.slice(0, 40), ip, known: Boolean(account), disabled: Boolean(account?.disabledAt), failuresForName: failures[keys.name], failuresFromIp: failures[keys.ip] },
    'staff login failed',
  );
  return { ok: false, reason: 'refused' };
}

/** Opens a session; the token goes in the cookie, only its hash in the database. */
export async function openSession(deps: Deps, account: StaffAccount): Promise<string> {
  const token = crypto.randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  await deps.stores.staff.createSession({ tokenHash: hashToken(token), accountId: account.id, createdAt: now, expiresAt: now + SESSION_IDLE_MS });
  deps.logger.info({ name: account.name, role: account.role }, 'staff login');
  return token;
}

/** The actor of a session cookie, or null when the session is unknown, expired or its account disabled. */
export async function sessionActor(deps: Deps, token: string): Promise<StaffActor | null> {
  if (token.length > 100) return null;
  const tokenHash = hashToken(token);
  const now = deps.clock.now();
  const session = await deps.stores.staff.session(tokenHash, now);
  if (!session) return null;
  if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
    await deps.stores.staff.touchSession(tokenHash, now, Math.min(session.createdAt + SESSION_MAX_MS, now + SESSION_IDLE_MS));
  }
  return { name: session.account.name, role: session.account.role, sessionHash: tokenHash };
}

export async function closeSession(deps: Deps, sessionHash: string): Promise<void> {
  await deps.stores.staff.deleteSession(sessionHash);
}
