import type { Clock } from '../clock.js';

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** What a provider response said about its rate limit (times in ms from now). */
export type RateLimitHeaders = { limit?: number; remaining?: number; resetMs?: number; retryAfterMs?: number };

/**
 * Spaces provider requests at `rate` per second, measured between the starts
 * of requests (a bucket of one token). A bucket that allows bursts would
 * overrun a provider that counts requests in fixed one-second windows, and
 * every 429 costs a whole second of `retry-after`.
 *
 * The spacing carries a small margin (1 %, at least 2 ms) so the jitter of
 * request arrival never puts rate + 1 requests into one provider window.
 *
 * Provider headers tighten it: `ratelimit-limit` lower than our rate becomes
 * our rate; `ratelimit-remaining: 0` holds the next request until the window
 * resets (at most one spacing: Resend rounds `ratelimit-reset` up to whole
 * seconds, and its windows are one second long, so a full second of waiting
 * would throw away most of the next window); `retry-after` holds every
 * request for that long.
 */
export function createPacer(options: { rate: number; clock: Clock; sleep: Sleep }) {
  const { clock, sleep } = options;
  let rate = options.rate;
  let nextAt = -Infinity;
  let heldUntil = -Infinity;
  let queue: Promise<void> = Promise.resolve();

  const spacing = () => {
    const base = 1000 / rate;
    return base + Math.max(2, base * 0.01);
  };

  async function waitTurn(): Promise<void> {
    for (;;) {
      const now = clock.now();
      const at = Math.max(nextAt, heldUntil);
      if (now >= at) {
        nextAt = now + spacing();
        return;
      }
      await sleep(at - now);
    }
  }

  return {
    /** Resolves when the next request may start; callers are served in order. */
    acquire(): Promise<void> {
      const turn = queue.then(waitTurn);
      queue = turn.catch(() => undefined);
      return turn;
    },
    /** Holds every request for `ms` (a 429's retry-after). */
    holdFor(ms: number): void {
      heldUntil = Math.max(heldUntil, clock.now() + ms);
    },
    /** Feeds the rate-limit headers of a response. */
    observe(info: RateLimitHeaders): void {
      if (info.limit !== undefined && info.limit > 0 && info.limit < rate) rate = info.limit;
      if (info.remaining === 0 && info.resetMs !== undefined) heldUntil = Math.max(heldUntil, clock.now() + Math.min(info.resetMs, spacing()));
      if (info.retryAfterMs !== undefined && info.remaining === 0) heldUntil = Math.max(heldUntil, clock.now() + info.retryAfterMs);
    },
    get rate() {
      return rate;
    },
  };
}

export type Pacer = ReturnType<typeof createPacer>;

/**
 * Exponential backoff with full jitter (a random wait between 0 and
 * base * 2^attempt, capped), so many workers retrying do not fall into step.
 */
export function backoffMs(attempt: number, random: () => number, baseMs = 500, capMs = 60_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}
