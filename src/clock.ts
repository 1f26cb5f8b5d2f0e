/** The time source, injected so tests and `npm run tick -- --now` control it. */
export type Clock = { now(): number };

export const systemClock: Clock = { now: () => Date.now() };

export type OffsetClock = Clock & { moveTo(at: number): void };

/**
 * The clock of `npm run tick -- --now <at>`: it reads `at` when made and runs
 * on at the machine's pace; `moveTo` sets it to another time, from which it
 * runs on again (`--advance` ticks an hour apart).
 */
export function offsetClock(at: number, realNow: () => number = Date.now): OffsetClock {
  let offset = at - realNow();
  return {
    now: () => realNow() + offset,
    moveTo: (t) => {
      offset = t - realNow();
    },
  };
}

export type FixedClock = Clock & { set(t: number | string | Date): void; advance(ms: number): void };

export function fixedClock(start: number | string | Date): FixedClock {
  let t = new Date(start).getTime();
  return {
    now: () => t,
    set: (v) => {
      t = new Date(v).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
