import net from 'node:net';
import type { Clock } from './clock.js';

export type RateLimit = { max: number; windowMs: number };

export const DEFAULT_SUBSCRIBE_RATE_LIMIT: RateLimit = { max: 10, windowMs: 60_000 };

/**
 * The key a client is counted under: IPv4 as is (IPv4-mapped IPv6 unwrapped),
 * IPv6 by its /64, since one host usually holds a whole /64.
 */
export function clientKey(ip: string | null): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!net.isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export type HitCounters = {
  countHit(key: string, now: number, windowMs: number): Promise<{ count: number; windowStart: number }>;
  sweepHits(prefix: string, before: number): Promise<void>;
};

// Expired counters are swept every so many hits, so the table stays the size of the recent clients.
const SWEEP_EVERY = 1000;

/**
 * Fixed-window counter per client, kept in the database (the settings
 * store), so every server behind a proxy counts the same client alike.
 */
export function createRateLimiter(limit: RateLimit, clock: Clock, counters: HitCounters, prefix = 'limit:signup:') {
  let hits = 0;
  return {
    /** Counts one request; resolves to how many ms to wait when over the limit, else 0. */
    async hit(key: string): Promise<number> {
      const now = clock.now();
      const w = await counters.countHit(prefix + key, now, limit.windowMs);
      if (++hits % SWEEP_EVERY === 0) void counters.sweepHits(prefix, now - limit.windowMs).catch(() => undefined);
      return w.count > limit.max ? Math.max(1, w.windowStart + limit.windowMs - now) : 0;
    },
  };
}
