import crypto from 'node:crypto';
import type { Stores } from '../../db/stores.js';
import type { StaffAccount } from '../../db/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { ACCOUNT_NAME } from './accounts.js';
import { hashPassword } from './password.js';
import { defaultPasswordCheck, LOGIN_WINDOW_MS, loginKeys, loginWait, type PasswordCheck } from './throttle.js';
import type { StaffActor } from './roles.js';

type Deps = { stores: Stores; clock: Clock; logger: Logger; passwordCheck?: PasswordCheck };

/** A session lasts 12 hours from its last use, and never more than 7 days. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
// A session's last use is written at most once a minute, not on every request.
const TOUCH_EVERY_MS = 60_000;

/** The longest password checked (scrypt's cost grows with the input). */
export const MAX_PASSWORD_LENGTH = 1024;

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

// Checked when the name is unknown, so a refusal takes as long either way and does not reveal which names exist.
let decoy: Promise<string> | undefined;

export type Credentials = { name: string; password: string; ip: string | null };
export type CheckResult =
  | { ok: true; account: StaffAccount }
  | { ok: false; reason: 'refused' }
  | { ok: false; reason: 'throttled'; retryAfterMs: number }
  /** This process is checking as many passwords as it will; nothing was counted. */
  | { ok: false; reason: 'busy'; retryAfterMs: number };

const BUSY_RETRY_MS = 1000;

// Attempts in flight per app (its stores), by a keyed hash of name, client and password.
const flights = new WeakMap<object, Map<string, Promise<CheckResult>>>();
const flightKey = crypto.randomBytes(32);

/**
 * Checks a name and password, slowing down repeated failures (see
 * throttle.ts). The same name and password from the same client while one
 * is being checked waits for that check: a script's requests at once share
 * one success; after anything else each is decided on its own.
 */
export async function checkCredentials(deps: Deps, credentials: Credentials): Promise<CheckResult> {
  let mine = flights.get(deps.stores);
  if (!mine) flights.set(deps.stores, (mine = new Map()));
  const id = crypto.createHmac('sha256', flightKey).update(`${credentials.name}\0${credentials.ip ?? ''}\0${credentials.password}`).digest('base64url');
  const running = mine.get(id);
  if (running) {
    const shared = await running;
    if (shared.ok) return shared;
    return attempt(deps, credentials);
  }
  const flight = attempt(deps, credentials);
  mine.set(id, flight);
  try {
    return await flight;
  } finally {
    mine.delete(id);
  }
}

async function attempt(deps: Deps, { name, password, ip }: Credentials): Promise<CheckResult> {
  const now = deps.clock.now();
  const cleanName = name.trim().toLowerCase();
  const validName = ACCOUNT_NAME.test(cleanName);
  const keys = loginKeys(validName ? cleanName : '(invalid)', ip);
  const all = [keys.pair, keys.client, keys.account];
  // Counted before the password is checked, so attempts sent at once see each other.
  const reservation = await deps.stores.staff.reserveLoginAttempt(all, now, LOGIN_WINDOW_MS, loginWait);
  if (!reservation.ok) {
    deps.logger.warn({ name: cleanName.slice(0, 40), ip, retryAfterMs: reservation.retryAfterMs }, 'staff login refused: too many failures');
    return { ok: false, reason: 'throttled', retryAfterMs: reservation.retryAfterMs };
  }
  const account = validName && password.length <= MAX_PASSWORD_LENGTH ? await deps.stores.staff.account(cleanName) : undefined;
  const check = deps.passwordCheck ?? defaultPasswordCheck;
  const matches = await check(password, account ? account.passwordHash : await (decoy ??= hashPassword(crypto.randomBytes(16).toString('hex'))));
  if (matches === 'busy') {
    await deps.stores.staff.releaseLoginAttempt({ clear: [], refund: all });
    deps.logger.warn({ name: cleanName.slice(0, 40), ip }, 'staff login refused: too many password checks at once');
    return { ok: false, reason: 'busy', retryAfterMs: BUSY_RETRY_MS };
  }
  if (account && matches && account.disabledAt === null) {
    await deps.stores.staff.releaseLoginAttempt({ clear: [keys.pair], refund: [keys.client, keys.account] });
    return { ok: true, account };
  }
  const failures = Object.fromEntries(reservation.counts.map((c) => [c.key, c.failures]));
  deps.logger.warn(
    {
      name: cleanName.slice(0, 40),
      ip,
      known: Boolean(account),
      disabled: Boolean(account?.disabledAt),
      failuresForName: failures[keys.account],
      failuresFromIp: failures[keys.client],
      failuresForNameFromIp: failures[keys.pair],
    },
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
  return { name: session.account.name, role: session.account.role, sessionHash: tokenHash, timezone: session.account.timezone };
}

export async function closeSession(deps: Deps, sessionHash: string): Promise<void> {
  await deps.stores.staff.deleteSession(sessionHash);
}
