import type { Clock } from '../clock.js';
import type { RateLimitInfo } from '../mail/transport.js';

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Spaces the starts of provider requests at `rate` per second on a fixed grid
 * (a bucket of one token: a bucket that allows bursts would overrun a
 * provider that counts requests in one-second windows, and every 429 costs a
 * whole second of `retry-after`).
 *
 * The grid carries a margin of 4 % (40 ms a second) on a quiet machine. A
 * request granted up to 5 ms late keeps the grid, so short delays do not cost
 * request slots; a request that actually leaves later than its turn (the
 * event loop was busy with another batch) moves the grid on from when it
 * left. So any rate + 1 consecutive requests leave at least a second plus
 * about 35 ms apart: slack for a request that reaches the provider later than
 * it left (serialising a 1.5 MB body, a busy loop), which would otherwise
 * open the provider's one-second window late and let the next requests fall
 * into it. The margin is what a process can never send, so it is kept small
 * (6 % held a worker under 0.943 of the allowed rate, below the 0.95 of
 * `npm run bench -- processes`) and widened by half at every 429 this process
 * meets, up to 16 % (a busy machine delivers requests less evenly: at 4 % a
 * loaded bench met a 429 every few seconds), then narrowed by a fifth after
 * every 20 seconds' worth of requests without one.
 *
 * Provider headers tighten it: `ratelimit-limit` lower than our rate becomes
 * our rate; a 429's `retry-after` holds every request for that long. (Resend
 * rounds `ratelimit-reset` up to whole seconds, so waiting it out after every
 * `ratelimit-remaining: 0` would throw away most of each next window.)
 */
const CATCH_UP_MS = 5;
const MIN_MARGIN = 0.04;
const MAX_MARGIN = 0.16;

/**
 * Where the grid lives. The worker keeps it in the database (every process
 * on the account shares one budget); `memorySlots` keeps it in this process.
 */
export type PacerSlots = {
  /** Reserves the next start: the grid's next slot when at most `catchUpMs` past, else `now`; moves the grid on by `intervalMs`. */
  reserve(now: number, intervalMs: number, catchUpMs: number, maxAheadMs: number): Promise<number>;
  /** No slot before `until`. */
  hold(until: number, now: number): Promise<void>;
};

export function memorySlots(): PacerSlots {
  let next = -Infinity;
  return {
    async reserve(now, intervalMs, catchUpMs, maxAheadMs) {
      const slot = next >= now - catchUpMs && next <= now + maxAheadMs ? next : now;
      next = slot + Math.ceil(intervalMs);
      return slot;
    },
    async hold(until) {
      next = Math.max(next, Math.ceil(until));
    },
  };
}

/** The grid in the database, shared by every worker and server on the account. */
export function sharedSlots(settings: { reserveSlot(key: string, now: number, intervalMs: number, catchUpMs: number, maxAheadMs: number): Promise<number>; holdSlots(key: string, until: number, now: number): Promise<void> }, key = 'pacer_next_slot'): PacerSlots {
  return {
    reserve: (now, intervalMs, catchUpMs, maxAheadMs) => settings.reserveSlot(key, now, intervalMs, catchUpMs, maxAheadMs),
    hold: (until, now) => settings.holdSlots(key, until, now),
  };
}

export function createPacer(options: { rate: number; clock: Clock; sleep: Sleep; slots?: PacerSlots }) {
  const { clock, sleep } = options;
  const slots = options.slots ?? memorySlots();
  let rate = options.rate;
  let heldUntil = -Infinity;
  // When the last request of this process actually left (its turn can be taken late: a busy event loop).
  let lastStart = -Infinity;
  let queue: Promise<void> = Promise.resolve();
  let margin = MIN_MARGIN;
  let cleanStarts = 0;

  const interval = () => (1000 / rate) * (1 + margin);
  // Further ahead than any honest queue of reservations or retry-after: a grid left by a tick run as if later.
  const maxAhead = () => Math.max(120_000, 200 * interval());

  async function waitTurn(): Promise<void> {
    for (;;) {
      const now = clock.now();
      if (heldUntil > now) {
        await sleep(heldUntil - now);
        continue;
      }
      const slot = await slots.reserve(now, interval(), CATCH_UP_MS, maxAhead());
      // Never closer than an interval to the last request that really left, however late it left.
      const wait = Math.max(slot, lastStart + interval()) - clock.now();
      if (wait > 0) await sleep(wait);
      // A 429 seen by this process while waiting: its slot is spent, take a later one.
      if (heldUntil <= clock.now()) return;
    }
  }

  return {
    /** Resolves when the next request may start; callers are served in order. */
    acquire(): Promise<{ started(): void }> {
      const turn = queue.then(waitTurn);
      queue = turn.catch(() => undefined);
      return turn.then(() => ({
        /** Call as the request leaves: a late start moves the grid on, in every process sharing it. */
        started() {
          const at = clock.now();
          lastStart = Math.max(lastStart, at);
          if (++cleanStarts >= rate * 20) {
            cleanStarts = 0;
            margin = Math.max(MIN_MARGIN, margin / 1.2);
          }
          void slots.hold(at + interval(), at).catch(() => undefined);
        },
      }));
    },
    /** Holds every request for `ms` (a 429's retry-after), in every process sharing the slots. */
    holdFor(ms: number): void {
      margin = Math.min(MAX_MARGIN, margin * 1.5);
      cleanStarts = 0;
      const now = clock.now();
      heldUntil = Math.max(heldUntil, now + ms);
      void slots.hold(now + ms, now).catch(() => undefined);
    },
    /** Feeds the rate-limit headers of a response. */
    observe(info: RateLimitInfo): void {
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
    /** The share of each interval kept free (see above). */
    get margin() {
      return margin;
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
