/** The time source, injected so tests and `npm run tick -- --now` control it. */
export type Clock = { now(): number };

export const systemClock: Clock = { now: () => Date.now() };

/** The clock of `npm run tick -- --now <at>`: it reads `at` when made and runs on at the machine's pace. */
export function offsetClock(at: number, realNow: () => number = Date.now): Clock {
  const offset = at - realNow();
  return { now: () => realNow() + offset };
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
