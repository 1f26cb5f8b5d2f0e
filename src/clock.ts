/** The time source, injected so tests and `npm run tick -- --now` control it. */
export type Clock = { now(): number };

export const systemClock: Clock = { now: () => Date.now() };

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
