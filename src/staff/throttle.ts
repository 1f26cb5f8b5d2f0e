/**
 * How staff logins are slowed down. Every attempt is reserved in the
 * database (shared by every server) before its password is checked, under
 * three keys:
 * - the account from this client: a few free failures, then each further one
 *   waits twice as long (2 s, 4 s, ... up to 15 minutes);
 * - the client, over any accounts: the same, with a few more free failures;
 * - the account alone, from anywhere: many free failures, then the same
 *   doubling but never more than a minute, so guessing from many clients
 *   stays slow while no one client can keep the owner out for longer.
 * A reserved attempt counts as a failure until it succeeds, so a burst sent
 * at once is refused after the free ones rather than checked in full.
 */
import type { DecideLoginWait, LoginFailure } from '../../db/types.js';
import { clientKey } from '../rate-limit.js';
import { verifyPassword } from './password.js';

/** Counts run over a window of this long from a key's first attempt. */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

const RULES = {
  pair: { free: 5, maxWaitMs: 15 * 60 * 1000 },
  client: { free: 10, maxWaitMs: 15 * 60 * 1000 },
  account: { free: 20, maxWaitMs: 60 * 1000 },
} as const;
type KeyKind = keyof typeof RULES;

const PREFIX: Record<KeyKind, string> = { pair: 'pair:', client: 'ip:', account: 'name:' };

export type LoginKeys = Record<KeyKind, string>;

/** The keys an attempt on `name` (a valid account name, or a stand-in for an invalid one) from `ip` is counted under; IPv6 by its /64. */
export function loginKeys(name: string, ip: string | null): LoginKeys {
  const client = clientKey(ip);
  return { pair: `${PREFIX.pair}${name} ${client}`, client: `${PREFIX.client}${client}`, account: `${PREFIX.account}${name}` };
}

const kindOf = (key: string): KeyKind => (key.startsWith(PREFIX.pair) ? 'pair' : key.startsWith(PREFIX.client) ? 'client' : 'account');

/** Milliseconds the next attempt waits under these counts (0: go ahead). */
export const loginWait: DecideLoginWait = (counts: LoginFailure[], now: number) => {
  let until = 0;
  for (const c of counts) {
    const rule = RULES[kindOf(c.key)];
    if (c.failures < rule.free) continue;
    until = Math.max(until, c.lastAt + Math.min(rule.maxWaitMs, 1000 * 2 ** (c.failures - rule.free + 1)));
  }
  return Math.max(0, until - now);
};

/** Checks a password against a stored hash, or answers 'busy' at once when this process is already checking as many as it will. */
export type PasswordCheck = (password: string, stored: string) => Promise<boolean | 'busy'>;

/**
 * Password checks in this process: `atOnce` run together (each scrypt check
 * takes some 64 MiB and a thread), `waiting` more queue behind them, and
 * past that a check is refused at once instead of queuing without end.
 */
export function gatedPasswordCheck(options: { atOnce?: number; waiting?: number; verify?: (password: string, stored: string) => Promise<boolean> } = {}): PasswordCheck {
  const { atOnce = 2, waiting = 8, verify = verifyPassword } = options;
  let running = 0;
  const queue: (() => void)[] = [];
  return async (password, stored) => {
    if (running >= atOnce) {
      if (queue.length >= waiting) return 'busy';
      await new Promise<void>((resolve) => queue.push(resolve));
    } else running++;
    try {
      return await verify(password, stored);
    } finally {
      // The slot passes straight to the next in line, if any.
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}

/** The gate of this process, unless the app is given its own. */
export const defaultPasswordCheck: PasswordCheck = gatedPasswordCheck();
