import type { Clock } from '../clock.js';

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** What a provider response said about its rate limit (times in ms from now). */
export type RateLimitHeaders = { limit?: number; remaining?: number; resetMs?: number; retryAfterMs?: number };

/**
 * Spaces the starts of provider requests at `rate` per second on a fixed grid
 * (a bucket of one token: a bucket that allows bursts would overrun a
 * provider that counts requests in one-second windows, and every 429 costs a
 * whole second of `retry-after`).
 *
 * The grid carries a 3 % margin (30 ms a second). A request granted up to
 * 5 ms late (the event loop was busy with another batch) keeps the grid, so
 * short delays do not cost request slots; a later one moves the grid to it.
 * Either way any rate + 1 consecutive requests start at least a second plus
 * 25 ms apart: slack for requests that reach the provider a little later
 * than they left (a 1.5 MB body), so no one-second window of the provider
 * sees more than `rate`.
 *
 * Provider headers tighten it: `ratelimit-limit` lower than our rate becomes
 * our rate; a 429's `retry-after` holds every request for that long. (Resend
 * rounds `ratelimit-reset` up to whole seconds, so waiting it out after every
 * `ratelimit-remaining: 0` would throw away most of each next window.)
 */
const CATCH_UP_MS = 5;

export function createPacer(options: { rate: number; clock: Clock; sleep: Sleep }) {
  const { clock, sleep } = options;
  let rate = options.rate;
  let nextAt = -Infinity;
  let heldUntil = -Infinity;
  let queue: Promise<void> = Promise.resolve();

  const interval = () => (1000 / rate) * 1.03;

  async function waitTurn(): Promise<void> {
    for (;;) {
      const now = clock.now();
      const at = Math.max(nextAt, heldUntil);
      if (now >= at) {
        const step = interval();
        nextAt = now - nextAt <= CATCH_UP_MS ? nextAt + step : now + step;
        return;
      }
      await sleep(at - now);
    }
  }

  return {
    /** Resolves when the next request may start; callers are served in order. */
    acquire(): Promise<{ started(): void }> {
      const turn = queue.then(waitTurn);
      queue = turn.catch(() => undefined);
      return turn.then(() => ({ started() {} }));
    },
    /** Holds every request for `ms` (a 429's retry-after). */
    holdFor(ms: number): void {
      heldUntil = Math.max(heldUntil, clock.now() + ms);
    },
    /** Feeds the rate-limit headers of a response. */
    observe(info: RateLimitHeaders): void {
      if (info.limit !== undefined && info.limit > 0 && info.limit < rate) rate = info.limit;
      // Remaining 0 with a known limit is what our grid expects after its last
      // request of a window: the grid already waits the window out. Without a
      // limit, hold one interval. (Another sender on the same account makes us
      // meet a 429, whose retry-after holds us.)
      if (info.remaining === 0 && info.limit === undefined && info.resetMs !== undefined) heldUntil = Math.max(heldUntil, clock.now() + Math.min(info.resetMs, interval()));
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
