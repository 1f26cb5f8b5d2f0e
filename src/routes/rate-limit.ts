import net from 'node:net';
import type { Clock } from '../clock.js';

export type RateLimit = { max: number; windowMs: number };

export const DEFAULT_SUBSCRIBE_RATE_LIMIT: RateLimit = { max: 10, windowMs: 60_000 };

// Beyond this many tracked clients, expired windows are swept; if that frees
// nothing (a flood from very many addresses) the table starts over, so memory
// stays bounded.
const MAX_TRACKED = 50_000;

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

/** Fixed-window counter per client, on the injected clock. */
export function createRateLimiter(limit: RateLimit, clock: Clock) {
  const windows = new Map<string, { start: number; count: number }>();

  function sweep(now: number) {
    for (const [k, w] of windows) if (now - w.start >= limit.windowMs) windows.delete(k);
    if (windows.size >= MAX_TRACKED) windows.clear();
  }

  return {
    /** Counts one request; returns how many ms to wait when over the limit, else 0. */
    hit(key: string): number {
      const now = clock.now();
      let w = windows.get(key);
      if (!w || now - w.start >= limit.windowMs) {
        if (!w && windows.size >= MAX_TRACKED) sweep(now);
        w = { start: now, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      return w.count > limit.max ? Math.max(1, w.start + limit.windowMs - now) : 0;
    },
    get size() {
      return windows.size;
    },
  };
}
