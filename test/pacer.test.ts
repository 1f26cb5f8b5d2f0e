import { expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { backoffMs, createPacer } from '../src/nurture/pacer.js';

function pacerAt(rate: number) {
  const clock = fixedClock('2026-03-02T14:00:00Z');
  const pacer = createPacer({ rate, clock, sleep: async (ms) => clock.advance(ms) });
  return { clock, pacer };
}

/** The times `n` requests are let go, the worker being busy for `busy(i)` ms before asking for each. */
async function starts(pacer: ReturnType<typeof createPacer>, clock: ReturnType<typeof fixedClock>, n: number, busy: (i: number) => number = () => 0) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    clock.advance(busy(i));
    (await pacer.acquire()).started();
    out.push(clock.now());
  }
  return out;
}
const perSecond = (times: number[]) => (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000);

const maxInAnySecond = (times: number[]) => Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));

it('never starts more than the rate in any one-second window, and uses nearly all of it', async () => {
  const { clock, pacer } = pacerAt(5);
  const times = await starts(pacer, clock, 50);
  expect(maxInAnySecond(times)).toBe(5);
  expect(perSecond(times)).toBeGreaterThan(0.95 * 5);
});

it('a turn taken a little late does not push the later ones back; any delay stays within the limit', async () => {
  // Busy 200 ms before each request: each turn comes a few ms after its slot.
  const { clock, pacer } = pacerAt(5);
  const times = await starts(pacer, clock, 50, () => 200);
  expect(maxInAnySecond(times)).toBeLessThanOrEqual(5);
  expect(perSecond(times)).toBeGreaterThan(0.95 * 5);
  // Long and short delays mixed never put six requests into one second.
  const mixed = pacerAt(5);
  const t2 = await starts(mixed.pacer, mixed.clock, 60, (i) => [0, 205, 9, 250, 40, 1, 199][i % 7]!);
  expect(maxInAnySecond(t2)).toBeLessThanOrEqual(5);
});

it('a request that leaves late (the event loop was busy after its turn) pushes the next one: never six in a second', async () => {
  const { clock, pacer } = pacerAt(5);
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const turn = await pacer.acquire();
    // Busy between the turn and the request leaving, on every other request.
    clock.advance(i % 2 === 0 ? 180 : 0);
    turn.started();
    times.push(clock.now());
  }
  expect(maxInAnySecond(times)).toBeLessThanOrEqual(5);
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(200);
});

it('follows the provider: a lower ratelimit-limit, remaining 0, retry-after', async () => {
  const { clock, pacer } = pacerAt(10);
  pacer.observe({ limit: 2, remaining: 1, resetMs: 1000 });
  expect(pacer.rate).toBe(2);
  const times = await starts(pacer, clock, 10);
  expect(maxInAnySecond(times)).toBe(2);
  const before = clock.now();
  pacer.holdFor(3000);
  await (await pacer.acquire()).started();
  expect(clock.now() - before).toBeGreaterThanOrEqual(3000);
});

it('backs off exponentially with full jitter, capped', () => {
  expect(backoffMs(0, () => 0.999)).toBeLessThan(500);
  expect(backoffMs(3, () => 0.999)).toBeGreaterThan(3900);
  expect(backoffMs(30, () => 0.999)).toBeLessThanOrEqual(60_000);
  expect(backoffMs(5, () => 0)).toBe(0);
});

it('a 429 widens the margin for a while; requests without one narrow it back to 4 %', async () => {
  const { clock, pacer } = pacerAt(5);
  expect(pacer.margin).toBeCloseTo(0.04);
  pacer.holdFor(1000);
  pacer.holdFor(1000);
  expect(pacer.margin).toBeCloseTo(0.09);
  const wide = await starts(pacer, clock, 20);
  expect(perSecond(wide)).toBeLessThan(5 / 1.08);
  expect(maxInAnySecond(wide)).toBeLessThanOrEqual(5);
  await starts(pacer, clock, 500);
  expect(pacer.margin).toBeCloseTo(0.04);
  expect(perSecond(await starts(pacer, clock, 50))).toBeGreaterThan(0.95 * 5);
});
